"""Each worker's own /tmp: as root (a mount namespace) and as an ordinary user (inside a user namespace)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from grader.platform import Platform
from grader.platform.source import AppSource

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"

TMP_APP = b'''
import os
from flask import Flask, request

app = Flask(__name__)


@app.post("/mark")
def mark():
    with open("/tmp/mark.txt", "w") as handle:
        handle.write(os.environ["DYNO"])
    return {"ok": True}


@app.get("/tmp")
def listing():
    return {"files": sorted(os.listdir("/tmp")), "mark": open("/tmp/mark.txt").read() if os.path.exists("/tmp/mark.txt") else None}
'''

PROBE = """
import json, os, sys
from isolation import NotIsolated, make_private
private, keep = sys.argv[1], sys.argv[2]
try:
    make_private({"/tmp": private}, [keep])
except NotIsolated as refused:
    print(json.dumps({"refused": str(refused)}))
    raise SystemExit
with open("/tmp/written-inside.txt", "w") as handle:
    handle.write("x")
print(json.dumps({"uid": os.getuid(), "tmp": sorted(os.listdir("/tmp")), "kept": sorted(os.listdir(keep))}))
"""


def test_each_worker_writes_its_own_tmp_and_the_machines_stays_untouched():
    with Platform(AppSource("tmp", {"app.py": TMP_APP}), private_tmp=True) as platform:
        cluster = platform.cluster({"web": 2})
        assert cluster.post("/mark", worker="web.1").status == 200
        assert cluster.get("/tmp", worker="web.1").json()["mark"] == "web.1"
        assert cluster.get("/tmp", worker="web.2").json()["mark"] is None
        assert all(worker.current.private_tmp for worker in cluster.workers.values())
        sandbox = cluster.workers["web.1"].current.sandbox
        assert (sandbox.machine["/tmp"] / "mark.txt").read_text() == "web.1"
        cluster.restart("web.1")
        assert cluster.get("/tmp", worker="web.1").json()["mark"] is None  # a fresh disk after a restart
    assert not Path("/tmp/mark.txt").exists()


def test_an_ordinary_user_gets_a_private_tmp_or_a_reason_why_not():
    # The module is standard library only, so it runs under the system's Python, which (unlike a
    # Python installed in root's home) an ordinary user can execute.
    python = Path(SYSTEM_PYTHON)
    assert python.exists(), f"{python} is needed to run a process as an ordinary user"
    base = Path(tempfile.mkdtemp(prefix="factor-six-nobody-"))  # pytest's tmp_path is private to root
    try:
        shutil.copy(ROOT / "grader" / "platform" / "isolation.py", base / "isolation.py")
        private, keep = base / "private", base / "run"
        private.mkdir()
        keep.mkdir()
        (keep / "events.sock").write_text("")
        for folder in (base, private, keep):
            folder.chmod(0o777)

        def as_nobody():
            os.setgid(NOBODY)
            os.setuid(NOBODY)

        run = subprocess.run([str(python), "-c", PROBE, str(private), str(keep)], capture_output=True,
                             text=True, timeout=30, preexec_fn=as_nobody, cwd="/",
                             env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(base)})
        assert run.returncode == 0, run.stderr
        seen = json.loads(run.stdout)
        if "refused" in seen:  # a kernel or container without unprivileged namespaces: it says why
            assert seen["refused"].startswith("unshare: "), seen
            return
        assert seen["uid"] == NOBODY  # the app keeps running as the same user
        assert seen["kept"] == ["events.sock"]  # the run's own folder is still where it was
        assert "written-inside.txt" in seen["tmp"]
        assert (private / "written-inside.txt").exists() and not Path("/tmp/written-inside.txt").exists()
    finally:
        shutil.rmtree(base)


def test_a_grader_checked_out_under_tmp_still_reaches_its_own_code_from_isolated_workers():
    """A checkout (or a virtual environment) under /tmp must stay visible inside each private /tmp."""
    copy = Path(tempfile.mkdtemp(prefix="factor-six-checkout-", dir="/tmp"))
    try:
        shutil.copytree(ROOT / "grader", copy / "grader", ignore=shutil.ignore_patterns("__pycache__"))
        run = subprocess.run(
            ["/usr/bin/env", "python3", "-c",
             "import grader, json, sys; from grader.grading import grade; "
             "r = grade('hits', sys.argv[1], ['agreement'], private_tmp=True); "
             "print(json.dumps([grader.__file__, r.score, r.max_score]))", str(ROOT / "tests" / "apps" / "hits" / "redis_counter")],
            capture_output=True, text=True, timeout=120, cwd=copy,
            env={**os.environ, "PYTHONPATH": str(copy)})
        assert run.returncode == 0, run.stderr
        where, score, full = json.loads(run.stdout.strip().splitlines()[-1])
        assert where == str(copy / "grader" / "__init__.py")
        assert score == full == 2, run.stdout
    finally:
        shutil.rmtree(copy)
