"""Building releases again and deploying them: the platform's build record, ``Platform.rebuild``,
``Cluster.deploy``, and the event bus's ``flush`` that lets a check read every record a worker sent
before it answered."""
from __future__ import annotations

import hashlib
import json
import socket
import threading
import time

from grader.live import LiveCluster
from grader.platform.events import EventBus, FileAccess
from grader.platform import Platform
from grader.platform.source import AppSource

APP = b'''
from pathlib import Path
from flask import Flask

app = Flask(__name__)
VERSION = (Path(__file__).parent / "out" / "version.txt").read_text()


@app.get("/")
def index():
    return {"version": VERSION}
'''
BUILD = b'''
import os, tempfile
from pathlib import Path

here = Path(__file__).resolve().parent
(here / "out").mkdir()
(here / "out" / "version.txt").write_text((here / "version.txt").read_text().strip() + "-built")
Path(tempfile.gettempdir(), "cache.txt").write_text("kept by the build, outside the release")
print("built", os.getpid())
'''


def source(version: bytes = b"v1") -> AppSource:
    return AppSource("versions", {"app.py": APP, "build.py": BUILD, "version.txt": version})


def test_the_build_record_says_what_build_py_wrote_inside_and_outside_the_release():
    with Platform(source()) as platform:
        release = platform.release
        record = release.build
        assert release.version == 1 and record.token == "build.v1" and record.output.startswith("built ")
        assert record.written == ("out/version.txt",)
        assert 0 < record.seconds < 60
        platform.bus.flush()
        writes = [access.path for access in platform.bus.events(FileAccess)
                  if access.token == record.token and access.writes]
        assert f"{release.path}/out/version.txt" in writes
        assert f"{record.tmp}/cache.txt" in writes  # the build's own TMPDIR, which does not ship


def test_rebuild_builds_a_new_frozen_release_from_changed_files_and_leaves_the_first_alone():
    with Platform(source()) as platform:
        first = platform.release
        second = platform.rebuild({"version.txt": "v2", "notes.txt": b"to be removed"})
        assert (second.version, second.build.token) == (2, "build.v2")
        assert (second.path / "out" / "version.txt").read_text() == "v2-built"
        assert (first.path / "out" / "version.txt").read_text() == "v1-built"
        assert not (second.path / "app.py").stat().st_mode & 0o222
        third = platform.rebuild({"notes.txt": None}, base=second)
        assert third.version == 3 and not (third.path / "notes.txt").exists()
        assert (third.path / "out" / "version.txt").read_text() == "v2-built"  # built from the second's files
        root = platform.root
    assert not root.exists()  # rebuilt, read-only releases are removed with the run


def test_deploy_rolls_every_worker_onto_the_new_release_and_other_clusters_keep_theirs():
    with Platform(source()) as platform:
        rolled, bystander = (platform.cluster({"web": n}, kind=LiveCluster) for n in (2, 1))
        pids = {name: worker.current.pid for name, worker in rolled.workers.items()}
        release = rolled.deploy({"version.txt": "v2"})
        assert release.version == 2 and rolled.release is release
        assert rolled.read_all("/", key="version") == {"web.1": "v2-built", "web.2": "v2-built"}
        assert all(worker.current.pid != pids[name] for name, worker in rolled.workers.items())
        assert bystander.read_all("/", key="version") == {"web.1": "v1-built"}
        rolled.restart("web.1")  # a later restart starts from the deployed release too
        reply = rolled.get("/", worker="web.1")
        assert reply.json() == {"version": "v2-built"}
        assert (reply.size, reply.digest) == (len(reply.body), hashlib.sha256(reply.body.encode()).hexdigest())


def test_flush_returns_once_every_record_sent_before_it_is_in_the_log(tmp_path):
    slow = threading.Event()

    def handler(event):  # a reader that lags behind, as a busy machine's does
        if not slow.is_set():
            slow.set()
            time.sleep(0.3)

    bus = EventBus(tmp_path / "events.sock", handler)
    try:
        record = {"event": "file", "token": "t", "pid": 1, "op": "open", "path": "/x", "access": "write"}
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            for path in ("/first", "/second"):
                sender.sendto(json.dumps({**record, "path": path}).encode(), bus.path)
        assert bus.flush(timeout=2.0)
        assert [event.path for event in bus.events(FileAccess)] == ["/first", "/second"]
    finally:
        bus.close()
