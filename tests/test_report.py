"""One report, three renderings: text, HTML for notebooks, JSON for machines."""
import json

from grader.checks.base import CheckResult
from grader.report import Report

REPORT = Report("hits", "app/", 3, [
    CheckResult("agreement", "Every <worker> agrees", "failed", 0, 2, "web.1 said 2 & web.2 said 0\nnext step"),
    CheckResult("burst", "No lost updates", "passed", 2, 2, "none lost"),
    CheckResult("crash", "Crash", "could not grade", 0, 2, "web.1 exited with exit code 3"),
])


def test_text_lists_every_check_with_its_mark_points_and_indented_feedback():
    text = REPORT.to_text()
    assert text.splitlines()[0] == "hits: 2/6 points (app/, seed 3)"
    assert "[FAIL] agreement (0/2): Every <worker> agrees\n    web.1 said 2 & web.2 said 0\n    next step" in text
    assert "[PASS] burst (2/2)" in text and "[NOT GRADED] crash (0/2)" in text


def test_html_escapes_learner_text():
    html = REPORT._repr_html_()
    assert "Every &lt;worker&gt; agrees" in html and "web.2 said 0" in html and "&amp;" in html
    assert "<worker>" not in html
    assert html.count("<tr>") == 4


def test_json_has_the_documented_fields_and_keeps_could_not_grade_apart():
    data = json.loads(REPORT.to_json())
    assert (data["exercise"], data["score"], data["max_score"]) == ("hits", 2, 6)
    assert [c["passed"] for c in data["checks"]] == [False, True, False]
    assert data["checks"][2]["status"] == "could not grade"
    assert not REPORT.passed
