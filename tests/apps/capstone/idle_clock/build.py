"""The build step: a fingerprinted copy of the stylesheet and a manifest that names it.

Run once per release, before any process starts; the web processes only read what it wrote.
"""
import hashlib
import json
from pathlib import Path

source = Path("assets/style.css").read_bytes()
name = f"style.{hashlib.blake2b(source, digest_size=6).hexdigest()}.css"
static = Path("static")
static.mkdir(exist_ok=True)
(static / name).write_bytes(source)
(static / "manifest.json").write_text(json.dumps({"style.css": name}))
