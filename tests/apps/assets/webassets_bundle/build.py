"""Build step with webassets: bundle and fingerprint assets/*.css, then name the result in the manifest."""
import json
from pathlib import Path

from webassets import Bundle, Environment

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

STATIC.mkdir(exist_ok=True)
env = Environment(directory=str(STATIC), url="/static", load_path=[str(HERE)], versions="hash",
                  manifest="json:webassets-manifest.json", cache=False)
sources = sorted(path.relative_to(HERE).as_posix() for path in (HERE / "assets").glob("*.css"))
css = Bundle(*sources, output="app.%(version)s.css")
env.register("css", css)
css.build()
name = css.urls()[0].rsplit("/", 1)[1]
(STATIC / "manifest.json").write_text(json.dumps({"app.css": name}))
print("built", name)
