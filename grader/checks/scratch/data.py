"""The CSV files the ``scratch`` checks publish, generated from a seed, each with its correct report.

They look like what a real export holds: a header row, an ``amount`` column among others (in an
order that changes from file to file), quoted fields with commas, quotes and, in small files, line
breaks, non-ASCII text everywhere, and either line ending. A big file is one block of rows repeated,
so it costs one block of memory however large it is. Broken files break in the middle, where an app
has already processed part of the file, and :class:`Broken` says where, for feedback.
"""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from decimal import Decimal

from ...i18n import _
from .files import Body

COLUMNS = ("date", "customer", "amount", "currency", "note")
CUSTOMERS = ("Müller, Søren & Co", 'The "Corner" Café', "Ørsted Energi", "Zoë's Bakery", "Łódź Tools",
             "Acme", "Nguyễn Trading", "São Paulo Imports", "Smith, Jones", "Ōsaka Foods")
NOTES = ("paid by card", "refund — damaged box", "monthly fee", "früh bezahlt, danke", "déjà payé",
         "per 100 g: 2,50 €", "“priority” order", "naïve estimate", "ok", "")
MULTILINE_NOTES = ("delivered in two parts:\npart 1 today", "see invoice\r\nline 2")
BLOCK_ROWS = 256  # rows in the block a large file repeats
LONG_NOTE_WORDS = 120  # notes joined into one row's note in a large file: about 2 KB a row
BAD_WORDS = {"non-numeric": "n/a", "NaN": "NaN", "infinite": "-Infinity"}


@dataclass(frozen=True)
class Csv:
    """A generated CSV file and what a correct report of it says."""

    body: Body
    rows: int
    total: Decimal

    def figures(self) -> str:
        return f"rows {self.rows}, total {self.total:.2f}"


@dataclass(frozen=True)
class Broken:
    """A CSV that must be refused with 422: ``fault`` says what is wrong with it, for feedback."""

    body: Body
    fault: str  # a message (grader.i18n), "the amount 'NaN' on line 602"


class Writer:
    """Rows in one file's layout: its column order and its line ending, chosen by ``rng``."""

    def __init__(self, rng: random.Random, header: tuple[str, ...] = COLUMNS):
        self.rng = rng
        self.columns = list(header)
        rng.shuffle(self.columns)
        self.newline = rng.choice(("\r\n", "\n"))

    def header(self) -> str:
        return self._line(self.columns)

    def row(self, multiline: bool = False, **fixed: str) -> tuple[str, Decimal]:
        """One data row and its amount; ``fixed`` sets columns (an amount set so counts as 0)."""
        rng = self.rng
        amount = Decimal(rng.randint(-20_000, 200_000)).scaleb(-2)
        if rng.random() < 0.15:
            amount = amount.quantize(Decimal(1))  # whole numbers too: "42"
        note = rng.choice(MULTILINE_NOTES) if multiline else rng.choice(NOTES)
        values = {"date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                  "customer": rng.choice(CUSTOMERS), "amount": str(amount),
                  "currency": rng.choice(("EUR", "USD", "GBP")), "note": note, **fixed}
        values["price"] = values["amount"]
        return self._line([values[column] for column in self.columns]), \
            (Decimal(0) if "amount" in fixed else amount)

    def _line(self, values: list[str]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator=self.newline).writerow(values)
        return out.getvalue()


def small(rng: random.Random, rows: int | None = None) -> Csv:
    """A file of a few hundred rows, a few of them spread over two lines."""
    writer = Writer(rng)
    rows = rows if rows is not None else rng.randint(40, 400)
    lines, total = [writer.header()], Decimal(0)
    for index in range(rows):
        line, amount = writer.row(multiline=index % 37 == 5)
        lines.append(line)
        total += amount
    return Csv(Body("".join(lines).encode()), rows, total)


def large(rng: random.Random, at_least: int) -> Csv:
    """A file of at least ``at_least`` bytes: a header, then one block of rows repeated."""
    writer = Writer(rng)
    block, block_total = [], Decimal(0)
    for _row in range(BLOCK_ROWS):  # long notes: fewer, wider rows, as in a real export with comments
        line, amount = writer.row(note="; ".join(rng.choice(NOTES) for _word in range(LONG_NOTE_WORDS)))
        block.append(line)
        block_total += amount
    head, data = writer.header().encode(), "".join(block).encode()
    count = max(1, -(-(at_least - len(head)) // len(data)))
    return Csv(Body(head, data, count), BLOCK_ROWS * count, block_total * count)


def broken(rng: random.Random, fault: str, rows: int = 1200) -> Broken:
    """A file that is well formed up to its middle row, where ``fault`` strikes.

    ``fault`` is "no amount column", "not UTF-8", or a key of BAD_WORDS.
    """
    header = tuple("price" if column == "amount" else column for column in COLUMNS) \
        if fault == "no amount column" else COLUMNS
    writer = Writer(rng, header)
    middle = rows // 2
    lines = [writer.header().encode()]
    for index in range(rows):
        if index != middle or fault == "no amount column":
            lines.append(writer.row()[0].encode())
        elif fault == "not UTF-8":
            lines.append(writer.row(customer="Acme", note="Café crème")[0].encode("latin-1"))
        else:
            lines.append(writer.row(amount=BAD_WORDS[fault])[0].encode())
    line = middle + 2
    if fault == "no amount column":
        description = _("a header row without an amount column ({header})", header=",".join(writer.columns))
    elif fault == "not UTF-8":
        description = _("a byte that is not UTF-8 on line {line} (Latin-1 text: 'Café')", line=line)
    else:
        description = _("the amount {amount} on line {line}", amount=repr(BAD_WORDS[fault]), line=line)
    return Broken(Body(b"".join(lines)), description)
