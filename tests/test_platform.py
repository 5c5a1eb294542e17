"""The platform simulator itself: workers, restarts, private disks, routing and cleanup, for real."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import grader_processes
from grader.platform import Platform
from grader.platform.source import AppSource, load

APPS = Path(__file__).parent / "apps"

PROBE_APP = b'''
import os, tempfile
from flask import Flask, request

app = Flask(__name__)
booted = os.getpid()


@app.get("/whoami")
def whoami():
    return {"pid": os.getpid(), "dyno": os.environ["DYNO"], "tmp": tempfile.gettempdir(),
            "home": os.environ["HOME"], "cwd": os.getcwd(), "files": sorted(os.listdir("."))}


@app.post("/touch")
def touch():
    with open("mark.txt", "w") as handle:
        handle.write("x")
    return {"ok": True}
'''


@pytest.fixture
def platform():
    with Platform(AppSource("probe", {"app.py": PROBE_APP})) as running:
        yield running


def test_each_worker_has_its_own_pid_home_tmpdir_and_copy_of_the_release(platform):
    cluster = platform.cluster({"web": 3})
    seen = [cluster.get("/whoami", worker=name).json() for name in cluster.serving()]
    assert [s["dyno"] for s in seen] == ["web.1", "web.2", "web.3"]
    for key in ("pid", "tmp", "home", "cwd"):
        assert len({s[key] for s in seen}) == 3, key
    assert all(s["tmp"].startswith(str(platform.root)) for s in seen)


def test_a_restarted_worker_gets_a_new_process_and_an_empty_private_disk(platform):
    cluster = platform.cluster({"web": 2})
    before = cluster.get("/whoami", worker="web.1").json()
    cluster.post("/touch", worker="web.1")
    assert "mark.txt" in cluster.get("/whoami", worker="web.1").json()["files"]
    assert "mark.txt" not in cluster.get("/whoami", worker="web.2").json()["files"]
    cluster.restart("web.1")
    after = cluster.get("/whoami", worker="web.1").json()
    assert after["pid"] != before["pid"]
    assert "mark.txt" not in after["files"]


def test_the_release_is_read_only_and_build_runs_once(tmp_path):
    build = b"import pathlib\npathlib.Path('built.txt').write_text('built')\n" \
            b"with open('/dev/null', 'a'): pass\n"
    source = AppSource("built", {"app.py": PROBE_APP, "build.py": build})
    with Platform(source) as platform:
        release = platform.release.path
        assert (release / "built.txt").read_text() == "built"
        assert not (release / "app.py").stat().st_mode & 0o222
        assert not release.stat().st_mode & 0o222
        cluster = platform.cluster({"web": 2})
        assert "built.txt" in cluster.get("/whoami", worker="web.2").json()["files"]


def test_routing_policies_choose_workers_as_documented(platform):
    cluster = platform.cluster({"web": 3}, policy="never_same")
    names = [cluster.get("/whoami").worker for _ in range(6)]
    assert all(a != b for a, b in zip(names, names[1:]))
    sticky = platform.cluster({"web": 3}, policy="sticky")
    assert len({sticky.get("/whoami").worker for _ in range(6)}) == 1


def test_crash_is_reported_with_the_signal_and_the_worker_restarts(platform):
    cluster = platform.cluster({"web": 1})
    old = cluster.workers["web.1"].current
    cluster.crash("web.1")
    assert old.exit_code == -9 and old.describe_exit() == "SIGKILL (perhaps out of memory?)"
    assert cluster.get("/whoami").status == 200


def test_a_background_child_and_a_detached_daemon_do_not_outlive_the_run():
    with Platform(load(APPS / "platform" / "background_child")) as platform:
        cluster = platform.cluster({"web": 2})
        assert cluster.post("/hits").json() == {"hits": 1}
        running = [cmd for _, cmd in grader_processes()]
        assert sum("sleep 600" in cmd for cmd in running) == 2
        assert sum("time.sleep(600)" in cmd for cmd in running) == 2
    assert grader_processes() == []


def test_workers_that_ignore_sigterm_are_killed_after_the_grace_period():
    with Platform(load(APPS / "platform" / "ignores_sigterm")) as platform:
        cluster = platform.cluster({"web": 1})
        worker = cluster.workers["web.1"]
        old = worker.current
        worker.stop(old)
        assert old.killed_after_term and old.exit_code is not None
    assert grader_processes() == []


def test_store_latency_slows_each_round_trip_to_redis(platform):
    cluster = platform.cluster({"web": 1})
    import redis
    url = cluster.env["REDIS_URL"]
    client = redis.Redis.from_url(url)
    client.ping()
    platform.set_store_latency(0.02)
    import time
    started = time.monotonic()
    client.ping()
    assert time.monotonic() - started >= 0.02
    platform.set_store_latency(0.0)
    client.close()


def test_an_external_redis_given_by_url_is_attached_instead_of_a_private_one(tmp_path):
    from grader.platform.forkserver import base_env
    from grader.grading import grade
    from grader.platform.services.redis import RedisServer
    server = RedisServer(tmp_path, base_env("external-test"))
    try:
        server.wait_ready()
        url = f"redis://127.0.0.1:{server.port}/5"
        report = grade("hits", APPS / "hits" / "redis_counter", ["agreement", "restart_all"], redis_url=url)
        assert report.score == report.max_score, report.to_text()
        import redis
        client = redis.Redis.from_url(url)
        assert int(client.get("hits")) == 11  # 6 + 5 hits, in the server we gave it
        client.close()
    finally:
        server.stop()


def test_scaling_up_and_down_starts_and_stops_named_workers(platform):
    cluster = platform.cluster({"web": 1})
    cluster.scale("web", 3)
    assert cluster.serving() == ["web.1", "web.2", "web.3"]
    assert cluster.get("/whoami", worker="web.3").json()["dyno"] == "web.3"
    gone = cluster.workers["web.3"].current
    cluster.scale("web", 2)
    assert cluster.serving() == ["web.1", "web.2"] and gone.exited


def test_a_failing_build_is_reported_with_its_output_and_nothing_runs(tmp_path):
    from grader.grading import grade
    (tmp_path / "app.py").write_bytes(PROBE_APP)
    (tmp_path / "build.py").write_text("print('compiling assets')\nraise SystemExit('no static folder')\n")
    report = grade("hits", tmp_path, ["agreement", "burst"])
    assert [r.status for r in report.results] == ["could not grade", "could not grade"]
    assert "runs `python build.py` once" in report.results[0].feedback
    assert "exited with exit code 1" in report.results[0].feedback
    assert "compiling assets\n    no static folder" in report.results[0].feedback


def test_a_procfile_that_does_not_parse_is_bad_input(tmp_path):
    from grader.grading import grade
    from grader.errors import BadInput
    (tmp_path / "app.py").write_bytes(PROBE_APP)
    (tmp_path / "Procfile").write_text("web gunicorn app:app\n")
    with pytest.raises(BadInput, match="Procfile line 1 should read `type: command`"):
        grade("hits", tmp_path)


# A web process the platform does not start with gunicorn: it gets a free port in $PORT and binds it
# itself, after a second (a slow start), and answers every GET with its own pid.
SELF_SERVING = {
    "Procfile": b"web: python serve.py\n",
    "serve.py": b'''
import http.server, os, time

class Pid(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = str(os.getpid()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

time.sleep(1)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Pid).serve_forever()
''',
}


def test_a_web_process_that_binds_port_itself_is_ready_once_it_answers_there():
    with Platform(AppSource("self-serving", SELF_SERVING)) as running:
        cluster = running.cluster({"web": 2})
        for name in cluster.serving():
            incarnation = cluster.workers[name].current
            assert incarnation.mode == "exec"
            assert cluster.get("/", worker=name).body == str(incarnation.pid)


def test_a_stranger_answering_on_the_port_given_in_PORT_never_makes_the_app_ready(monkeypatch):
    """Another process on this machine took the port between the platform choosing it and the app
    binding it. Its answers are not the app's: the app, unable to bind, fails to boot, and says why."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import grader.platform.platform
    from grader.grading import boot_feedback
    from grader.platform.worker import BootFailed

    class Stranger(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "8")
            self.end_headers()
            self.wfile.write(b"stranger")

        def log_message(self, *args):
            pass

    stranger = HTTPServer(("127.0.0.1", 0), Stranger)
    threading.Thread(target=stranger.serve_forever, daemon=True).start()
    monkeypatch.setattr(grader.platform.platform, "free_port", lambda: stranger.server_address[1])
    try:
        with Platform(AppSource("self-serving", SELF_SERVING)) as running:
            with pytest.raises(BootFailed) as failure:
                running.cluster({"web": 1})
            incarnation = failure.value.incarnation
            assert incarnation.exited and "Address already in use" in incarnation.stderr.read_text()
            feedback = boot_feedback(failure.value)
        assert f"port {stranger.server_address[1]}, the port the platform gave it in $PORT, was taken by " \
               "another process on this machine" in feedback
        assert "This is not your app's fault" in feedback and "fix app.py" not in feedback
    finally:
        stranger.shutdown()
        stranger.server_close()
