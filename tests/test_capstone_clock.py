"""The reference clock (the capstone's solution) keeps running when a cleanup takes longer than the
rest of its period, as it does on a loaded machine: the wait to the next period is never negative.

A classroom run on a busy CI machine once found the reference's clock dead after its first
cleanup (``ValueError: sleep length must be non-negative``), and the clock check scored 0; the
check was right. This test runs the clock's own loop in a real process with a cleanup slower than
the period, the backing services left out.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "apps" / "capstone" / "reference"

DRIVER = textwrap.dedent("""
    import os, sys, time, types
    os.environ["CLOCK_PERIOD"] = "0.2"
    store = types.ModuleType("store")  # no PostgreSQL here: the loop is what is tested
    store.create_schema = lambda: None
    sys.modules["store"] = store
    sys.path.insert(0, sys.argv[1])
    import clock

    periods = []

    def slow_cleanup(period):
        periods.append(period)
        if len(periods) == 4:
            print(" ".join(map(str, periods)))
            sys.exit(0)
        # a cleanup that ends past its period's end, late in the next one
        time.sleep(max(0.0, (period + 1.9) * clock.PERIOD - time.time()))

    clock.cleanup = slow_cleanup
    clock.main()
""")


def test_a_cleanup_slower_than_its_period_does_not_stop_the_clock():
    done = subprocess.run([sys.executable, "-c", DRIVER, str(REFERENCE)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr[-2000:]
    periods = [int(word) for word in done.stdout.split()]
    assert len(periods) == 4 and periods == sorted(set(periods)), periods
