"""Feedback templates compiled once per process (grader.classroom.templates): the same pages, no
second compilation, and a template whose source changed compiled again."""
from __future__ import annotations

import nbformat
from jinja2 import DictLoader, Environment
from nbconvert.exporters import HTMLExporter

from grader.classroom.templates import CompiledOnceHTMLExporter, MemoryBytecodeCache


def counting_compiles(monkeypatch) -> list[str]:
    compiled: list[str] = []
    original = Environment.compile

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", compile)
    return compiled


def test_a_template_is_compiled_once_across_environments_and_again_when_its_source_changes(monkeypatch):
    compiled = counting_compiles(monkeypatch)
    cache, sources = MemoryBytecodeCache(), {"page": "A{{ x }}"}
    assert Environment(loader=DictLoader(sources), bytecode_cache=cache).get_template("page").render(x=1) == "A1"
    assert Environment(loader=DictLoader(sources), bytecode_cache=cache).get_template("page").render(x=2) == "A2"
    assert compiled == ["page"]
    sources["page"] = "B{{ x }}"
    assert Environment(loader=DictLoader(sources), bytecode_cache=cache).get_template("page").render(x=3) == "B3"
    assert compiled == ["page", "page"]


def test_the_exporter_writes_the_page_nbconvert_writes_and_compiles_it_once(monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A heading"),
                                         nbformat.v4.new_code_cell("print(1)")])
    stock = HTMLExporter().from_notebook_node(nb)[0]
    CompiledOnceHTMLExporter().from_notebook_node(nb)  # compiles whatever this process has not yet
    compiled = counting_compiles(monkeypatch)
    assert CompiledOnceHTMLExporter().from_notebook_node(nb)[0] == stock
    assert compiled == [], f"compiled again: {compiled}"
