"""The dashboard widget, driven without a browser: buttons are clicked in code and the models read.

Redraws follow the cluster's events on a timer thread, so a test that changes the cluster outside
the widget waits for the redraw that shows it (``wait_until``), never for a fixed time.
"""
from __future__ import annotations

import threading

import pytest

from grader.board import dashboard
from grader.board.coalesce import Coalescer
from grader.board.model import BOOTING, CRASHED, EXITED, READY, STOPPING, ProcessRow, state_of, text_table
from grader.platform.cluster import STOPPED_MESSAGE, ClusterStopped


def rows_of(board, name):
    return [row for row in board.rows if row.name == name]


def requests_in(board):
    return [line for line in board.lines if line.request]


def test_send_adds_one_log_line_naming_the_worker_that_answered(launched):
    board = launched("hits/redis_counter", workers=2).dashboard()
    assert requests_in(board) == []
    board.controls.buttons["send"].click()
    (line,) = requests_in(board)
    assert "POST /hits on web.1 returned 200" in line.text and line.worker == "web.1"
    assert "web.1" in board.log.value and "POST /hits on web.1" in board.message_text
    board.controls.buttons["send"].click()
    assert [line.worker for line in requests_in(board)] == ["web.1", "web.2"]
    assert [row.served for row in board.rows] == [1, 1]


def test_crash_gives_the_worker_a_new_pid_and_shows_the_old_one_crashed(launched):
    cluster = launched("hits/redis_counter", workers=2)
    board = cluster.dashboard()
    (before,) = rows_of(board, "web.2")
    board.controls.worker.value = "web.2"
    board.controls.buttons["crash"].click()
    now, old = rows_of(board, "web.2")
    assert (now.number, now.state, now.current) == (2, READY, True)
    assert now.pid != before.pid and old.pid == before.pid
    assert (old.number, old.state, old.uptime) == (1, CRASHED, None)
    assert "crashed" in board.table.value and f"got SIGKILL, pid {now.pid}" in board.message_text


def test_restart_shows_the_old_process_exit_once_the_bus_reports_it(launched):
    cluster = launched("hits/redis_counter", workers=2)
    board = cluster.dashboard()
    board.controls.buttons["restart"].click()  # web.1, the first in the picker
    assert rows_of(board, "web.1")[0].state == READY
    assert board.wait_until(lambda b: rows_of(b, "web.1")[1].state == EXITED)
    assert any("web.1 #1" in line.text and "exited" in line.text for line in board.lines)


def test_the_chart_shows_what_each_worker_answers_without_adding_to_the_log(launched):
    cluster = launched("hits/global_counter", workers=3)
    board = cluster.dashboard(key="hits")
    for _ in range(4):
        board.controls.buttons["send"].click()
    assert board.chart.values == {"web.1": 2, "web.2": 1, "web.3": 1}
    bars = [box.children[0] for box in board.chart.children]
    assert [(bar.description, bar.value) for bar in bars] == [("web.1", 2.0), ("web.2", 1.0), ("web.3", 1.0)]
    assert len(cluster.log) == 4


def test_requests_made_outside_the_widget_reach_it_as_events_coalesced(launched):
    cluster = launched("hits/redis_counter", workers=2)
    board = dashboard(cluster, "/hits")
    before = board.renders
    cluster.burst("POST", "/hits", 40)
    assert board.wait_until(lambda b: len(requests_in(b)) == 12 and b.chart.values.get("web.2") == {"hits": 40})
    assert board.renders - before < 10  # one redraw per batch of events, not one per request


def test_scale_restart_all_and_routing_controls_act_on_the_cluster(launched):
    cluster = launched("hits/global_counter", workers=2)
    board = cluster.dashboard()
    board.controls.web_count.value = 3
    board.controls.buttons["scale"].click()
    assert [row.name for row in board.rows if row.state == READY] == ["web.1", "web.2", "web.3"]
    assert list(board.controls.worker.options) == ["web.1", "web.2", "web.3"]
    board.controls.policy.value = "sticky"
    assert cluster.router.policy == "sticky"
    for _ in range(3):
        board.controls.buttons["send"].click()
    assert len({line.worker for line in requests_in(board)}) == 1
    board.controls.buttons["restart all"].click()
    assert [(row.name, row.number) for row in board.rows if row.current] == [("web.1", 2), ("web.2", 2), ("web.3", 2)]
    board.controls.web_count.value = 1
    board.controls.buttons["scale"].click()
    assert cluster.serving() == ["web.1"]
    assert [row.state for row in rows_of(board, "web.3")] == [EXITED]


def test_a_failing_action_is_shown_in_the_widget_as_one_line(launched):
    cluster = launched("hits/redis_counter", workers=1)
    board = cluster.dashboard()
    board.controls.web_count.value = 0
    board.controls.buttons["scale"].click()
    board.controls.buttons["send"].click()  # nothing serves now
    assert board.message_text == "LookupError: no worker is serving"
    assert "no worker is serving" in board.message.value
    board.run("failing on purpose", lambda: 1 / 0)  # any exception, caught where it happens
    assert board.message_text == "ZeroDivisionError: division by zero"


