"""What the workers serve: the same page, the same stylesheet URL and the same bytes on every worker,
cached for long because its name changes with its content, and nothing under a name no build made."""
from __future__ import annotations

import hashlib
import random

from ..base import Scenario, Verdict
from ..feedback import ContractError, explain, listing
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
    did = f"The grader sent GET / to every worker ({listing(workers)})."
    links = {name: href for name, (_, href) in pages.items()}
    if len(set(links.values())) > 1:
        return _disagree(scenario, did, links)
    href = links[workers[0]]
    if href != bundle.url:
        return Verdict(False, explain(
            did, f"Every worker links {href}, but the release's manifest names {bundle.name}, so the page "
                 f"should link {bundle.url}.",
            "A page must link exactly the file the build made: its name is what changes with every release.",
            f"In app.py, read the name from {MANIFEST} when it is imported and link /{OUTPUT_DIR}/<that name>."))
    different = [name for name in workers if pages[name][0].digest != pages[workers[0]][0].digest]
    if different:
        return Verdict(False, explain(
            did, f"They link the same stylesheet, but {workers[0]}'s page differs from {listing(different)}'s.",
            "Behind a router any worker may answer any request, so every worker must serve the same page; "
            "a page that depends on the process that made it shows that process's own state.",
            "Make the page depend only on the request and the release: no pid, start time or counter in it."))
    return _same_bytes(scenario, did, bundle, workers)


def _disagree(scenario: Scenario, did: str, links: dict[str, str]) -> Verdict:
    names = list(links)
    first = names[0]
    other = next(name for name in names if links[name] != links[first])
    cross = scenario.cluster.get(links[first], worker=other)
    said = ", ".join(f"{name} links {href}" for name, href in links.items())
    return Verdict(False, explain(
        did,
        f"The workers link different stylesheets: {said}. A browser that gets its page from {first}, and "
        f"whose stylesheet request the router sends to {other}, gets this: {cross.describe()}.",
        "Each worker chose its own name for the bundle when it started, so what a page links depends on the "
        "worker that answered, and page and stylesheet often come from different workers. Factor VI: "
        "processes are interchangeable, so what they serve must come from the release, built once.",
        f"Name the bundle in build.py, from its content; write that name to {MANIFEST}; have app.py read it "
        "from there."))


def _same_bytes(scenario: Scenario, did: str, bundle: Bundle, workers: list[str]) -> Verdict:
    cluster = scenario.cluster
    replies = {name: cluster.get(bundle.url, worker=name) for name in workers}
    did = did[:-1] + f", then GET {bundle.url}, the stylesheet every page links, to each of them."
    for name, reply in replies.items():
        if reply.status != 200:
            return Verdict(False, explain(
                did, f"{reply.describe()}, although {name}'s own page links that file.",
                "Every worker must serve the stylesheet its pages link, or the page shows unstyled.",
                f"Serve the files of the release's {OUTPUT_DIR}/ folder at /{OUTPUT_DIR}/<name>.",
                [cluster.workers[name].current]))
        kind = (reply.header("Content-Type") or ["no Content-Type"])[0]
        if kind.split(";")[0].strip().lower() != "text/css":
            return Verdict(False, explain(
                did, f"{name} sent the stylesheet as {kind}.",
                "Browsers ignore a stylesheet that is not sent as text/css.",
                'Send it as text/css (in Flask, send_from_directory(..., mimetype="text/css")).'))
    digest = hashlib.sha256(bundle.data).hexdigest()
    wrong = [name for name, reply in replies.items() if reply.digest != digest]
    if wrong:
        sizes = ", ".join(f"{name} sent {replies[name].size} bytes" for name in wrong)
        return Verdict(False, explain(
            did, f"Not every worker sent the bytes of the release's {OUTPUT_DIR}/{bundle.name} "
                 f"({len(bundle.data)} bytes): {sizes}, which differ from them.",
            "A worker that serves other bytes than the build made is making or changing the stylesheet itself, "
            "at run time; one URL must mean the same bytes on every worker.",
            "Serve the file build.py wrote, exactly as it is."))
    return Verdict(True, f"All {len(workers)} workers served the same page, linking {bundle.url}, and the "
                         f"same {len(bundle.data)} bytes for it: the release's {OUTPUT_DIR}/{bundle.name}.")


def cache_headers(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    worker = cluster.serving()[0]
    _, href = page(scenario, worker)
    reply = cluster.get(href, worker=worker)
    did = f"The grader sent GET / to {worker}, then GET {href}, the stylesheet the page links, and read its headers."
    if reply.status != 200:
        raise ContractError(reply, "200 and the stylesheet the page links", cluster.workers[worker].current)
    value = ", ".join(reply.header("Cache-Control"))
    age = max_age(value)
    if age is None or age < ONE_DAY or any(word in value.lower() for word in ("no-store", "no-cache")):
        shown = f"Cache-Control: {value}" if value else "no Cache-Control header"
        return Verdict(False, explain(
            did, f"It answered with {shown}.",
            "The bundle's name changes whenever its content does, so a browser or a CDN may keep it as long "
            "as it likes: with a long max-age each browser downloads it once per release, not on every page. "
            "Without one, every page view asks a worker again for a file that cannot have changed.",
            f"Send it with Cache-Control: public, max-age={ONE_YEAR} (a year; a day at least); in Flask, "
            f"send_from_directory(..., max_age={ONE_YEAR})."))
    fake = made_up_url(href, scenario.seed)
    other = cluster.get(fake, worker=worker)
    if other.status != 404:
        return Verdict(False, explain(
            did + f" Then it asked for {fake}, a name no build made.",
            f"{other.describe()}.",
            "A fingerprinted URL promises one content, forever. Answering a name no build made with whatever "
            "the current bundle is lets a cache keep the wrong stylesheet under that name for as long as the "
            "max-age says.",
            f"Serve only the files that exist in {OUTPUT_DIR}/, and answer 404 for any other name."))
    return Verdict(True, f"GET {href} answered Cache-Control: {value} ({age // ONE_DAY} days), and "
                         f"{fake}, a name no build made, got 404.")


def max_age(value: str) -> int | None:
    """The max-age of a Cache-Control header value, in seconds; None when it has none."""
    for part in value.split(","):
        name, _, number = part.strip().partition("=")
        if name.strip().lower() == "max-age":
            try:
                return int(number.strip().strip('"'))
            except ValueError:
                return None
    return None


def made_up_url(href: str, seed: int) -> str:
    """A URL beside ``href`` of the bundle's shape (``app.<hex>.css``, as many digits) that no build made."""
    folder, _, name = href.rpartition("/")
    fingerprint = Bundle(name, b"").fingerprint
    length = len(fingerprint or "") or 10
    rng = random.Random(seed)
    while True:
        fake = "".join(rng.choice("0123456789abcdef") for _ in range(length))
        if fake != fingerprint:
            return f"{folder}/app.{fake}.css"
