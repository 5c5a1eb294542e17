"""The assets checks against purpose-built apps: right apps pass, each wrong app fails the check it
should, with feedback that names the worker, the moment and the path."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.checks.assets.css import edit_rule, normalize, order_problem, stylesheet_links
from grader.checks.assets.serving import made_up_url, max_age
from grader.grading import grade
from grader.platform.source import AppSource, load

APPS = Path(__file__).parent / "apps" / "assets"
CHECKS = ("build", "bundle_order", "same_everywhere", "fingerprint", "cache_headers", "no_runtime_work")


def statuses(report) -> dict[str, str]:
    return {result.name: result.status for result in report.results}


def only_failing(report, *names: str) -> None:
    """Exactly ``names`` failed; every other check passed."""
    expected = {name: "failed" if name in names else "passed" for name in CHECKS}
    assert statuses(report) == expected, report.to_text()


@pytest.mark.parametrize("seed", range(20))
def test_correct_app_gets_full_marks_on_every_seed(seed):
    report = grade("assets", APPS / "hashed", seed=seed)
    assert report.score == report.max_score == 10, report.to_text()


@pytest.mark.parametrize("app", ["minified", "webassets_bundle"])
def test_other_correct_builds_minified_or_made_with_webassets_get_full_marks(app):
    report = grade("assets", APPS / app)
    assert report.score == report.max_score == 10, report.to_text()
    assert "The fingerprint is the start of the bundle's MD5." in report.result("fingerprint").feedback


def test_the_passing_feedback_says_what_the_build_made_and_what_the_workers_read():
    report = grade("assets", APPS / "hashed")
    assert report.result("build").feedback.startswith("build.py ran once (")
    assert "wrote static/manifest.json and static/app." in report.result("build").feedback
    fingerprint = report.result("fingerprint").feedback
    assert "Editing one rule of assets/03-theme.css changed the bundle's name from app." in fingerprint
    assert "The fingerprint is the start of the bundle's SHA-256." in fingerprint
    assert "only read static/manifest.json and static/app." in report.result("no_runtime_work").feedback


def test_bundling_at_import_into_the_app_folder_fails_no_runtime_work_naming_the_paths():
    report = grade("assets", APPS / "bundle_at_import")
    only_failing(report, "no_runtime_work")
    feedback = report.result("no_runtime_work").feedback
    assert ("web.1, while starting (importing app.py): read the build's sources assets/01-base.css, "
            "assets/02-layout.css and assets/03-theme.css; wrote static/app.") in feedback
    assert "static/manifest.json in its own copy of the release" in feedback
    assert "Move every step that reads assets/ or writes a file into build.py" in feedback
    assert "TMPDIR is scratch space" not in feedback


def test_bundling_lazily_into_tmpdir_fails_no_runtime_work_at_the_first_request():
    report = grade("assets", APPS / "lazy_tmpdir")
    only_failing(report, "no_runtime_work")
    feedback = report.result("no_runtime_work").feedback
    assert "web.1, during GET /: read the build's sources assets/01-base.css" in feedback
    assert "wrote $TMPDIR/app." in feedback and ".css in its TMPDIR" in feedback
    assert "while starting" not in feedback
    assert "TMPDIR is scratch space for a single request, not a cache between requests." in feedback


def test_recompiling_when_a_source_is_newer_fails_no_runtime_work():
    report = grade("assets", APPS / "mtime_recompile")
    only_failing(report, "no_runtime_work")
    feedback = report.result("no_runtime_work").feedback
    assert "web.2, during GET /: read the build's sources" in feedback
    assert "static/manifest.json in its own copy of the release" in feedback


@pytest.mark.parametrize("app", ["fingerprint_random", "fingerprint_time"])
def test_a_fingerprint_from_randomness_or_the_clock_fails_when_the_same_sources_are_built_again(app):
    report = grade("assets", APPS / app)
    only_failing(report, "fingerprint")
    feedback = report.result("fingerprint").feedback
    assert "Last, it built the original sources once more, with no change at all." in feedback
    assert "although the same sources had given app." in feedback
    assert "the time of the build, or a random number" in feedback


def test_a_bundle_without_a_fingerprint_fails_fingerprint():
    report = grade("assets", APPS / "no_fingerprint")
    only_failing(report, "fingerprint")
    assert "It names app.css, a name without a fingerprint (app.<hex digits>.css)." in \
        report.result("fingerprint").feedback


def test_build_output_outside_the_release_fails_build_naming_where_it_went():
    report = grade("assets", APPS / "output_outside_release")
    build = report.result("build")
    assert build.status == "failed"
    assert "static/manifest.json maps \"app.css\" to '$TMPDIR/built-assets/app." in build.feedback
    assert ("Outside it, build.py wrote $TMPDIR/built-assets/app." in build.feedback
            and "(the build's temporary folder); nothing outside the release ships with it." in build.feedback)
    assert "not in a temporary folder or in HOME" in build.feedback
    assert "$TMPDIR/tmp" not in build.feedback  # tempfile's own probe file, removed again, is not listed
    # what needs the release's bundle says where to look; what does not, passes
    assert "The check `build` says what happened" in report.result("same_everywhere").feedback
    assert report.result("cache_headers").status == report.result("no_runtime_work").status == "passed"


def test_sources_bundled_in_another_order_fail_bundle_order():
    report = grade("assets", APPS / "wrong_order")
    only_failing(report, "bundle_order")
    assert ("in the order assets/01-base.css, assets/03-theme.css, assets/02-layout.css, not in file-name "
            "order") in report.result("bundle_order").feedback


def test_flasks_default_no_cache_fails_cache_headers():
    report = grade("assets", APPS / "short_cache")
    only_failing(report, "cache_headers")
    assert "It answered with Cache-Control: no-cache." in report.result("cache_headers").feedback
    assert "max_age=31536000" in report.result("cache_headers").feedback


def test_serving_the_bundle_under_any_fingerprint_fails_cache_headers():
    report = grade("assets", APPS / "any_name", seed=3)
    only_failing(report, "cache_headers")
    feedback = report.result("cache_headers").feedback
    assert f"Then it asked for {made_up_url('/static/app.e8765191b1.css', 3)}, a name no build made." in feedback
    assert "returned 200" in feedback and "answer 404 for any other name" in feedback


def test_a_name_stamped_at_start_up_makes_the_workers_disagree():
    report = grade("assets", APPS / "stamp_at_import", ["same_everywhere", "no_runtime_work"])
    same = report.result("same_everywhere").feedback
    assert "The workers link different stylesheets: web.1 links /static/app." in same
    # web.1's stylesheet, asked of the first worker that links another (which one depends on when
    # each worker started, so under load it need not be web.2)
    other = re.search(r"on (web\.\d+) returned 404", same)
    assert other and other.group(1) != "web.1", same
    assert re.search(rf"{re.escape(other.group(1))} links /static/app\.", same), same
    assert "Factor VI: processes are interchangeable" in same
    runtime = report.result("no_runtime_work").feedback
    assert "web.1, while starting (importing app.py): read the build's sources" in runtime
    assert "wrote" not in runtime.split("\n")[2]


def test_an_app_without_build_py_fails_build_and_says_what_to_write():
    report = grade("assets", APPS / "no_build", ["build"])
    feedback = report.result("build").feedback
    assert "There is no build.py among your files (app.py, assets/01-base.css" in feedback
    assert 'writes static/manifest.json mapping "app.css" to that file name' in feedback


def test_a_bundle_that_came_with_the_files_instead_of_from_build_py_fails_build():
    files = dict(load(APPS / "hashed").files)
    files["build.py"] = b"print('nothing to do')\n"
    files["static/manifest.json"] = b'{"app.css": "app.0123456789.css"}'
    files["static/app.0123456789.css"] = b"body { color: red }\n"
    report = grade("assets", AppSource("stale", files), ["build"])
    feedback = report.result("build").feedback
    assert report.result("build").status == "failed"
    assert ("static/manifest.json and static/app.0123456789.css are in the release, but build.py did not "
            "write them: they came with your files") in feedback


def test_an_untouched_exercise_cannot_be_graded_and_shows_the_build_error():
    files = dict(load(APPS / "hashed").files)
    files["build.py"] = files["app.py"] = b"# YOUR CODE HERE\nraise NotImplementedError()\n"
    report = grade("assets", AppSource("release", files))
    assert {result.status for result in report.results} == {"could not grade"}
    assert "NotImplementedError" in report.results[0].feedback and report.score == 0


# -- the helpers the checks rely on ---------------------------------------------------------------
def test_stylesheets_compare_ignoring_comments_whitespace_and_the_last_semicolon():
    assert normalize(b"/* a */ body {\n  color: red;\n}\n") == normalize(b"body{color:red}")
    assert normalize(b"body { color: red }") != normalize(b"body { color: blue }")


def test_order_problem_tells_a_reordered_bundle_from_one_missing_a_source(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.css").write_text("a { color: red }")
    (tmp_path / "assets" / "b.css").write_text("b { color: blue }")
    assert order_problem(b"a{color:red}\nb{color:blue}", tmp_path) is None
    assert "in the order assets/b.css, assets/a.css" in order_problem(b"b{color:blue}a{color:red}", tmp_path)
    assert order_problem(b"a{color:red}", tmp_path) == "it lacks the rules of assets/b.css"


def test_the_grader_edits_a_rule_not_only_whitespace():
    edited, what = edit_rule("/* theme */\nh1 { color: #0b6e4f }\na { x: y; }\n", "abc123")
    assert edited.startswith("/* theme */\nh1 { color: #0b6e4f; --factor-six-probe: abc123; }")
    assert what == "added `--factor-six-probe: abc123;` to the rule `h1`"
    assert normalize(edited.encode()) != normalize(b"h1{color:#0b6e4f}a{x:y}")
    empty, what = edit_rule("/* nothing yet */\n", "abc123")
    assert ".factor-six-probe { --factor-six-probe: abc123; }" in empty and what.startswith("added the rule")


def test_links_cache_headers_and_made_up_names_are_read_as_a_browser_would():
    page = '<link rel="icon" href="/x.ico"><link REL="Stylesheet" href="/static/app.ab12cd34ef.css">'
    assert stylesheet_links(page) == ["/static/app.ab12cd34ef.css"]
    assert max_age("public, max-age=31536000, immutable") == 31536000
    assert max_age("no-cache") is None
    fake = made_up_url("/static/app.ab12cd34ef.css", 0)
    assert fake.startswith("/static/app.") and fake != "/static/app.ab12cd34ef.css" and len(fake) == 26
