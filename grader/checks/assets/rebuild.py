"""The fingerprint follows the content: the grader edits one rule, builds a new release, deploys it,
and builds the original sources once more.

Three builds in this order (original, edited, original again) catch a fingerprint taken from the
clock whatever its resolution: if the first and the last land in the same tick, so does the edited
one in between, and its name cannot have changed.
"""
from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from ...platform.release import BuildFailed
from ..base import Scenario, Verdict
from ..feedback import explain, listing
from ...i18n import Text, _
from .css import MANIFEST, PROBE, Bundle, NoBundle, edit_rule, normalize, sources
from .pages import no_bundle, page, released_bundle

NO_FINGERPRINT_WHY = _(
    "A name that stays the same when the content changes cannot be cached for long: after a deploy, "
    "browsers and CDNs that kept it go on using the old stylesheet under the same URL. A fingerprint "
    "computed from the content gives every version a name of its own, which can be cached forever.")
FROM_BYTES = _("Compute the fingerprint from the bundle's bytes, once it is bundled: "
               "hashlib.sha256(bundle).hexdigest()[:10].")


def fingerprint(scenario: Scenario) -> Verdict:
    try:
        before = released_bundle(scenario)
    except NoBundle as reason:
        return no_bundle(reason)
    if before.fingerprint is None:
        return Verdict(False, explain(
            _("The grader read {manifest} in the release.", manifest=MANIFEST),
            _("It names {name}, a name without a fingerprint (app.<hex digits>.css).", name=before.name),
            NO_FINGERPRINT_WHY,
            _("Name the bundle app.<fingerprint>.css, the fingerprint taken from its bytes: "
              "hashlib.sha256(bundle).hexdigest()[:10].")))
    edited = _edit_and_rebuild(scenario, before)
    if isinstance(edited, Verdict):
        return edited
    return _deploy_and_rebuild_original(scenario, before, *edited)


def _edit_and_rebuild(scenario: Scenario, before: Bundle):
    """Edit a rule of the last source and build a new release: (the source edited, what was done,
    the release, its bundle), or the failing Verdict when the new build does not follow the edit."""
    platform = scenario.platform
    names = sources(platform.release.path)
    if not names:
        return no_bundle(NoBundle(_("the release has no assets/*.css for the grader to edit")))
    target = names[-1]  # the last source: a fingerprint of only the first bytes misses it
    token = "%06x" % random.Random(scenario.seed).randrange(16 ** 6)
    text, what = edit_rule(platform.release.source.files[target].decode("utf-8", "replace"), token)
    did = _("The grader edited one rule of {source} ({what}) and built a new release.", source=target, what=what)
    try:
        release = platform.rebuild({target: text})
        after = released_bundle(scenario, release)
    except BuildFailed as failure:
        said = failure.args[0] if failure.args and isinstance(failure.args[0], str) else str(failure)
        return Verdict(False, Text((did, said), "\n"))
    except NoBundle as reason:
        return no_bundle(reason)
    if after.name == before.name:
        return Verdict(False, explain(
            did, _("The new build named the bundle {name} again, the same name as before the edit.", name=after.name),
            _("So the fingerprint does not follow the content: browsers and CDNs that kept {name}, for as long as "
              "its max-age allows, go on using the old rules after the deploy.", name=before.name), FROM_BYTES))
    if normalize(f"{PROBE}: {token}".encode()) not in normalize(after.data):
        return Verdict(False, explain(
            did, _("The new build wrote {name}, but it does not hold the edited rule.", name=after.name),
            _("The build must bundle the sources as they are in the release it builds."),
            _("Read the sources in build.py, every time it runs, from the release's assets/ folder.")))
    return target, did, release, after


def _deploy_and_rebuild_original(scenario: Scenario, before: Bundle, target: str, did, release,
                                 after: Bundle) -> Verdict:
    """Deploy the edited release, then check the pages and a build of the original sources."""
    platform, cluster = scenario.platform, scenario.cluster
    with ThreadPoolExecutor(1, thread_name_prefix="factor-six-rebuild") as pool:
        again = pool.submit(platform.rebuild)  # the original sources once more, while the workers roll
        cluster.deploy(release=release)
        links = {name: page(scenario, name)[1] for name in cluster.serving()}
        original = again.result()
    did = Text((did, _("Then it deployed it: every worker restarted from the new release, one at a time.")), " ")
    stale = [name for name, href in links.items() if href != after.url]
    if stale:
        return Verdict(False, explain(
            Text((did, _("Then it sent GET / to every worker.")), " "),
            _("{workers} still linked {href}, although the new release's manifest names {name}.",
              workers=listing(stale), href=links[stale[0]], name=after.name),
            _("Every release names its own bundle; a page that links another release's file shows stale styles, "
              "or none once the old file is gone."),
            _("In app.py, read the name from {manifest} when the app is imported; don't write it into the code.",
              manifest=MANIFEST)))
    try:
        again_bundle = released_bundle(scenario, original)
    except NoBundle as reason:
        return no_bundle(reason)
    if again_bundle.name != before.name:
        return Verdict(False, explain(
            Text((did, _("Last, it built the original sources once more, with no change at all.")), " "),
            _("That build named the bundle {name}, although the same sources had given {first} the first time.",
              name=again_bundle.name, first=before.name),
            _("So the fingerprint comes from something other than the content: the time of the build, or a random "
              "number. Every deploy then changes the URL even when the stylesheet did not change, so every "
              "browser downloads it again, and two builds of the same sources disagree about its name."),
            FROM_BYTES))
    algorithm = before.hash_used()
    how = _("The fingerprint is the start of the bundle's {algorithm}.", algorithm=algorithm) if algorithm else ""
    return Verdict(True, Text((
        _("Editing one rule of {source} changed the bundle's name from {before} to {after}; after the deploy every "
          "worker linked the new one; building the original sources again gave {before} back.", source=target,
          before=before.name, after=after.name), how), " "))
