"""What ``grader autograde`` tells the instructor: a table (or JSON) of every submission, and progress.

Statuses, from best to worst: ``graded`` (the notebook ran and was scored), ``repaired`` (graded after
the grader mended it; the notes say how), ``skipped`` (graded before; use --force), ``not run``,
``timed out`` and ``crashed`` (scored from the out-of-kernel verdicts, but the notebook did not run
to its end), ``unreadable`` (not a notebook: zero points). The statuses are identifiers (the JSON
keeps them as they are); the table says them, its headings and the notes in the batch's language.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from ..i18n import N_, Text, _, _n, render, translate
from .record import Recorded

CLEAN = {"graded", "repaired", "skipped"}
NOTE_WIDTH = 100
STATUSES = {"graded": N_("graded"), "repaired": N_("repaired"), "skipped": N_("skipped"), "not run": N_("not run"),
            "timed out": N_("timed out"), "crashed": N_("crashed"), "unreadable": N_("unreadable"),
            "error": N_("error")}
HEADINGS = {"student": N_("student"), "score": N_("score"), "status": N_("status"), "seconds": N_("seconds")}
# The totals line, by status: whole phrases, so that a language can make the word agree with the count.
TOTALS = {"graded": lambda count: _n("{count} graded", "{count} graded", count),
          "repaired": lambda count: _n("{count} repaired", "{count} repaired", count),
          "skipped": lambda count: _n("{count} skipped", "{count} skipped", count),
          "not run": lambda count: _n("{count} not run", "{count} not run", count),
          "timed out": lambda count: _n("{count} timed out", "{count} timed out", count),
          "crashed": lambda count: _n("{count} crashed", "{count} crashed", count),
          "unreadable": lambda count: _n("{count} unreadable", "{count} unreadable", count),
          "error": lambda count: _n("{count} error", "{count} error", count)}


@dataclass(frozen=True)
class Batch:
    assignment: str
    submissions: list[Recorded]
    seconds: float
    jobs: int
    where: str  # "this machine" or the scheduler's address
    lang: str = "en"  # the language of the table and the notes
    startup: dict | None = None  # {"wall": s, "cpu": s} from this process's start to the first job
    own_cpu: float = 0.0  # CPU seconds of the autograde process itself, start-up included (not its jobs)

    @property
    def clean(self) -> bool:
        """Whether every submission was graded from a notebook that ran (the exit code is 0 then)."""
        return all(item.status in CLEAN for item in self.submissions)

    def to_dict(self, lang: str | None = None) -> dict:
        """Plain data; the notes in ``lang`` (by default the batch's language), the statuses as they are."""
        lang = lang or self.lang
        return {"assignment": self.assignment, "jobs": self.jobs, "where": self.where,
                "seconds": round(self.seconds, 2),
                "submissions": [{"student": s.student, "score": s.score, "max_score": s.max_score,
                                 "status": s.status, "seconds": round(s.seconds, 2),
                                 "notes": [render(note, lang) for note in s.notes], "profile": s.profile}
                                for s in self.submissions],
                "startup": self.startup, "own_cpu": round(self.own_cpu, 3)}

    def to_json(self, lang: str | None = None) -> str:
        return json.dumps(self.to_dict(lang), indent=2)

    def to_text(self, lang: str | None = None) -> str:
        """The table, the notes and the totals, in ``lang`` (by default the batch's language)."""
        lang = lang or self.lang

        def say(text: str) -> str:
            return translate(text, lang)

        def status(item: Recorded) -> str:
            return say(STATUSES[item.status]) if item.status in STATUSES else item.status

        graded = [s for s in self.submissions if s.status != "skipped"]
        lines = [_n("{assignment}: {count} submission graded in {seconds:.1f} s ({jobs} at a time, on {where})",
                    "{assignment}: {count} submissions graded in {seconds:.1f} s ({jobs} at a time, on {where})",
                    len(graded), assignment=self.assignment, seconds=self.seconds, jobs=self.jobs,
                    where=say(self.where)).render(lang), ""]
        heading = {key: say(text) for key, text in HEADINGS.items()}
        width = max([len(heading["student"])] + [len(s.student) for s in self.submissions])
        widths = {"score": max(9, len(heading["score"])), "seconds": max(7, len(heading["seconds"])),
                  "status": max([10, len(heading["status"])] + [len(status(s)) for s in self.submissions])}
        lines.append(f"{heading['student']:<{width}}  {heading['score']:>{widths['score']}}  "
                     f"{heading['status']:<{widths['status']}}  {heading['seconds']:>{widths['seconds']}}")
        for item in self.submissions:
            score = f"{_number(item.score)}/{_number(item.max_score)}"
            seconds = "" if item.status == "skipped" else f"{item.seconds:.1f}"
            lines.append(f"{item.student:<{width}}  {score:>{widths['score']}}  {status(item):<{widths['status']}}  "
                         f"{seconds:>{widths['seconds']}}")
        noted = [item for item in self.submissions if item.notes]
        if noted:
            lines += ["", say(N_("Notes:"))]
            for item in noted:
                lines.append(f"  {item.student}:")
                for note in item.notes:  # a note's first paragraph, then any quoted lines (a log) as they are
                    said, _newline, quoted = render(note, lang).partition("\n")
                    lines += [f"    - {_short(said)}"] + [f"      | {_clip(line)}" for line in quoted.splitlines()]
        counts = {}
        for item in self.submissions:
            counts[item.status] = counts.get(item.status, 0) + 1
        totals = Text([TOTALS[status](count) if status in TOTALS else f"{count} {status}"
                       for status, count in sorted(counts.items())], ", ")
        lines += ["", _("Totals: {counts}", counts=totals).render(lang)]
        return "\n".join(lines) + "\n"


def progress(total: int, lang: str = "en"):
    """A tqdm bar on stderr, shown on a terminal only, and without a thread of its own (tqdm's
    monitor thread would make forking the jobs unsafe)."""
    from tqdm import tqdm
    tqdm.monitor_interval = 0
    return tqdm(total=total, unit=translate(N_("submission"), lang), file=sys.stderr, disable=None,
                dynamic_ncols=True, desc=translate(N_("grading"), lang))


def _short(note: str) -> str:
    """A note on one line (its whitespace collapsed), clipped."""
    return _clip(" ".join(note.split()))


def _clip(line: str) -> str:
    line = line.rstrip()
    return line if len(line) <= NOTE_WIDTH * 2 else line[:NOTE_WIDTH * 2 - 1] + "…"


def _number(value: float) -> str:
    return f"{value:g}"
