"""One report, three renderings: text, HTML for notebooks, JSON for machines."""
import json
import re

from grader.checks.base import CheckResult
from grader.grading.report import Blocked, Report, sections

REPORT = Report("hits", "app/", 3, [
    CheckResult("agreement", "Every <worker> agrees", "failed", 0, 2, "web.1 said 2 & web.2 said 0\nnext step"),
    CheckResult("burst", "No lost updates", "passed", 2, 2, "none lost"),
    CheckResult("crash", "Crash", "could not grade", 0, 2, "web.1 exited with exit code 3"),
])

BOOT = "web.1 (pid 7) exited with exit code 3 before it was ready.\nKeyError: 'SETTINGS'"
BOOT_FAILURE = Report("hits", "app/", 0, [
    CheckResult("agreement", "Every worker agrees", "passed", 2, 2, "all agree"),
    CheckResult("restart_all", "Survives restarts", "could not grade", 0, 2, BOOT),
    CheckResult("crash", "Survives a <crash>", "could not grade", 0, 1, BOOT),
    CheckResult("burst", "No lost updates", "could not grade", 0, 2, BOOT),
])


def test_text_lists_every_check_with_its_mark_points_and_indented_feedback():
    text = REPORT.to_text()
    assert text.splitlines()[0] == "hits: 2/6 points (app/, seed 3)"
    assert "[FAIL] agreement (0/2): Every <worker> agrees\n    web.1 said 2 & web.2 said 0\n    next step" in text
    assert "[PASS] burst (2/2)" in text and "[NOT GRADED] crash (0/2)" in text
    assert str(REPORT) == text


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


def test_identical_could_not_grade_results_fold_into_one_blocked_section():
    folded = sections(BOOT_FAILURE.results)
    assert folded[0] is BOOT_FAILURE.results[0]
    assert folded[1] == Blocked(BOOT, tuple(BOOT_FAILURE.results[1:]))
    assert len(folded) == 2
    # a single could-not-grade, or differing reasons, stay ordinary rows
    assert sections(REPORT.results) == REPORT.results


def test_text_shows_a_boot_failure_once_with_the_checks_it_stopped_beneath():
    text = BOOT_FAILURE.to_text()
    assert text.count("exited with exit code 3") == 1
    banner = ("Could not grade 3 checks, all for the same reason:\n"
              "    web.1 (pid 7) exited with exit code 3 before it was ready.\n    KeyError: 'SETTINGS'\n\n"
              "[NOT GRADED] restart_all (0/2): Survives restarts\n"
              "[NOT GRADED] crash (0/1): Survives a <crash>\n"
              "[NOT GRADED] burst (0/2): No lost updates\n")
    assert banner in text
    assert text.index("[PASS] agreement") < text.index("Could not grade")


def test_html_shows_a_boot_failure_once_as_a_banner_row_above_the_checks():
    html = BOOT_FAILURE._repr_html_()
    assert html.count("exited with exit code 3") == 1
    assert html.count("<tr>") == 1 + 1 + 1 + 3  # header, agreement, banner, three stopped checks
    assert re.search(r'<td colspan="4"[^>]*border-left[^>]*><p[^>]*><b>Could not grade 3 checks', html)
    after = html[html.index("Could not grade"):]
    for name in ("restart_all", "crash", "burst"):
        assert f"<code>{name}</code>" in after
    assert after.count("Not graded: the reason is above.") == 3
    assert "Survives a &lt;crash&gt;" in html


def test_json_keeps_one_entry_per_check_with_its_feedback_even_when_folded():
    data = BOOT_FAILURE.to_dict()
    assert set(data) == {"exercise", "score", "max_score", "checks"}
    assert [check["feedback"] for check in data["checks"]] == ["all agree", BOOT, BOOT, BOOT]


def test_repr_is_the_score_and_one_short_line_per_check():
    assert repr(REPORT) == (
        "hits: 2/6 points (app/, seed 3)\n"
        "  FAIL        agreement  0/2\n"
        "  PASS        burst      2/2\n"
        "  NOT GRADED  crash      0/2\n"
        "print() this report to read what each check found.")
    assert "next step" not in repr(REPORT)


def test_html_cells_are_left_aligned_and_feedback_wraps_between_words():
    html = REPORT._repr_html_()
    cells = re.findall(r"<(t[hd])\b[^>]*>", html)
    assert len(cells) == 16
    styles = re.findall(r"<t[hd] [^>]*style=\"([^\"]*)\"", html)
    assert len(styles) == 16
    assert all("text-align:left" in style and "vertical-align:top" in style for style in styles)
    pres = re.findall(r"<pre style=\"([^\"]*)\"", html)
    assert len(pres) == 3
    for style in pres:
        assert "word-break:normal" in style and "overflow-wrap:break-word" in style
        assert "white-space:pre-wrap" in style
    assert "width:100%" in re.search(r"<table style=\"([^\"]*)\"", html).group(1)


def test_notes_about_the_input_come_first_in_every_rendering_but_not_in_json():
    note = "app.py was written at 10:00:00, but hits.ipynb was saved later <run that cell>"
    report = Report("hits", "app/", 0, REPORT.results, notes=(note,))
    assert report.to_text().splitlines()[1] == f"Note: {note}"
    assert repr(report).splitlines()[1] == f"Note: {note}"
    html = report._repr_html_()
    assert html.index("Note: app.py was written") < html.index("<table")
    assert "&lt;run that cell&gt;" in html
    assert json.loads(report.to_json()) == json.loads(REPORT.to_json())
    assert "Note:" not in REPORT.to_text() and "Note:" not in repr(REPORT)
