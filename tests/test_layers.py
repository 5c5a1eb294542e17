"""The grader's layers point down: no module imports one of a higher layer (grader/layers.py), lazily
or not, and no modules import each other in a circle. Imports are read with ``ast``; nothing is imported."""
from __future__ import annotations

import ast
from pathlib import Path

from grader.layers import LAYERS, layer_of

PACKAGE = Path(__file__).resolve().parent.parent / "grader"


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere in its code (function bodies included)."""
    known = modules(root)
    base = root.name

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges = {}
    for module, path in known.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found |= {resolve(a.name) for a in node.names if a.name == base or a.name.startswith(base + ".")}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    stem = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                if stem == base or stem.startswith(base + "."):
                    found |= {f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else resolve(stem) for a in node.names}
        # a package's __init__ may gather its own submodules; that is no edge back from them
        edges[module] = {m for m in found if m and m != module and not (path.name == "__init__.py" and m.startswith(module + "."))}
    return edges


def upward(edges: dict[str, set[str]], layer=layer_of) -> list[str]:
    return sorted(f"{source} (layer {LAYERS[layer(source)][0]}) imports {target} (layer {LAYERS[layer(target)][0]})"
                  for source, targets in edges.items() for target in targets
                  if layer(source) is not None and layer(target) is not None and layer(target) > layer(source))


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan)."""
    index, low, on, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_module_of_the_grader_has_a_declared_layer():
    undeclared = sorted(module for module in modules(PACKAGE) if layer_of(module) is None)
    assert not undeclared, f"add these to grader/layers.py: {undeclared}"


def test_no_module_imports_a_higher_layer():
    assert upward(imports(PACKAGE)) == []


def test_no_modules_import_each_other_in_a_circle():
    assert circles(imports(PACKAGE)) == []


def test_the_reader_finds_upward_lazy_imports_and_circles(tmp_path):
    """The checks above can fail: a lazy import from the platform up to the checks, and a circle."""
    root = tmp_path / "grader"
    (root / "platform").mkdir(parents=True)
    (root / "checks").mkdir()
    (root / "__init__.py").write_text("")
    (root / "platform" / "__init__.py").write_text("")
    (root / "platform" / "cluster.py").write_text("def f():\n    from ..checks import base\n")
    (root / "checks" / "__init__.py").write_text("")
    (root / "checks" / "base.py").write_text("from . import feedback\n")
    (root / "checks" / "feedback.py").write_text("from .base import x\n")
    edges = imports(root)
    assert upward(edges) == ["grader.platform.cluster (layer platform) imports grader.checks.base (layer checks)"]
    assert circles(edges) == [["grader.checks.base", "grader.checks.feedback"]]
