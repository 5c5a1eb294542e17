"""The slow computation the worker runs: the totals of a CSV file of numbers."""
import csv
import io
import time

WORK_SECONDS = 0.3  # stands in for real work: a big file, a model, a call to another service


def summarize(data: bytes) -> dict:
    """{"rows": <data lines>, "sums": {<column>: <sum>}} for a CSV whose first line names the columns.

    Raises ValueError for a file that is not UTF-8 text, has no header, or holds anything but numbers.
    """
    time.sleep(WORK_SECONDS)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text") from None
    lines = [row for row in csv.reader(io.StringIO(text)) if row]
    if not lines:
        raise ValueError("the file is empty: the first line must name the columns")
    header, rows = lines[0], lines[1:]
    sums = dict.fromkeys(header, 0)
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(f"line {number} has {len(row)} fields; the header has {len(header)}")
        for name, cell in zip(header, row):
            try:
                value = int(cell)
            except ValueError:
                try:
                    value = float(cell)
                except ValueError:
                    raise ValueError(f"line {number}: {cell!r} is not a number") from None
            sums[name] += value
    return {"rows": len(rows), "sums": sums}
