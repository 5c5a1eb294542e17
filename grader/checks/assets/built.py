"""The build stage, judged from the release and the platform's record of the build: did ``build.py``
run, write the manifest and the bundle into the release, and bundle every source in order?

These checks start no worker: what the build made is in the release, and what it wrote elsewhere is
in the audit record the build's own process sent.
"""
from __future__ import annotations

import os

from ...platform.events import FileAccess
from ..base import Scenario, Verdict
from ..feedback import explain, listing
from ...i18n import N_, Message, Text, _, _n
from .css import KEY, MANIFEST, OUTPUT_DIR, SOURCE_DIR, NoBundle, bundle_of, order_problem, sources
from .pages import no_bundle

BUILD_ONLY = _("Bundling and fingerprinting belong to the build stage: done once per release, before any "
               "process starts, so that every process serves the same files and none of them compiles anything.")
WRITE_BUILD = _('Write build.py so that it bundles {sources}/*.css in file-name order into '
                '{output}/app.<fingerprint>.css and writes {manifest} mapping "{key}" to that file '
                'name, with paths relative to build.py itself (Path(__file__).parent).',
                sources=SOURCE_DIR, output=OUTPUT_DIR, manifest=MANIFEST, key=KEY)
SHIPS = _("Only the release ships to the processes, and it is read-only from then on: a bundle written "
          "anywhere else, or not at all, is missing on every worker, which then has to make it itself, at run time.")
MAX_LISTED = 4
OUTPUT_LINES = 5


def build(scenario: Scenario) -> Verdict:
    release = scenario.platform.release
    record = release.build
    if record is None:
        return Verdict(False, explain(
            _("The grader built a release of your app, as a platform does before it starts any process: it "
              "copied your files and looked for build.py, to run it once."),
            _("There is no build.py among your files ({files}).", files=listing(sorted(release.source.files))),
            Text((BUILD_ONLY, _("Without a build step, the bundle is either missing or made at run time, by "
                                "every process, again after every restart.")), " "), WRITE_BUILD))
    did = _("The grader built a release of your app: it ran `python build.py` once, in the release folder, "
            "before it started any worker (the build took {seconds:.2f} s).", seconds=record.seconds)
    outside = written_outside(scenario, release)
    try:
        bundle = bundle_of(release.path)
    except NoBundle as reason:
        fix = _("Write {manifest} and the bundle inside the release, under {output}/ next to build.py (paths "
                "from Path(__file__).parent), not in a temporary folder or in HOME.", manifest=MANIFEST,
                output=OUTPUT_DIR) if outside else WRITE_BUILD
        seen = _as_seen(reason.what, record)
        return Verdict(False, explain(did, Text((_("After the build, {reason}.", reason=seen), _wrote(record, outside)),
                                                " "), SHIPS, Text((fix, _output(record)))))
    bundle_path = f"{OUTPUT_DIR}/{bundle.name}"
    stale = [name for name in (MANIFEST, bundle_path) if name not in record.written]
    if stale:
        return Verdict(False, explain(
            did,
            _n("{files} is in the release, but build.py did not write it: it came with your files (left there, "
               "perhaps, by running build.py on your computer).",
               "{files} are in the release, but build.py did not write them: they came with your files (left "
               "there, perhaps, by running build.py on your computer).", len(stale), files=listing(stale)),
            _("A release is built from its sources. A bundle made somewhere else matches whatever sources it "
              "was made from, which need not be these."),
            _("Make build.py write the bundle and the manifest every time it runs.")))
    return Verdict(True, _("build.py ran once ({seconds:.2f} s), before any worker started, and wrote {manifest} "
                           "and {bundle} ({size} bytes) into the release.", seconds=record.seconds,
                           manifest=MANIFEST, bundle=bundle_path, size=len(bundle.data)))


def written_outside(scenario: Scenario, release) -> list:
    """What the build wrote outside the release, named as the learner would name it, in order."""
    record = release.build
    places = ((record.tmp, "$TMPDIR", N_("{path} (the build's temporary folder)")),
              (record.home, "~", N_("{path} (the build's HOME)")))
    shown = []
    for access in scenario.platform.bus.recorded(FileAccess):
        if access.token != record.token or not access.writes or access.path.startswith(f"{release.path}/") \
                or not os.path.isfile(access.path):  # folders, and files it removed again
            continue
        for folder, name, what in places:
            if folder and access.path.startswith(folder + "/"):
                path = f"{name}/{access.path[len(folder) + 1:]}"
                shown.append(_(what, path=path))
                break
        else:
            shown.append(access.path)
    return list(dict.fromkeys(shown))


def _as_seen(text, record):
    """``text`` with the build's TMPDIR and HOME written as the build itself would name them (in a
    message: in the values it was given)."""
    if isinstance(text, Message):
        return Message(text.id, tuple((name, _as_seen(value, record) if isinstance(value, str) else value)
                                      for name, value in text.params), text.plural, text.count)
    if isinstance(text, Text):
        return Text(tuple(_as_seen(part, record) for part in text.parts), text.sep)
    for folder, name in ((record.tmp, "$TMPDIR"), (record.home, "~")):
        if folder:
            text = text.replace(folder, name)
    return text


def _wrote(record, outside: list) -> Text:
    said = [_("Inside the release, build.py wrote {files}.", files=listing(record.written[:MAX_LISTED]))
            if record.written else _("build.py wrote nothing inside the release.")]
    if outside:
        said.append(_("Outside it, build.py wrote {files}; nothing outside the release ships with it.",
                      files=_listing(outside[:MAX_LISTED])))
    return Text(said, " ")


def _listing(items: list):
    """:func:`listing` for items that may be messages, each kept a message (listing joins all but the
    last into one plain string)."""
    if len(items) == 1:
        return items[0]
    return _("{names} and {last}", names=Text(items[:-1], ", "), last=items[-1])


def _output(record) -> Text | str:
    lines = record.output.strip().splitlines()[-OUTPUT_LINES:]
    if not lines:
        return ""
    return Text((_("The last lines build.py printed:"), "\n".join("    " + line for line in lines)))


def bundle_order(scenario: Scenario) -> Verdict:
    release = scenario.platform.release
    try:
        bundle = bundle_of(release.path)
    except NoBundle as reason:
        return no_bundle(reason)
    names = sources(release.path)
    problem = order_problem(bundle.data, release.path)
    if problem is None:
        return Verdict(True, _("The bundle holds the rules of {sources}, in that order.", sources=listing(names)))
    compared = listing(names) if names else _("there is no {sources}/*.css at all", sources=SOURCE_DIR)
    bundle_path = f"{OUTPUT_DIR}/{bundle.name}"
    return Verdict(False, explain(
        _("The grader compared the bundle build.py wrote, {bundle}, with the release's sources ({compared}), "
          "ignoring whitespace and comments.", bundle=bundle_path, compared=compared),
        _("The bundle does not match: {problem}.", problem=problem),
        _("When two rules style the same element, the later one wins, so a bundle in another order, or with "
          "rules missing, styles the page differently from its sources. A build's output must follow from "
          "its sources alone."),
        _('Bundle the files of sorted(Path("{sources}").glob("*.css")), each one whole, in that order.',
          sources=SOURCE_DIR)))
