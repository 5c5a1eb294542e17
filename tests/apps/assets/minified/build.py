"""Build step: minify and bundle the stylesheets, fingerprint the result with its MD5."""
import hashlib
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def minify(css):
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"\s+", " ", css)
    return re.sub(r"\s*([{};:,>])\s*", r"\1", css).replace(";}", "}").strip()


sources = sorted((HERE / "assets").glob("*.css"))
bundle = "".join(minify(path.read_text()) for path in sources).encode()
name = "app.%s.css" % hashlib.md5(bundle).hexdigest()[:12]
(HERE / "static").mkdir(exist_ok=True)
(HERE / "static" / name).write_bytes(bundle)
(HERE / "static" / "manifest.json").write_text(json.dumps({"app.css": name}, indent=2))
