"""The house's import rules (docs/ARCHITECTURE.md), checked on the source with ``ast``.

Every ``import`` statement of the toolkit counts, at module level or inside a
function: a lazy import is still a dependency. The rules:

- ``saliency.base`` imports no other part of the toolkit;
- ``saliency.data_tools``, ``saliency.eval`` and ``saliency.models`` import
  only ``saliency.base`` and themselves (data flows between them through
  files, never through imports), and ``data_tools``/``eval``/``base`` never
  import torch;
- the top layer (``saliency.*``: training, inference, reports) imports any of
  those, never the command line (``saliency.cli``, ``saliency.commands``);
- commands import anything but ``saliency.cli``;
- no cycle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"saliency": "saliency", "data_tools": "saliency.data_tools", "models": "saliency.models",
           "eval": "saliency.eval"}
TORCH = ("torch", "torchvision", "timm")


def _modules() -> dict[str, Path]:
    mods = {}
    for folder, prefix in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            mods[".".join([prefix, *parts])] = path
    return mods


MODULES = _modules()


def _is_package(mod: str) -> bool:
    return MODULES[mod].name == "__init__.py"


def _imports(mod: str) -> list[tuple[str, int]]:
    """(imported name, line) of every import in ``mod``, relative imports resolved."""
    tree = ast.parse(MODULES[mod].read_text(encoding="utf-8"))
    package = mod if _is_package(mod) else mod.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append((sub if sub in MODULES else target, node.lineno))
    return out


def _resolve(name: str) -> str | None:
    """The toolkit module an imported name lands in (None for third-party names)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _layer(mod: str) -> str:
    if mod in ("saliency.__main__", "saliency.entry"):  # the console script's and ``python -m saliency``'s entry
        return "cli"
    for layer in ("saliency.base", "saliency.data_tools", "saliency.eval", "saliency.models", "saliency.commands",
                  "saliency.cli"):
        if mod == layer or mod.startswith(layer + "."):
            return layer.rpartition(".")[2]
    return "top"


ALLOWED = {
    "base": {"base"},
    "data_tools": {"base", "data_tools"},
    "eval": {"base", "eval"},
    "models": {"base", "models"},
    "top": {"base", "data_tools", "eval", "models", "top"},
    "commands": {"base", "data_tools", "eval", "models", "top", "commands"},
    "cli": {"base", "data_tools", "eval", "models", "top", "commands", "cli"},
}


def test_layout_is_found():
    """The walk sees every part (a renamed folder would otherwise pass the rules vacuously)."""
    layers = {_layer(m) for m in MODULES}
    assert layers == set(ALLOWED)
    assert len(MODULES) > 60


def test_imports_follow_the_layers():
    bad = []
    for mod in MODULES:
        src = _layer(mod)
        for name, line in _imports(mod):
            if name.split(".")[0] in FOLDERS and name.split(".")[0] != "saliency":
                bad.append(f"{MODULES[mod].relative_to(ROOT)}:{line}: imports {name} by its folder name; "
                           f"use saliency.{name}")
                continue
            target = _resolve(name)
            if target is None:
                if src in ("base", "data_tools", "eval") and name.split(".")[0] in TORCH:
                    bad.append(f"{MODULES[mod].relative_to(ROOT)}:{line}: {src} imports {name}")
                continue
            dst = _layer(target)
            if target == "saliency" and src != "top":  # the root package: only the version, from base
                bad.append(f"{MODULES[mod].relative_to(ROOT)}:{line}: imports the root package; "
                           "import saliency.base instead")
            elif dst not in ALLOWED[src]:
                bad.append(f"{MODULES[mod].relative_to(ROOT)}:{line}: {src} imports {target} ({dst})")
    assert not bad, "imports against the direction:\n" + "\n".join(bad)


def _cycles() -> list[list[str]]:
    graph = {m: sorted({t for n, _ in _imports(m) if (t := _resolve(n)) and t != m}) for m in MODULES}
    # Tarjan's strongly connected components
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    cycles = _cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_a_package_importing_its_own_submodules_is_no_cycle():
    """Sanity of the checker: a package's __init__ importing its modules, which import siblings, is fine."""
    assert _resolve("saliency.models.attention.cbam") == "saliency.models.attention.cbam"
    assert _layer("saliency.commands.eval") == "commands" and _layer("saliency.eval.io") == "eval"
    assert _layer("saliency.train") == "top" and _layer("saliency") == "top"


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if _layer(m) in ("data_tools", "eval", "models")))
def test_library_errors_name_parameters_not_flags(mod):
    """Library messages name their parameters in backticks; only the command line knows ``--flags``."""
    src = MODULES[mod].read_text(encoding="utf-8")
    tree = ast.parse(src)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for sub in ast.walk(node.exc):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and " --" in f" {sub.value}":
                    if any(tok.startswith("--") and len(tok) > 2 and tok[2].isalpha() for tok in
                           sub.value.replace("/", " ").replace("(", " ").split()):
                        bad.append(f"line {node.lineno}: {sub.value!r}")
    assert not bad, f"{MODULES[mod].relative_to(ROOT)} raises errors naming command-line flags:\n" + "\n".join(bad)
