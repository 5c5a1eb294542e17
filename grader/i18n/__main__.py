"""``python -m grader.i18n compile`` compiles the message catalogs (Binder's build runs it);
``python -m grader.i18n update`` extracts the messages from the source into ``grader.pot`` and
merges them into every language's ``.po``, for a translator to fill in."""
import sys

from .catalogs import compile_all, update


def main(argv: list[str]) -> int:
    if argv == ["compile"]:
        for path in compile_all():
            print(f"compiled {path}")
        return 0
    if argv == ["update"]:
        for path in update():
            print(f"wrote {path}")
        return 0
    print("usage: python -m grader.i18n compile | update", file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
