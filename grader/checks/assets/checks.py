"""Checks for the ``assets`` exercise: build once, then run.

``build.py`` bundles ``assets/*.css`` into ``static/app.<fingerprint>.css`` and writes
``static/manifest.json``, once per release, before any worker starts; the workers then serve what the
build made, and nothing else. The modules follow the stages: :mod:`.built` reads the release and the
platform's build record (no worker needed), :mod:`.serving` asks every worker over HTTP,
:mod:`.rebuild` edits a rule, builds a new release and deploys it, and :mod:`.runtime` reads the audit
record of the workers' files. :mod:`.css` knows stylesheets; :mod:`.pages` the page every check reads.
"""
from __future__ import annotations

from ..base import Check
from ...i18n import N_
from .built import build, bundle_order
from .rebuild import fingerprint
from .runtime import no_runtime_work
from .serving import cache_headers, same_everywhere

CHECKS = [
    Check("build", N_("build.py bundles the CSS into the release, once"), 2, build, workers=0),
    Check("bundle_order", N_("The bundle holds every source, in file-name order"), 1, bundle_order,
          hidden=True, workers=0),
    Check("same_everywhere", N_("Every worker serves the same page and the same bytes"), 2, same_everywhere),
    Check("fingerprint", N_("The fingerprint follows the content, through a rebuild"), 2, fingerprint, workers=2),
    Check("cache_headers", N_("The bundle is cached for long; made-up names get 404"), 1, cache_headers,
          hidden=True, workers=1),
    Check("no_runtime_work", N_("Nothing is compiled or written at run time"), 2, no_runtime_work, workers=2),
]
