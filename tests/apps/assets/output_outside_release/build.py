"""Build step: bundle assets/*.css; keep the output out of the source tree, in a temporary folder."""
import hashlib
import json
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = Path(tempfile.gettempdir()) / "built-assets"


def main():
    bundle = b"".join(path.read_bytes() for path in sorted((HERE / "assets").glob("*.css")))
    OUTPUT.mkdir(exist_ok=True)
    target = OUTPUT / f"app.{hashlib.sha256(bundle).hexdigest()[:10]}.css"
    target.write_bytes(bundle)
    (HERE / "static").mkdir(exist_ok=True)
    (HERE / "static" / "manifest.json").write_text(json.dumps({"app.css": str(target)}))


if __name__ == "__main__":
    main()
