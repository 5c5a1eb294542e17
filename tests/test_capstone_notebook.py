"""The capstone's exercise notebook and its reference app in tests/apps/capstone/reference are one
app: every file a %%writefile cell writes is, byte for byte, the reference's file (solution markers
aside), so the app the wrong apps are copies of is the one the notebook's solution releases."""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "exercises" / "source" / "capstone" / "capstone.ipynb"
REFERENCE = ROOT / "tests" / "apps" / "capstone" / "reference"


def written() -> dict[str, str]:
    files = {}
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and text.startswith("%%writefile "):
            head, _, body = text.partition("\n")
            body = body.replace("### BEGIN SOLUTION\n", "").replace("### END SOLUTION", "")
            files[head.split(maxsplit=1)[1]] = body.rstrip("\n") + "\n"
    return files


def test_every_file_of_the_reference_is_written_by_the_notebook_as_it_is():
    files = written()
    reference = {str(path.relative_to(REFERENCE)): path.read_text() for path in REFERENCE.rglob("*")
                 if path.is_file() and "__pycache__" not in path.parts}
    assert sorted(files) == sorted(reference)
    for name, text in files.items():
        assert text == reference[name], f"{name} differs between the notebook and {REFERENCE}"
