"""Feedback pages from templates compiled once per process, not once per page.

nbconvert gives every exporter a Jinja environment of its own, and nbgrader makes a new exporter for
every ``generate_feedback``; so each feedback page compiled the same nine templates (the feedback
page and the nbconvert templates it extends) again, a third of the page's CPU time. Here they share
one bytecode cache in memory. Jinja keys it by template name and file and checks each entry against
the template's source, so a template that changed is compiled again; the pages are the same pages.
A batch's rehearsal fills the cache before the jobs fork, so every job starts with it full.
"""
from __future__ import annotations

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates, kept in this process (and inherited by the processes it forks)."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # a stale entry (its source's checksum differs) is dropped here

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


COMPILED = MemoryBytecodeCache()


class CompiledOnceHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter, whose templates are compiled once per process (see above)."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = COMPILED
        return environment
