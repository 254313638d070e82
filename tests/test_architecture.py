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


def _names_flag(text: str) -> bool:
    """Whether ``text`` names a ``--flag`` (a word starting with ``--`` and a letter)."""
    return any(tok.startswith("--") and len(tok) > 2 and tok[2].isalpha()
               for tok in text.replace("/", " ").replace("(", " ").split())


def _strings(node) -> list[ast.Constant]:
    return [sub for sub in ast.walk(node) if isinstance(sub, ast.Constant) and isinstance(sub.value, str)]


def _raised_texts(tree) -> list[tuple[int, str]]:
    """(line, text) of each string constant a ``raise`` builds its message from: those inside the raise, and those
    assigned, in the same function, to a name the raise uses (``fix = "..."; raise UserError(f"...{fix}")``)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            out += [(node.lineno, sub.value) for sub in _strings(node.exc)]
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        used = {n.id for r in ast.walk(func) if isinstance(r, ast.Raise) and r.exc is not None
                for n in ast.walk(r.exc) if isinstance(n, ast.Name)}
        for node in ast.walk(func):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
            if not any(isinstance(t, ast.Name) and t.id in used for t in targets):
                continue
            if node.value is not None:
                out += [(node.lineno, sub.value) for sub in _strings(node.value)]
    return out


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if _layer(m) in ("data_tools", "eval", "models")))
def test_library_errors_name_parameters_not_flags(mod):
    """Library messages name their parameters in backticks; only the command line knows ``--flags``."""
    tree = ast.parse(MODULES[mod].read_text(encoding="utf-8"))
    bad = [f"line {line}: {text!r}" for line, text in _raised_texts(tree) if _names_flag(text)]
    assert not bad, f"{MODULES[mod].relative_to(ROOT)} raises errors naming command-line flags:\n" + "\n".join(bad)


def test_the_flag_check_reads_a_message_built_in_a_variable():
    """Sanity of the checker: a flag in a string assigned to a name the raise uses counts; one in a name the
    raise does not use, or in a backticked parameter, does not."""
    src = ("def f(a):\n"
           "    fix = ('normalise it or write it with saliency predict --log-density; '\n"
           "           'a plain map has no negative values')\n"
           "    hint = 'see --help'\n"
           "    raise UserError(f'{a}: bad; {fix}')\n"
           "def g(a):\n"
           "    fix = 'write it with saliency predict `log_density`'\n"
           "    raise UserError(f'{a}: bad; {fix}')\n")
    bad = [(line, text) for line, text in _raised_texts(ast.parse(src)) if _names_flag(text)]
    assert bad == [(2, "normalise it or write it with saliency predict --log-density; a plain map has no negative "
                       "values")]
