"""The build step pyproject.toml cannot declare: compiling the grader's message catalogs.

Every ``grader/locale/<lang>/LC_MESSAGES/grader.po`` is compiled into the ``grader.mo`` beside it
(with Babel, as ``pybabel compile`` would) whenever the package is built or installed, editable
installs included; the compiled files are not committed. The grader compiles a missing or stale
catalog in memory at run time, so a checkout that was never built still speaks every language.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def compile_catalogs(package_root: Path, into: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted((package_root / "locale").glob("*/LC_MESSAGES/*.po")):
        target = into / po.relative_to(package_root).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with target.open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        source = Path(__file__).resolve().parent / "grader"
        compile_catalogs(source, source if self.editable_mode else Path(self.build_lib) / "grader")


setup(cmdclass={"build_py": BuildWithCatalogs})
