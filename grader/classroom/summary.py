"""What ``grader autograde`` tells the instructor: a table (or JSON) of every submission, and progress.

Statuses, from best to worst: ``graded`` (the notebook ran and was scored), ``repaired`` (graded after
the grader mended it; the notes say how), ``skipped`` (graded before; use --force), ``not run``,
``timed out`` and ``crashed`` (scored from the out-of-kernel verdicts, but the notebook did not run
to its end), ``unreadable`` (not a notebook: zero points).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from .record import Recorded

CLEAN = {"graded", "repaired", "skipped"}
NOTE_WIDTH = 100


@dataclass(frozen=True)
class Batch:
    assignment: str
    submissions: list[Recorded]
    seconds: float
    jobs: int
    where: str  # "this machine" or the scheduler's address

    @property
    def clean(self) -> bool:
        """Whether every submission was graded from a notebook that ran (the exit code is 0 then)."""
        return all(item.status in CLEAN for item in self.submissions)

    def to_dict(self) -> dict:
        return {"assignment": self.assignment, "jobs": self.jobs, "where": self.where,
                "seconds": round(self.seconds, 2),
                "submissions": [{"student": s.student, "score": s.score, "max_score": s.max_score,
                                 "status": s.status, "seconds": round(s.seconds, 2), "notes": s.notes}
                                for s in self.submissions]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        graded = [s for s in self.submissions if s.status != "skipped"]
        lines = [f"{self.assignment}: {len(graded)} submission{'s' if len(graded) != 1 else ''} graded in "
                 f"{self.seconds:.1f} s ({self.jobs} at a time, on {self.where})", ""]
        width = max([len("student")] + [len(s.student) for s in self.submissions])
        lines.append(f"{'student':<{width}}  {'score':>9}  {'status':<10}  {'seconds':>7}")
        for item in self.submissions:
            score = f"{_number(item.score)}/{_number(item.max_score)}"
            seconds = "" if item.status == "skipped" else f"{item.seconds:.1f}"
            lines.append(f"{item.student:<{width}}  {score:>9}  {item.status:<10}  {seconds:>7}")
        noted = [item for item in self.submissions if item.notes]
        if noted:
            lines += ["", "Notes:"]
            for item in noted:
                lines.append(f"  {item.student}:")
                for note in item.notes:  # a note's first paragraph, then any quoted lines (a log) as they are
                    said, _, quoted = note.partition("\n")
                    lines += [f"    - {_short(said)}"] + [f"      | {_clip(line)}" for line in quoted.splitlines()]
        counts = {}
        for item in self.submissions:
            counts[item.status] = counts.get(item.status, 0) + 1
        lines += ["", "Totals: " + ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))]
        return "\n".join(lines) + "\n"


def progress(total: int):
    """A tqdm bar on stderr, shown on a terminal only, and without a thread of its own (tqdm's
    monitor thread would make forking the jobs unsafe)."""
    from tqdm import tqdm
    tqdm.monitor_interval = 0
    return tqdm(total=total, unit="submission", file=sys.stderr, disable=None, dynamic_ncols=True,
                desc="grading")


def _short(note: str) -> str:
    """A note on one line (its whitespace collapsed), clipped."""
    return _clip(" ".join(note.split()))


def _clip(line: str) -> str:
    line = line.rstrip()
    return line if len(line) <= NOTE_WIDTH * 2 else line[:NOTE_WIDTH * 2 - 1] + "…"


def _number(value: float) -> str:
    return f"{value:g}"
