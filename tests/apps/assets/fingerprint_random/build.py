"""Build step: bundle assets/*.css, in file-name order, into static/app.<fingerprint>.css."""
import secrets
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "assets"
OUTPUT = HERE / "static"


def main():
    bundle = b"".join(path.read_bytes() for path in sorted(SOURCES.glob("*.css")))
    name = f"app.{secrets.token_hex(5)}.css"
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / name).write_bytes(bundle)
    (OUTPUT / "manifest.json").write_text(json.dumps({"app.css": name}))
    print(f"built static/{name} ({len(bundle)} bytes)")


if __name__ == "__main__":
    main()
