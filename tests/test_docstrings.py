"""The guide's standard: every module has a docstring, and so has every public function, class and public method
of a public class (a name without a leading underscore), in the four packages. Read from the source with ``ast``,
so nothing is imported (torch-free parts stay torch-free here too)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("saliency", "data_tools", "eval", "models")


def _undocumented(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = [] if ast.get_docstring(tree) else [f"{path.relative_to(ROOT)}: module"]
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in tree.body:
        if not isinstance(node, defs) or node.name.startswith("_"):
            continue
        if not ast.get_docstring(node):
            out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
        if isinstance(node, ast.ClassDef):
            for m in node.body:
                if (isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and not m.name.startswith("_")
                        and not ast.get_docstring(m)):
                    out.append(f"{path.relative_to(ROOT)}:{m.lineno} {node.name}.{m.name}")
    return out


def test_every_module_and_public_definition_has_a_docstring():
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    assert len(files) > 100  # the four packages were found
    missing = [m for p in files for m in _undocumented(p)]
    assert not missing, "\n".join(missing)
