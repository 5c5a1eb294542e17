"""What every ``assets`` check that talks to workers needs: the page a worker serves and the stylesheet
it links, the bundle the release holds, and the words for a release that holds none."""
from __future__ import annotations

from ..base import Scenario, Verdict
from ..feedback import ContractError, explain
from ...i18n import _
from .css import Bundle, NoBundle, bundle_of, stylesheet_links

PAGE_SHAPE = _('a 200 HTML page that links its stylesheet: {example}',
               example='<link rel="stylesheet" href="/static/app.<fingerprint>.css">')


def page(scenario: Scenario, worker: str):
    """GET / on ``worker``: (response, the href of its first stylesheet link); ContractError otherwise."""
    response = scenario.cluster.get("/", worker=worker)
    links = stylesheet_links(response.body) if response.status == 200 else []
    if not links:
        raise ContractError(response, PAGE_SHAPE, scenario.cluster.workers[worker].current)
    return response, links[0]


def released_bundle(scenario: Scenario, release=None) -> Bundle:
    """The bundle the manifest of ``release`` (default: the platform's first) names; NoBundle if none."""
    return bundle_of((release or scenario.platform.release).path)


def no_bundle(reason: NoBundle) -> Verdict:
    """The verdict of a check that needs the bundle, when the release has none."""
    return Verdict(False, explain(
        _("The grader looked in the release for the bundle build.py made, as every worker will."),
        _("It found none: {reason}.", reason=reason.what), "",
        _("The check `build` says what happened when the release was built; fix that first.")))