def test_on_a_stopped_cluster_every_control_shows_the_stopped_message(launched):
    cluster = launched("hits/redis_counter", workers=2)
    board = cluster.dashboard()
    cluster.close()
    assert board.wait_until(lambda b: b.lines and b.lines[-1].text == "the cluster was stopped")
    assert board.title.value.startswith("stopped")
    for name, button in board.controls.buttons.items():
        board.message_text = ""
        button.click()
        assert board.message_text == STOPPED_MESSAGE, name
    board.controls.policy.value = "random"
    assert board.message_text == STOPPED_MESSAGE
    assert {row.state for row in board.rows} == {EXITED}
    with pytest.raises(ClusterStopped):
        cluster.post("/hits")


def test_without_a_widget_front_end_it_reads_as_a_plain_text_table(launched):
    cluster = launched("hits/redis_counter", workers=2)
    board = cluster.dashboard()
    board.controls.buttons["send"].click()
    bundle = board._repr_mimebundle_()
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]
    text = bundle["text/plain"].splitlines()
    assert text[0] == "2 web workers serving, round_robin routing"
    assert text[2].split() == ["name", "#", "pid", "type", "state", "uptime", "served"]
    assert text[3].split()[:5] == ["web.1", "1", str(board.rows[0].pid), "web", "ready"]
    assert text[3].split()[-1] == "1"
    assert 'GET /hits on each worker: web.1 {"hits":1}, web.2 {"hits":1}' in text
    assert text[-1].startswith('  #1 POST /hits on web.1 returned 200 {"hits":1}')
    assert str(board) == bundle["text/plain"]


def test_closing_the_dashboard_stops_it_following_the_cluster(launched):
    cluster = launched("hits/redis_counter", workers=1)
    board = cluster.dashboard()
    board.close()
    cluster.post("/hits")
    assert requests_in(board) == [] and board.widget.comm is None


def test_states_follow_the_incarnation_and_why_the_cluster_stopped_it():
    from types import SimpleNamespace as Fake
    alive = dict(exit_code=None, stop_requested=False)
    assert state_of(Fake(**alive, ready_at=None), None) == BOOTING
    assert state_of(Fake(**alive, ready_at=1.0), None) == READY
    assert state_of(Fake(exit_code=None, stop_requested=True, ready_at=1.0), "restart") == STOPPING
    assert state_of(Fake(exit_code=-9, stop_requested=True, ready_at=1.0), "crash") == CRASHED
    assert state_of(Fake(exit_code=-9, stop_requested=True, ready_at=1.0), "close") == EXITED
    assert state_of(Fake(exit_code=0, stop_requested=True, ready_at=1.0), "restart") == EXITED
    assert state_of(Fake(exit_code=1, stop_requested=False, ready_at=1.0), None) == CRASHED  # died unasked


def test_the_text_table_aligns_its_columns():
    rows = [ProcessRow("web.1", 2, 4321, "web", READY, 3.25, 7, True),
            ProcessRow("web.1", 1, 99, "web", CRASHED, None, 12, False)]
    assert text_table(rows).splitlines() == ["name   #  pid   type  state    uptime  served",
                                             "web.1  2  4321  web   ready    3.2 s   7",
                                             "web.1  1  99    web   crashed  -       12"]


def test_a_coalescer_calls_once_per_batch_of_pokes():
    calls, called = [], threading.Event()
    release = threading.Event()

    def action():
        calls.append(len(calls))
        called.set()
        release.wait(5)

    coalescer = Coalescer(action, delay=0.01)
    for _ in range(40):
        coalescer.poke()
    assert called.wait(5)
    for _ in range(40):  # during the call: one more batch
        coalescer.poke()
    called.clear()
    release.set()
    assert called.wait(5)
    coalescer.close()
    coalescer.poke()
    assert calls == [0, 1]


def test_the_dashboard_displays_in_a_headless_kernel(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from conftest import APPS, ROOT
    from notebook_runs import kernel_sockets, unix_socket_kernels
    import os
    source = (f"import grader\nfrom grader.live import launch\n"
              f"with launch({str(APPS / 'hits' / 'redis_counter')!r}, workers=2) as cluster:\n"
              f"    cluster.post('/hits')\n    board = cluster.dashboard()\n    display(board)\n"
              f"board.controls.buttons['send'].click()\nprint(board.message_text)")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with kernel_sockets() as sockets:
        NotebookClient(notebook, timeout=60, kernel_name="python3",
                       kernel_manager_class=unix_socket_kernels(sockets)).execute(env=env, cwd=str(tmp_path))
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "stream"], outputs
    assert "application/vnd.jupyter.widget-view+json" in outputs[0].data
    assert "web.2  1" in outputs[0].data["text/plain"]
    assert outputs[1].text.strip() == STOPPED_MESSAGE
