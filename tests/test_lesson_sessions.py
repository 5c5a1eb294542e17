"""Lesson 02.00, Sessions Without Stickiness: it runs headless within its time budget, leaves nothing
running, and every claim its prose makes about an output is what that output shows (the lesson runs
once for the module, by :mod:`notebook_runs`)."""
from __future__ import annotations

import re

import nbformat
import pytest

from notebook_runs import COURSE, Run, execute

LESSON = "02.00-Sessions-Without-Stickiness.ipynb"
BUDGET = 60.0  # seconds the whole lesson may take, top to bottom, on a 2-core machine
SERVED = '200 {"count":1,"items":["tea"],"name":"alice"}'
REFUSED = '401 {"error":"sign in first"}'


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    return execute(LESSON, tmp_path_factory.mktemp("lesson"))


@pytest.fixture
def lesson(run) -> Run:
    return run.clean()


@pytest.mark.timeout(600)
def test_lesson_runs_within_its_budget_and_leaves_nothing_running(run):
    assert not run.errors, "\n\n".join(run.errors)
    assert run.seconds <= BUDGET, f"the lesson took {run.seconds:.1f} s"


def test_lesson_is_committed_clean_and_holds_no_solution_of_its_exercise():
    notebook = nbformat.read(COURSE / LESSON, as_version=4)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in notebook.cells if cell.cell_type == "code")
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    for route in ('"/login"', '"/me"', '"/cart"', '"/logout"'):
        assert route not in code, f"the lesson's code uses the exercise's route {route}"


@pytest.mark.timeout(600)
def test_one_process_serves_alice_her_basket(lesson):
    assert lesson.line("claim-one-worker", "GET /basket on web.1 returned") == SERVED
    assert re.fullmatch(r"[\w-]{22}", lesson.line("claim-one-worker", "alice's cookie:"))


@pytest.mark.timeout(600)
def test_round_robin_serves_only_the_requests_that_reach_the_sign_in_worker_before_its_restart(lesson):
    visit = lesson.value("claim-round-robin", "round robin:")
    assert [worker for worker, _ in visit] == ["web.1", "web.2", "web.3"] * 3
    assert [status for _, status in visit] == [200, 401, 401, 200, 401, 401, 401, 401, 401]


@pytest.mark.timeout(600)
def test_sticky_routing_serves_alice_on_web_3_until_it_restarts(lesson):
    visit = lesson.value("claim-sticky", "sticky:")
    assert {worker for worker, _ in visit} == {"web.3"}
    assert [status for _, status in visit] == [200] * 5 + [401] * 4


@pytest.mark.timeout(600)
def test_a_crash_and_a_scale_down_each_empty_a_sticky_basket(lesson):
    faults = "claim-sticky-faults"
    for event in ("crash", "scale-down"):
        assert lesson.line(faults, f"before the {event}:") == f"GET /basket on web.3 returned {SERVED}"
    assert lesson.line(faults, "after the crash:") == f"GET /basket on web.3 returned {REFUSED}"
    assert lesson.line(faults, "after the scale-down:") == f"GET /basket on web.2 returned {REFUSED}"


@pytest.mark.timeout(600)
def test_the_plots_draw_figures(lesson):
    for tag in ("claim-plot-visits", "claim-plot-all"):
        assert any("image/png" in output.get("data", {}) for output in lesson.cell(tag).outputs), tag


@pytest.mark.timeout(600)
def test_a_signed_cookie_session_works_on_every_worker_and_after_a_restart(lesson):
    text = lesson.text("claim-cookie-shop")
    assert 'POST /basket on web.2 returned 200 {"count":1,"items":["tea"],"name":"alice"}' in text
    assert 'POST /basket on web.3 returned 200 {"count":2,"items":["tea","jam"],"name":"alice"}' in text
    assert lesson.line("claim-cookie-shop", "after restarting every worker:") == \
        'GET /basket on web.1 returned 200 {"count":2,"items":["tea","jam"],"name":"alice"}'


@pytest.mark.timeout(600)
def test_anyone_can_read_the_cookie_but_an_edited_one_is_refused(lesson):
    assert lesson.line("claim-peek", "the cookie:").count(".") == 2
    assert lesson.value("claim-peek", "inside:") == {"items": ["tea", "jam"], "name": "alice"}
    assert lesson.text("claim-tamper").strip().endswith(f"returned {REFUSED}")


@pytest.mark.timeout(600)
def test_signing_out_cannot_revoke_a_copy_of_a_signed_cookie(lesson):
    assert lesson.line("claim-replay", "alice:").endswith(f"returned {REFUSED}")
    assert lesson.line("claim-replay", "the copy:").endswith(f"returned {SERVED}")


@pytest.mark.timeout(600)
def test_a_key_made_at_import_is_refused_by_every_other_worker(lesson):
    assert lesson.text("claim-random-key-source").strip() == \
        "app.secret_key = os.urandom(24)  # a new random key in every process, at import"
    lines = lesson.text("claim-random-key").splitlines()
    assert lines[0] == 'POST /signin on web.1 returned 200 {"name":"alice"}'
    assert lines[1:] == [f"GET /basket on web.2 returned {REFUSED}", f"GET /basket on web.3 returned {REFUSED}",
                         'GET /basket on web.1 returned 200 {"count":0,"items":[],"name":"alice"}']


@pytest.mark.timeout(600)
def test_sessions_in_redis_serve_the_whole_visit_on_every_worker(lesson):
    visit = lesson.value("claim-redis-visit", "in Redis:")
    assert [worker for worker, _ in visit] == ["web.1", "web.2", "web.3"] * 3
    assert {status for _, status in visit} == {200}


@pytest.mark.timeout(600)
def test_the_store_holds_the_session_under_the_cookies_id_and_each_request_slides_its_expiry(lesson):
    cookie = lesson.line("claim-store", "the cookie:")
    created = re.search(r"^session:(\S+) expires in ([\d.]+) s$", lesson.text("claim-store"), re.MULTILINE)
    assert created[1] == cookie and "." not in cookie  # an id, not signed data
    later = float(lesson.line("claim-store", "a second later:").rstrip(" s"))
    renewed = float(lesson.line("claim-store", "after a request:").rstrip(" s"))
    assert float(created[2]) == 2.0 and 0.5 <= later <= 1.2 and renewed >= 1.8


@pytest.mark.timeout(600)
def test_an_active_session_outlives_the_timeout_and_an_idle_one_does_not(lesson):
    assert lesson.line("claim-idle", "alice:").endswith('returned 200 {"count":0,"items":[],"name":"alice"}')
    assert lesson.line("claim-idle", "bob:").endswith(f"returned {REFUSED}")


@pytest.mark.timeout(600)
def test_signing_out_of_a_server_side_session_revokes_every_copy(lesson):
    copies = [line for line in lesson.text("claim-server-replay").splitlines() if line.startswith("the copy:")]
    assert len(copies) == 2 and all(line.endswith(f"returned {REFUSED}") for line in copies)
    assert len({re.search(r"on (web\.\d)", line)[1] for line in copies}) == 2  # on two workers


@pytest.mark.timeout(600)
def test_playground_memory_shop_counts_one_scone_on_web_1_and_redis_shop_three_everywhere(lesson):
    assert lesson.value("claim-playground", "memory_shop:") == {"web.1": 1, "web.2": None, "web.3": None}
    assert lesson.value("claim-playground", "redis_shop:") == {"web.1": 3, "web.2": 3, "web.3": 3}
