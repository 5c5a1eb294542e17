"""The public demo API lessons call on a cluster: read_all, burst, store latency, ClusterStopped."""
from __future__ import annotations

import time

import pytest

from grader.platform.cluster import STOPPED_MESSAGE, Closed, ClusterStopped, Stopping, UnknownWorker
from grader.platform.events import Exited
from grader.harness.faults import burst
from grader.platform.http import Response

SLOW = 0.3  # seconds of store latency: far above a loopback round trip, even on a busy machine


def test_read_all_asks_every_serving_worker_by_name_in_order(launched):
    cluster = launched("hits/global_counter", workers=3)
    for _ in range(4):
        cluster.post("/hits")
    assert cluster.read_all() == {"web.1": {"hits": 2}, "web.2": {"hits": 1}, "web.3": {"hits": 1}}
    assert cluster.read_all("/hits", "hits") == {"web.1": 2, "web.2": 1, "web.3": 1}
    assert cluster.read_all(key="missing") == {"web.1": None, "web.2": None, "web.3": None}


def test_read_all_logs_its_requests_unless_told_not_to(launched):
    cluster = launched("hits/global_counter", workers=2)
    cluster.read_all()
    assert [(r.method, r.worker) for r in cluster.log] == [("GET", "web.1"), ("GET", "web.2")]
    heard = []
    cluster.subscribe(heard.append)
    cluster.read_all(log=False)
    assert len(cluster.log) == 2 and heard == []


def test_burst_spreads_concurrent_requests_over_every_worker(launched):
    cluster = launched("hits/redis_counter", workers=3)
    replies = cluster.burst("POST", "/hits", 24, concurrency=6)
    assert [r.status for r in replies] == [200] * 24
    assert sorted(r.json()["hits"] for r in replies) == list(range(1, 25))
    assert {r.worker for r in replies} == {"web.1", "web.2", "web.3"}
    assert len(cluster.log) == 24
    assert len(burst(cluster, "POST", "/hits", 5)) == 5  # the checks' entry point still works
    assert cluster.read_all(key="hits") == {"web.1": 29, "web.2": 29, "web.3": 29}


def test_burst_rejects_a_negative_count(launched):
    cluster = launched("hits/redis_counter", workers=1)
    with pytest.raises(ValueError, match="count >= 0"):
        cluster.burst("POST", "/hits", -1)


def _round_trip(cluster) -> float:
    started = time.monotonic()
    assert cluster.get("/hits", worker="web.1").status == 200  # one GET of Redis per request
    return time.monotonic() - started


def test_store_latency_slows_the_store_inside_the_block_and_is_undone_after_it(launched):
    cluster = launched("hits/redis_counter", workers=1)
    with cluster.store_latency(SLOW) as same:
        assert same is cluster
        assert _round_trip(cluster) >= SLOW
    assert _round_trip(cluster) < SLOW
    with pytest.raises(ZeroDivisionError), cluster.store_latency(SLOW):
        1 / 0
    assert _round_trip(cluster) < SLOW
    cluster.set_store_latency(SLOW)
    assert _round_trip(cluster) >= SLOW
    cluster.set_store_latency(0)
    with pytest.raises(ValueError, match="negative"):
        cluster.set_store_latency(-1)


def test_set_routing_swaps_the_policy(launched):
    cluster = launched("hits/global_counter", workers=3)
    cluster.set_routing("sticky")
    assert len({cluster.post("/hits").worker for _ in range(4)}) == 1
    with pytest.raises(ValueError, match="unknown routing policy"):
        cluster.set_routing("fastest")


STOPPED_ACTIONS = {
    "request": lambda c: c.request("GET", "/hits"), "get": lambda c: c.get("/hits"),
    "post": lambda c: c.post("/hits"), "named get": lambda c: c.get("/hits", worker="web.1"),
    "read_all": lambda c: c.read_all(), "burst": lambda c: c.burst("POST", "/hits", 3),
    "restart": lambda c: c.restart("web.1"), "crash": lambda c: c.crash("web.1"),
    "restart_all": lambda c: c.restart_all(), "scale": lambda c: c.scale("web", 3),
    "set_store_latency": lambda c: c.set_store_latency(0.01),
    "store_latency": lambda c: c.store_latency(0.01).__enter__(),
    "set_routing": lambda c: c.set_routing("random"),
}


def test_every_action_on_a_stopped_cluster_raises_cluster_stopped(launched):
    cluster = launched("hits/redis_counter", workers=2)
    assert not cluster.stopped
    cluster.close()
    assert cluster.stopped
    for name, action in STOPPED_ACTIONS.items():
        with pytest.raises(ClusterStopped) as raised:
            action(cluster)
        assert str(raised.value) == STOPPED_MESSAGE, name
    cluster.close()  # a second close is harmless


def test_cluster_stopped_renders_as_its_one_line_in_ipython(capsys):
    assert isinstance(ClusterStopped(), RuntimeError)
    assert ClusterStopped()._render_traceback_() == ["this cluster was stopped; run the cell that launches it again"]
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    try:
        shell.user_ns["ClusterStopped"] = ClusterStopped
        shell.run_cell("raise ClusterStopped()")
    finally:
        InteractiveShell.clear_instance()
    shown = capsys.readouterr().out.strip()
    assert shown == STOPPED_MESSAGE


def test_an_unknown_worker_is_named_with_the_workers_that_exist(launched):
    cluster = launched("hits/redis_counter", workers=2)
    with pytest.raises(UnknownWorker) as raised:
        cluster.restart("web.9")
    assert isinstance(raised.value, KeyError)
    assert raised.value._render_traceback_() == ["there is no worker 'web.9'; this cluster runs web.1, web.2"]


def test_listeners_hear_requests_stops_and_the_end(launched):
    cluster = launched("hits/redis_counter", workers=1)
    heard = []
    cluster.subscribe(heard.append)
    reply = cluster.post("/hits")
    assert [r for r in heard if isinstance(r, Response)] == [reply]
    old = cluster.workers["web.1"].current
    cluster.crash("web.1")
    stops = [r for r in heard if isinstance(r, Stopping)]
    assert stops == [Stopping(old.token, "web.1", old.serving_pid, "crash")]
    exits = [i for i, r in enumerate(heard) if isinstance(r, Exited) and r.token == old.token]
    assert exits and heard.index(stops[0]) < exits[0]
    cluster.close()
    assert isinstance(heard[-1], Closed)
    assert [r.reason for r in heard if isinstance(r, Stopping)] == ["crash", "close"]


def test_a_worker_scaled_away_and_back_keeps_counting_its_incarnations(launched):
    cluster = launched("hits/redis_counter", workers=2)
    cluster.scale("web", 1)
    cluster.scale("web", 2)
    tokens = [i.token for w in cluster.workers.values() for i in w.incarnations]
    assert [i.number for i in cluster.workers["web.2"].incarnations] == [1, 2]
    assert len(tokens) == len(set(tokens)) and cluster.retired == []
    assert cluster.read_all(key="hits") == {"web.1": 0, "web.2": 0}


def test_start_runs_a_cluster_past_its_cell_until_stop_and_stop_stops_everything():
    import grader
    from conftest import APPS, grader_processes
    cluster = grader.start(APPS / "hits" / "redis_counter", workers=2)
    try:
        assert cluster.post("/hits").json() == {"hits": 1}
        assert len(grader_processes()) >= 3  # the fork server and two workers, still running
    finally:
        cluster.stop()
    assert cluster.stopped and grader_processes() == []
    cluster.stop()  # twice is harmless
