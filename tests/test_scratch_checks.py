"""The scratch checks against purpose-built apps: right apps pass, each wrong app fails the check it
should, with feedback that names what it did wrong.

The 64 MB download of ``bounded_memory`` is the slow part of a run, so the every-seed test leaves it
out; the full exercise, that check included, runs once per correct app.
"""
from __future__ import annotations

import csv
import io
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest

from grader.checks import EXERCISES
from grader.checks.scratch.data import BAD_WORDS, COLUMNS, broken, large, small
from grader.checks.scratch.load import THREADS
from grader.grading import grade
from grader.platform import Platform
from grader.platform.source import load

APPS = Path(__file__).parent / "apps" / "scratch"
REFERENCE = APPS / "redis_reports"
ALL_BUT_MEMORY = [check.name for check in EXERCISES["scratch"] if check.name != "bounded_memory"]
FULL_MARKS = sum(check.points for check in EXERCISES["scratch"])


def statuses(report) -> dict[str, str]:
    return {result.name: result.status for result in report.results}


def feedback(app: str, check: str, **options) -> str:
    """The feedback of one check that must fail."""
    result = grade("scratch", APPS / app, [check], **options).result(check)
    assert result.status == "failed", result.feedback
    return result.feedback


def summary(body: bytes) -> tuple[int, Decimal]:
    reader = csv.DictReader(io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline=""))
    rows = list(reader)
    return len(rows), sum((Decimal(row["amount"]) for row in rows), Decimal(0))


# -- the files the checks publish -----------------------------------------------------------------
def test_a_small_file_is_a_real_csv_whose_figures_are_known_in_advance():
    data = small(random.Random(7))
    assert summary(data.body.bytes()) == (data.rows, data.total)
    text = data.body.bytes().decode()
    assert '"' in text and any(ord(char) > 127 for char in text)  # quoting and non-ASCII text
    assert text.count("\n") > data.rows + 1  # some quoted fields hold a line break


def test_a_large_file_is_at_least_its_size_and_costs_one_block_of_memory():
    data = large(random.Random(7), 64 * 2**20)
    assert data.body.size >= 64 * 2**20 and len(data.body.block) < 2**20
    assert data.rows == 256 * data.body.count
    assert summary(data.body.head + data.body.block * 3) == (256 * 3, data.total / data.body.count * 3)


@pytest.mark.parametrize("fault", ["no amount column", "not UTF-8", *BAD_WORDS])
def test_a_broken_file_breaks_in_its_middle_and_says_where(fault):
    bad = broken(random.Random(3), fault)
    text = bad.body.bytes()
    if fault == "not UTF-8":
        with pytest.raises(UnicodeDecodeError):
            text.decode()
        assert text.index(b"Caf\xe9") > len(text) // 3
    elif fault == "no amount column":
        assert "amount" not in text.decode().splitlines()[0].split(",") and "without an amount column" in bad.fault
    else:
        lines = text.decode().splitlines()
        assert len(lines) == 1201 and BAD_WORDS[fault] in lines[601].split(",")  # line 602 of the file
        assert f"{BAD_WORDS[fault]!r} on line 602" in bad.fault
    assert set(COLUMNS) - {"amount"} <= set(text.decode("latin-1").splitlines()[0].split(","))


# -- right apps ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(20))
def test_reference_app_passes_every_check_but_the_64_mb_one_on_every_seed(seed):
    report = grade("scratch", REFERENCE, ALL_BUT_MEMORY, seed=seed)
    assert report.score == report.max_score == FULL_MARKS - 2, report.to_text()


@pytest.mark.parametrize("app", ["redis_reports", "sqlite_streamed"])
def test_correct_apps_get_full_marks_including_a_64_mb_download_in_bounded_memory(app):
    report = grade("scratch", APPS / app, seed=5)
    assert report.score == report.max_score == FULL_MARKS, report.to_text()
    assert "raised web.1's peak memory by" in report.result("bounded_memory").feedback


