"""Binder, simulated: a fresh environment built from binder/ alone, as repo2docker builds it (the
Python that runtime.txt names, then postBuild run from the repository's root), serves JupyterLab
under a base URL as mybinder.org does, with jupyter-server-proxy answering for a local port."""
from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from servers import stop_group

from grader.platform.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
BASE = "/user/learner/"
BUILD_TIMEOUT = 600  # seconds for postBuild's install into an empty environment
SERVER_READY = 90.0


def test_runtime_txt_names_the_python_the_course_needs():
    wanted = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert wanted.startswith("python-3.") and int(wanted.split(".")[1]) >= 11


@pytest.mark.timeout(900)
def test_a_fresh_binder_environment_serves_the_course_and_proxies_a_port(tmp_path):
    env_dir = tmp_path / "srv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=120)
    bin_dir = env_dir / "bin"
    clean = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env = {**clean, "PATH": f"{bin_dir}{os.pathsep}{clean.get('PATH', '')}", "HOME": str(tmp_path / "home"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    build = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=BUILD_TIMEOUT)
    assert build.returncode == 0, f"postBuild failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    python = str(bin_dir / "python")
    found = subprocess.run([python, "-c", "import grader, jupyter_server_proxy, jupyterlab; print(grader.__file__)"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0 and found.stdout.startswith(str(ROOT)), found.stdout + found.stderr

    token, port, served = secrets.token_hex(16), free_port(), free_port()
    target = subprocess.Popen([python, "-m", "http.server", "--bind", "127.0.0.1", str(served)],
                              cwd=ROOT / "practice", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    log = (tmp_path / "lab.log").open("wb")
    lab = subprocess.Popen([python, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                            f"--ServerApp.port={port}", f"--ServerApp.base_url={BASE}",
                            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
                            *(["--allow-root"] if os.geteuid() == 0 else [])],
                           cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        root = f"http://127.0.0.1:{port}{BASE}"
        _wait(root + "api/status", token, lab, tmp_path / "lab.log")
        lesson = _get(root + "api/contents/course/00.00-Introduction.ipynb?content=0", token)
        assert b'"type": "notebook"' in lesson or b'"type":"notebook"' in lesson
        _wait(f"http://127.0.0.1:{served}/", token, target, tmp_path / "lab.log")  # the port answers first
        listing = _get(f"{root}proxy/{served}/", token)
        assert b"hits/" in listing and b"sessions/" in listing  # practice/, served by the local port
    finally:
        for process in (lab, target):
            stop_group(process)
        log.close()


def _get(url: str, token: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=20) as reply:
        return reply.read()


def _wait(url: str, token: str, process, log: Path) -> None:
    deadline = time.monotonic() + SERVER_READY
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            _get(url, token)
            return
        time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer within {SERVER_READY:g} s:\n{log.read_text()[-3000:]}")
