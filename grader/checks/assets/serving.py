"""What the workers serve: the same page, the same stylesheet URL and the same bytes on every worker,
cached for long because its name changes with its content, and nothing under a name no build made."""
from __future__ import annotations

import hashlib
import random

from ..base import Scenario, Verdict
from ..feedback import ContractError, explain, listing
from ...i18n import Text, _
from .css import MANIFEST, OUTPUT_DIR, Bundle, NoBundle
from .pages import no_bundle, page, released_bundle

ONE_DAY = 24 * 3600
ONE_YEAR = 365 * ONE_DAY


def same_everywhere(scenario: Scenario) -> Verdict:
    try:
        bundle = released_bundle(scenario)
    except NoBundle as reason:
        return no_bundle(reason)
    workers = scenario.cluster.serving()
    pages = {name: page(scenario, name) for name in workers}
    did = _("The grader sent GET / to every worker ({workers}).", workers=listing(workers))
    links = {name: href for name, (_response, href) in pages.items()}
    if len(set(links.values())) > 1:
        return _disagree(scenario, did, links)
    href = links[workers[0]]
    if href != bundle.url:
        return Verdict(False, explain(
            did, _("Every worker links {href}, but the release's manifest names {name}, so the page should link "
                   "{url}.", href=href, name=bundle.name, url=bundle.url),
            _("A page must link exactly the file the build made: its name is what changes with every release."),
            _("In app.py, read the name from {manifest} when it is imported and link /{folder}/<that name>.",
              manifest=MANIFEST, folder=OUTPUT_DIR)))
    different = [name for name in workers if pages[name][0].digest != pages[workers[0]][0].digest]
    if different:
        return Verdict(False, explain(
            did, _("They link the same stylesheet, but {worker}'s page differs from {others}'s.", worker=workers[0],
                   others=listing(different)),
            _("Behind a router any worker may answer any request, so every worker must serve the same page; "
              "a page that depends on the process that made it shows that process's own state."),
            _("Make the page depend only on the request and the release: no pid, start time or counter in it.")))
    return _same_bytes(scenario, bundle, workers)


def _disagree(scenario: Scenario, did, links: dict[str, str]) -> Verdict:
    names = list(links)
    first = names[0]
    other = next(name for name in names if links[name] != links[first])
    cross = scenario.cluster.get(links[first], worker=other)
    said = Text([_("{worker} links {href}", worker=name, href=href) for name, href in links.items()], ", ")
    return Verdict(False, explain(
        did,
        _("The workers link different stylesheets: {said}. A browser that gets its page from {first}, and whose "
          "stylesheet request the router sends to {other}, gets this: {response}.", said=said, first=first,
          other=other, response=cross.describe()),
        _("Each worker chose its own name for the bundle when it started, so what a page links depends on the "
          "worker that answered, and page and stylesheet often come from different workers. Factor VI: "
          "processes are interchangeable, so what they serve must come from the release, built once."),
        _("Name the bundle in build.py, from its content; write that name to {manifest}; have app.py read it "
          "from there.", manifest=MANIFEST)))


