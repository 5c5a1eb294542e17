"""Lesson 04.00, Build, Then Run: it runs headless in time, leaves nothing running, and what its
cells print is what its prose says they print (run once for the module by :mod:`notebook_runs`)."""
from __future__ import annotations

import re

import pytest

from notebook_runs import Run, execute

LESSON = "04.00-Build-Then-Run.ipynb"
BUDGET = 60.0  # seconds the whole lesson may take here
FINGERPRINTED = re.compile(r"^/dist/site\.[0-9a-f]{10}\.js$")


@pytest.fixture(scope="module")
def lesson(tmp_path_factory) -> Run:
    return execute(LESSON, tmp_path_factory.mktemp("lesson"))


@pytest.fixture
def claims(lesson) -> Run:
    return lesson.clean()


@pytest.mark.timeout(300)
def test_lesson_runs_without_errors_within_its_budget_and_leaves_nothing_running(lesson):
    assert not lesson.errors, "\n\n".join(lesson.errors)
    assert lesson.seconds <= BUDGET, f"{LESSON} took {lesson.seconds:.1f} s (budget {BUDGET:g} s)"


def test_naive_workers_each_link_their_own_script_which_the_others_do_not_have(claims):
    links = claims.value("claim-naive-links", "each worker links:")
    assert list(links) == ["web.1", "web.2", "web.3"] and len(set(links.values())) == 3, links
    assert all(re.match(r"^/dist/site\.\d{16}\.js$", link) for link in links.values()), links
    assert re.search(rf"^GET {re.escape(links['web.1'])} on web.2 returned 404 ",
                     claims.text("claim-naive-links"), re.MULTILINE)


def test_a_naive_restart_compiles_again_and_changes_only_that_workers_link(claims):
    assert claims.value("claim-naive-restart", "changed:") == ["web.1"]
    assert re.search(r"^the new web\.1 printed: web\.1 compiled dist/site\.\d+\.js$",
                     claims.text("claim-naive-restart"), re.MULTILINE)


def test_the_build_runs_once_and_every_worker_links_its_output_through_a_restart(claims):
    built = re.search(r"^the build printed: built dist/(site\.[0-9a-f]{10}\.js) from 2 scripts$",
                      claims.text("claim-built"), re.MULTILINE)
    assert built, claims.text("claim-built")
    expected = {name: f"/dist/{built[1]}" for name in ("web.1", "web.2", "web.3")}
    assert claims.value("claim-built", "each worker links:") == expected
    assert claims.value("claim-built", "after a restart:") == expected


def test_a_deploy_links_a_new_fingerprint_and_the_old_script_is_gone(claims):
    text = claims.text("claim-deploy")
    new = re.search(r"^release v2 built: built dist/(site\.[0-9a-f]{10}\.js) from 2 scripts$", text, re.MULTILINE)
    assert new, text
    links = claims.value("claim-deploy", "each worker links:")
    assert set(links.values()) == {f"/dist/{new[1]}"} and len(links) == 3
    old = re.search(r"^the old script: GET (\S+) on web\.\d returned 404", text, re.MULTILINE)
    assert old and FINGERPRINTED.match(old[1]) and old[1] != f"/dist/{new[1]}", text


def test_only_the_fingerprinted_script_is_both_cached_and_never_outdated(claims):
    counts = {way: claims.value("claim-cache", f"{way}:") for way in
              ("site.js, max-age 1 year", "site.js, not cached", "site.<fingerprint>.js, max-age 1 year")}
    assert counts == {"site.js, max-age 1 year": {"downloads": 1, "outdated views": 3},
                      "site.js, not cached": {"downloads": 6, "outdated views": 0},
                      "site.<fingerprint>.js, max-age 1 year": {"downloads": 2, "outdated views": 0}}


def test_the_caching_plot_draws_a_figure(claims):
    assert any("image/png" in output.get("data", {}) for output in claims.cell("claim-cache-plot").outputs)


def test_webassets_builds_an_md5_fingerprint_that_every_worker_links(claims):
    text = claims.text("claim-webassets")
    built = re.search(r"^the build printed: built (/dist/site\.[0-9a-f]{8}\.js)$", text, re.MULTILINE)
    assert built, text
    assert claims.value("claim-webassets", "each worker links:") == {f"web.{n}": built[1] for n in (1, 2, 3)}


def test_after_a_crash_the_naive_site_links_three_scripts_and_the_built_one_links_one(claims):
    assert claims.text("claim-playground").splitlines() == ["3 different script(s) linked",
                                                           "1 different script(s) linked"]


def test_the_naive_stylesheet_app_passes_only_cache_headers(claims):
    text = claims.text("claim-naive-css-report")
    marks = {name: mark for mark, name in re.findall(r"^\s*\[?(PASS|FAIL|NOT GRADED)\]?\s+(\w+)", text, re.MULTILINE)}
    assert marks == {"build": "FAIL", "bundle_order": "FAIL", "same_everywhere": "FAIL", "fingerprint": "FAIL",
                     "cache_headers": "PASS", "no_runtime_work": "FAIL"}, text
