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
from .css import KEY, MANIFEST, OUTPUT_DIR, SOURCE_DIR, NoBundle, bundle_of, order_problem, sources
from .pages import no_bundle

BUILD_ONLY = ("Bundling and fingerprinting belong to the build stage: done once per release, before any "
              "process starts, so that every process serves the same files and none of them compiles anything.")
WRITE_BUILD = (f"Write build.py so that it bundles {SOURCE_DIR}/*.css in file-name order into "
               f"{OUTPUT_DIR}/app.<fingerprint>.css and writes {MANIFEST} mapping \"{KEY}\" to that file "
               "name, with paths relative to build.py itself (Path(__file__).parent).")
SHIPS = ("Only the release ships to the processes, and it is read-only from then on: a bundle written "
         "anywhere else, or not at all, is missing on every worker, which then has to make it itself, at run time.")
MAX_LISTED = 4
OUTPUT_LINES = 5


def build(scenario: Scenario) -> Verdict:
    release = scenario.platform.release
    record = release.build
    if record is None:
        return Verdict(False, explain(
            "The grader built a release of your app, as a platform does before it starts any process: it "
            "copied your files and looked for build.py, to run it once.",
            f"There is no build.py among your files ({listing(sorted(release.source.files))}).",
            BUILD_ONLY + " Without a build step, the bundle is either missing or made at run time, by "
            "every process, again after every restart.", WRITE_BUILD))
    did = (f"The grader built a release of your app: it ran `python build.py` once, in the release "
           f"folder, before it started any worker (the build took {record.seconds:.2f} s).")
    outside = written_outside(scenario, release)
    try:
        bundle = bundle_of(release.path)
    except NoBundle as reason:
        fix = (f"Write {MANIFEST} and the bundle inside the release, under {OUTPUT_DIR}/ next to build.py "
               "(paths from Path(__file__).parent), not in a temporary folder or in HOME."
               if outside else WRITE_BUILD)
        reason = _as_seen(str(reason), record)
        return Verdict(False, explain(did, f"After the build, {reason}." + _wrote(record, outside), SHIPS,
                                      fix + _output(record)))
    stale = [name for name in (MANIFEST, f"{OUTPUT_DIR}/{bundle.name}") if name not in record.written]
    if stale:
        one = len(stale) == 1
        return Verdict(False, explain(
            did,
            f"{listing(stale)} {'is' if one else 'are'} in the release, but build.py did not write "
            f"{'it' if one else 'them'}: {'it' if one else 'they'} came with your files (left there, "
            "perhaps, by running build.py on your computer).",
            "A release is built from its sources. A bundle made somewhere else matches whatever sources it "
            "was made from, which need not be these.",
            "Make build.py write the bundle and the manifest every time it runs."))
    return Verdict(True, f"build.py ran once ({record.seconds:.2f} s), before any worker started, and wrote "
                         f"{MANIFEST} and {OUTPUT_DIR}/{bundle.name} ({len(bundle.data)} bytes) into the release.")


def written_outside(scenario: Scenario, release) -> list[str]:
    """What the build wrote outside the release, named as the learner would name it, in order."""
    record = release.build
    places = ((record.tmp, "$TMPDIR", "the build's temporary folder"), (record.home, "~", "the build's HOME"))
    shown = []
    for access in scenario.platform.bus.recorded(FileAccess):
        if access.token != record.token or not access.writes or access.path.startswith(f"{release.path}/") \
                or not os.path.isfile(access.path):  # folders, and files it removed again
            continue
        for folder, name, what in places:
            if folder and access.path.startswith(folder + "/"):
                shown.append(f"{name}/{access.path[len(folder) + 1:]} ({what})")
                break
        else:
            shown.append(access.path)
    return list(dict.fromkeys(shown))


def _as_seen(text: str, record) -> str:
    """``text`` with the build's TMPDIR and HOME written as the build itself would name them."""
    for folder, name in ((record.tmp, "$TMPDIR"), (record.home, "~")):
        if folder:
            text = text.replace(folder, name)
    return text


def _wrote(record, outside: list[str]) -> str:
    said = (f" Inside the release, build.py wrote {listing(record.written[:MAX_LISTED])}." if record.written
            else " build.py wrote nothing inside the release.")
    if outside:
        said += (f" Outside it, build.py wrote {listing(outside[:MAX_LISTED])}; nothing outside the release "
                 "ships with it.")
    return said


def _output(record) -> str:
    lines = record.output.strip().splitlines()[-OUTPUT_LINES:]
    return "\nThe last lines build.py printed:\n" + "\n".join("    " + line for line in lines) if lines else ""


def bundle_order(scenario: Scenario) -> Verdict:
    release = scenario.platform.release
    try:
        bundle = bundle_of(release.path)
    except NoBundle as reason:
        return no_bundle(reason)
    names = sources(release.path)
    problem = order_problem(bundle.data, release.path)
    if problem is None:
        return Verdict(True, f"The bundle holds the rules of {listing(names)}, in that order.")
    compared = listing(names) if names else f"there is no {SOURCE_DIR}/*.css at all"
    return Verdict(False, explain(
        f"The grader compared the bundle build.py wrote, {OUTPUT_DIR}/{bundle.name}, with the release's "
        f"sources ({compared}), ignoring whitespace and comments.",
        f"The bundle does not match: {problem}.",
        "When two rules style the same element, the later one wins, so a bundle in another order, or with "
        "rules missing, styles the page differently from its sources. A build's output must follow from "
        "its sources alone.",
        f"Bundle the files of sorted(Path(\"{SOURCE_DIR}\").glob(\"*.css\")), each one whole, in that order."))