def test_threaded_workers_are_a_cluster_option_that_leaves_other_clusters_alone():
    with Platform(load(REFERENCE)) as platform:
        threaded, plain = platform.cluster({"web": 1}), platform.cluster({"web": 1})
        threaded.gunicorn_args = THREADS
        threaded.restart("web.1")
        for cluster in (threaded, plain):
            assert cluster.get("/reports/nothing", worker="web.1").status == 404
        logs = [cluster.workers["web.1"].current.stderr.read_text() for cluster in (threaded, plain)]
    assert "Using worker: gthread" in logs[0]
    assert "Using worker: sync" in logs[1] and "gthread" not in logs[1]


# -- wrong apps, each failing the check it should --------------------------------------------------
def test_whole_body_in_memory_fails_bounded_memory_by_far():
    text = feedback("whole_body", "bounded_memory")
    assert re.search(r"a 64\.\d MB CSV of \d+ rows", text) and "measured the process's peak memory (VmHWM)" in text
    peak = float(text.split("Its memory peaked ", 1)[1].split(" MB", 1)[0])
    assert peak > 64, text  # the whole file, and more
    assert "at most 16.0 MB was allowed" in text and "Never response.read()" in text


def test_a_temporary_file_left_behind_fails_scratch_empty_naming_the_file():
    report = grade("scratch", APPS / "temp_file_left", ["scratch_empty", "every_worker"])
    assert statuses(report) == {"scratch_empty": "failed", "every_worker": "passed"}
    text = report.result("scratch_empty").feedback
    assert "returned 201: $TMPDIR/tmp" in text and ".csv (" in text and "the downloaded file itself" in text
    assert "They pile up: web.1 and web.2 kept one more with every report." in text
    assert "tempfile.TemporaryDirectory() as scratch:" in text


@pytest.mark.parametrize("seed", range(3))
def test_a_fixed_scratch_path_mixes_two_reports_made_at_once(seed):
    report = grade("scratch", APPS / "fixed_scratch_path", ["concurrent", "scratch_empty"], seed=seed)
    assert statuses(report) == {"concurrent": "failed", "scratch_empty": "passed"}, report.to_text()
    text = report.result("concurrent").feedback
    assert "ran web.1 with `gunicorn --threads 4`" in text and "The file server made sure both downloads were under way at once." in text
    assert "Both requests wrote the same scratch file: $TMPDIR/download.csv." in text
    assert "never a fixed name such as $TMPDIR/download.csv" in text


def test_totals_in_a_module_level_variable_mix_two_reports_made_at_once():
    text = feedback("shared_totals", "concurrent")
    assert "The two reports got mixed up:" in text and "north.csv: report " in text
    assert "same scratch file" not in text and "never in module-level ones" in text


def test_reports_in_process_memory_are_not_found_elsewhere_nor_after_a_restart():
    report = grade("scratch", APPS / "results_in_memory", ["every_worker", "restart_all", "fresh_download"])
    assert statuses(report) == {"every_worker": "failed", "restart_all": "failed", "fresh_download": "passed"}
    text = report.result("every_worker").feedback
    assert "Different reports got the same id (web.1 gave id 1, web.2 gave id 1, web.3 gave id 1)" in text
    assert "the figures of the report web.2 made, not of the one web.1 made" in text
    assert "a counter in its own memory" in text and "REDIS_URL or DATABASE_URL" in text
    restart = report.result("restart_all").feedback
    assert "GET /reports/1 on web.1 returned 404 (the report was made by web.1)" in restart
    assert "A restarted process starts with empty memory and an empty disk" in restart


