"""The CSV files the checks upload, drawn from the seed, with the totals the grader expects.

The grader knows each file's totals because it made the numbers, so it never runs the learner's
code, nor a copy of ``summarize``, to judge a result.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

COLUMNS = ("apples", "pears", "plums", "figs", "quinces", "cherries")


@dataclass(frozen=True)
class Sheet:
    name: str
    data: bytes
    rows: int
    sums: dict[str, int]

    def matches(self, result) -> bool:
        """Whether an app's ``result`` holds these totals (numbers compared as numbers)."""
        if not isinstance(result, dict) or result.get("rows") != self.rows:
            return False
        sums = result.get("sums")
        return isinstance(sums, dict) and set(sums) == set(self.sums) and all(
            isinstance(sums[name], (int, float)) and not isinstance(sums[name], bool)
            and abs(sums[name] - total) < 1e-6 for name, total in self.sums.items())

    @property
    def expected(self) -> str:
        return f'{{"rows": {self.rows}, "sums": {self.sums}}}'.replace("'", '"')


def sheet(rng: random.Random, label: str) -> Sheet:
    """A small CSV of whole numbers: 2 or 3 columns, 3 to 12 rows."""
    columns = rng.sample(COLUMNS, rng.randint(2, 3))
    rows = [[rng.randint(0, 999) for _ in columns] for _ in range(rng.randint(3, 12))]
    text = ",".join(columns) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows)
    sums = {name: sum(row[index] for row in rows) for index, name in enumerate(columns)}
    return Sheet(f"{label}.csv", text.encode(), len(rows), sums)


BROKEN = Sheet("broken.csv", b"apples,pears\n3,three\n", 1, {})  # summarize raises ValueError for it