def _same_bytes(scenario: Scenario, bundle: Bundle, workers: list[str]) -> Verdict:
    cluster = scenario.cluster
    replies = {name: cluster.get(bundle.url, worker=name) for name in workers}
    did = _("The grader sent GET / to every worker ({workers}), then GET {url}, the stylesheet every page links, "
            "to each of them.", workers=listing(workers), url=bundle.url)
    for name, reply in replies.items():
        if reply.status != 200:
            return Verdict(False, explain(
                did, _("{response}, although {worker}'s own page links that file.", response=reply.describe(),
                       worker=name),
                _("Every worker must serve the stylesheet its pages link, or the page shows unstyled."),
                _("Serve the files of the release's {folder}/ folder at /{folder}/<name>.", folder=OUTPUT_DIR),
                [cluster.workers[name].current]))
        kind = (reply.header("Content-Type") or [_("no Content-Type")])[0]
        if kind.split(";")[0].strip().lower() != "text/css":
            return Verdict(False, explain(
                did, _("{worker} sent the stylesheet as {kind}.", worker=name, kind=kind),
                _("Browsers ignore a stylesheet that is not sent as text/css."),
                _('Send it as text/css (in Flask, send_from_directory(..., mimetype="text/css")).')))
    digest = hashlib.sha256(bundle.data).hexdigest()
    wrong = [name for name, reply in replies.items() if reply.digest != digest]
    bundle_path = f"{OUTPUT_DIR}/{bundle.name}"
    if wrong:
        sizes = Text([_("{worker} sent {size} bytes", worker=name, size=replies[name].size) for name in wrong], ", ")
        return Verdict(False, explain(
            did, _("Not every worker sent the bytes of the release's {bundle} ({size} bytes): {sizes}, which differ "
                   "from them.", bundle=bundle_path, size=len(bundle.data), sizes=sizes),
            _("A worker that serves other bytes than the build made is making or changing the stylesheet itself, "
              "at run time; one URL must mean the same bytes on every worker."),
            _("Serve the file build.py wrote, exactly as it is.")))
    return Verdict(True, _("All {count} workers served the same page, linking {url}, and the same {size} bytes for "
                           "it: the release's {bundle}.", count=len(workers), url=bundle.url, size=len(bundle.data),
                           bundle=bundle_path))


def cache_headers(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    worker = cluster.serving()[0]
    _response, href = page(scenario, worker)
    reply = cluster.get(href, worker=worker)
    did = _("The grader sent GET / to {worker}, then GET {href}, the stylesheet the page links, and read its "
            "headers.", worker=worker, href=href)
    if reply.status != 200:
        raise ContractError(reply, _("200 and the stylesheet the page links"), cluster.workers[worker].current)
    value = ", ".join(reply.header("Cache-Control"))
    age = max_age(value)
    if age is None or age < ONE_DAY or any(word in value.lower() for word in ("no-store", "no-cache")):
        return Verdict(False, explain(
            did, _("It answered with Cache-Control: {value}.", value=value) if value else
            _("It answered with no Cache-Control header."),
            _("The bundle's name changes whenever its content does, so a browser or a CDN may keep it as long "
              "as it likes: with a long max-age each browser downloads it once per release, not on every page. "
              "Without one, every page view asks a worker again for a file that cannot have changed."),
            _("Send it with Cache-Control: public, max-age={seconds} (a year; a day at least); in Flask, "
              "send_from_directory(..., max_age={seconds}).", seconds=ONE_YEAR)))
    fake = made_up_url(href, scenario.seed)
    other = cluster.get(fake, worker=worker)
    if other.status != 404:
        return Verdict(False, explain(
            Text((did, _("Then it asked for {url}, a name no build made.", url=fake)), " "),
            Text((other.describe(), "."), ""),
            _("A fingerprinted URL promises one content, forever. Answering a name no build made with whatever "
              "the current bundle is lets a cache keep the wrong stylesheet under that name for as long as the "
              "max-age says."),
            _("Serve only the files that exist in {folder}/, and answer 404 for any other name.", folder=OUTPUT_DIR)))
    return Verdict(True, _("GET {href} answered Cache-Control: {value} ({days} days), and {url}, a name no build "
                           "made, got 404.", href=href, value=value, days=age // ONE_DAY, url=fake))


def max_age(value: str) -> int | None:
    """The max-age of a Cache-Control header value, in seconds; None when it has none."""
    for part in value.split(","):
        name, _equals, number = part.strip().partition("=")
        if name.strip().lower() == "max-age":
            try:
                return int(number.strip().strip('"'))
            except ValueError:
                return None
    return None


def made_up_url(href: str, seed: int) -> str:
    """A URL beside ``href`` of the bundle's shape (``app.<hex>.css``, as many digits) that no build made."""
    folder, _slash, name = href.rpartition("/")
    fingerprint = Bundle(name, b"").fingerprint
    length = len(fingerprint or "") or 10
    rng = random.Random(seed)
    while True:
        fake = "".join(rng.choice("0123456789abcdef") for _digit in range(length))
        if fake != fingerprint:
            return f"{folder}/app.{fake}.css"