def test_ids_from_a_counter_in_each_process_overwrite_reports_in_the_shared_store():
    report = grade("scratch", APPS / "counter_ids", ["every_worker"])
    text = report.result("every_worker").feedback
    assert report.result("every_worker").status == "failed"
    assert "Different reports got the same id (web.1 gave id 1, web.2 gave id 1, web.3 gave id 1)" in text
    assert "every worker answers with the report web.3 made" in text
    assert "overwrote" in text and "a counter in each process's memory" in text
    assert "keeps its reports there too" not in text  # the reports are in the store: only the ids are not
    assert "INCR in Redis" in text


def test_reports_in_a_local_file_are_found_only_where_they_were_made_and_named_as_lasting_state():
    report = grade("scratch", APPS / "results_in_local_file", ["every_worker", "no_local_state"])
    assert statuses(report) == {"every_worker": "failed", "no_local_state": "failed"}
    assert "Only the worker that made a report could find it:" in report.result("every_worker").feedback
    disk = report.result("no_local_state").feedback
    assert "web.1 kept state in reports.json, writing it and reading it back (its working directory" in disk


def test_a_download_cache_gives_a_stale_report_and_fills_the_scratch_space():
    report = grade("scratch", APPS / "download_cache", ["fresh_download", "scratch_empty", "no_local_state"])
    assert statuses(report) == {"fresh_download": "failed", "scratch_empty": "failed", "no_local_state": "passed"}
    stale = report.result("fresh_download").feedback
    assert "the figures of the old file" in stale and "the file server saw one download of it" in stale
    assert "Download the file afresh for every report" in stale
    assert "$TMPDIR/cache/" in report.result("scratch_empty").feedback


def test_a_bad_csv_that_raises_gets_500_and_leaves_its_download_behind():
    report = grade("scratch", APPS / "crash_on_bad_csv", ["bad_csv", "scratch_empty"])
    assert statuses(report) == {"bad_csv": "failed", "scratch_empty": "passed"}
    text = report.result("bad_csv").feedback
    assert "a header row without an amount column (" in text
    assert "instead of 422: the code raised an exception; left $TMPDIR/tmp" in text
    assert "the amount 'NaN' on line 602" in text and "instead of 422, and stored a report" in text
    assert 'File "app.py", line' in text and "site-packages" not in text
    assert "Catch what a bad file raises" in text and "tempfile.TemporaryDirectory()" in text


def test_nan_and_infinite_amounts_accepted_by_float_are_named():
    text = feedback("accepts_nan", "bad_csv")
    assert "the amount 'NaN' on line 602" in text and "the amount '-Infinity' on line 602" in text
    assert "'n/a'" not in text and "raised an exception" not in text
    assert "refuse any amount that is not finite (math.isfinite(x)" in text
    assert "store the report once" not in text  # accepting was the bug, not the order of the steps


def test_a_report_stored_before_the_file_is_checked_is_named_by_its_key():
    text = feedback("stores_before_checking", "bad_csv")
    assert "stored something: Redis hash 'report:" in text and "appeared, holding 2 entries" in text
    assert "store the report once, at the very end" in text


def test_a_file_url_must_not_be_read_from_the_servers_own_disk():
    text = feedback("reads_file_urls", "bad_url")
    assert "a file:// URL (file:///" in text and "instead of 502, and stored a report" in text
    assert "urlopen also opens file:// URLs" in text
    wrong = text.split("What went wrong:", 1)[1].split("A download can fail", 1)[0]
    assert wrong.count("sent to web.") == 1, wrong  # the other three URLs were refused as they should be


def test_splitting_lines_on_commas_is_told_the_file_is_valid_and_to_use_the_csv_module():
    text = feedback("splits_on_commas", "every_worker")
    assert "It returned 422 with body" in text and "The file is valid:" in text
    assert "read rows with the csv module, not with split(\",\")" in text


def test_counting_lines_instead_of_rows_is_told_apart_from_a_factor_vi_failure():
    text = feedback("counts_lines", "every_worker")
    assert "Some reports have the wrong figures:" in text and "Factor VI" not in text
    assert "rows counts records, not lines: a quoted field may hold a line break" in text
