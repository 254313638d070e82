"""The installed toolkit lives under one name, ``saliency``, and never collides with a user's own modules.

The repository keeps ``data_tools/``, ``models/`` and ``eval/`` as top-level
folders; setup.cfg maps them to ``saliency.data_tools``, ``saliency.models`` and
``saliency.eval``. This test builds the wheel from a copy of the source, installs
it into a fresh virtual environment (no editable install, no repository on
``sys.path``) and imports the toolkit from a folder that holds its own
``models/`` package and ``eval.py`` -- the situation in which the old layout
broke (``module 'models' has no attribute 'create_model'``). The README's
Python API snippet runs there too, as a user would paste it.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from readme_blocks import readme_python_block

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "runs", "__pycache__",
                                ".pytest_cache", ".hypothesis", ".gl", ".whl", "*.pyc")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python of a fresh venv with the wheel installed, the wheel's path)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)
    dist = tmp / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)]
    # The build backend beside the test interpreter first (offline); where it is too old to build wheels
    # (setuptools < 70.1 without the wheel package), pip's isolated build fetches pyproject's backend.
    build = subprocess.run(cmd[:4] + ["--no-build-isolation"] + cmd[4:], capture_output=True, text=True)
    if build.returncode != 0:
        build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = dist.glob("saliency_toolkit-*.whl")

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(purelib), str(wheel)], check=True, capture_output=True, text=True)
    # The dependencies (torch, numpy, ...) come from the test interpreter's site folders, added as plain
    # path entries: a .pth line adds a folder to sys.path without running the .pth files inside it, so the
    # repository's editable install (a finder registered by a .pth) stays out of the fresh environment.
    deps = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    (purelib / "zz_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    return py, wheel


@pytest.fixture()
def user_folder(tmp_path):
    """A working folder with the user's own ``models`` package and ``eval.py``."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("MINE = 'the user models package'\n")
    (tmp_path / "eval.py").write_text("MINE = 'the user eval module'\n")
    return tmp_path


def _run(py: Path, cwd: Path, code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(py), "-c", code], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_the_wheel_holds_one_top_level_package(installed):
    _, wheel = installed
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
        assert top == {"saliency"}
        # every package of the source tree is in the wheel (setup.cfg lists them: a new one must be added)
        folders = {"saliency": "saliency", "data_tools": "saliency/data_tools", "models": "saliency/models",
                   "eval": "saliency/eval"}
        expected = {f"{dest}/{init.relative_to(ROOT / src).as_posix()}" for src, dest in folders.items()
                    for init in (ROOT / src).rglob("__init__.py")}
        assert expected <= set(names), sorted(expected - set(names))
        assert "saliency/data_tools/readers/__init__.py" in expected
        (toplevel,) = [n for n in names if n.endswith("top_level.txt")]
        assert z.read(toplevel).decode().split() == ["saliency"]


def test_imports_from_a_folder_with_its_own_models_and_eval(installed, user_folder):
    py, _ = installed
    code = textwrap.dedent("""
        import models, eval
        import saliency
        from saliency.models import create_model, list_models
        from saliency import eval as sal_eval
        from saliency.data_tools.maps import MapPolicy
        assert models.MINE == 'the user models package', models
        assert eval.MINE == 'the user eval module', eval
        assert 'site-packages' in saliency.__file__, saliency.__file__
        assert sal_eval.SODMetrics and MapPolicy
        net = create_model('unet_tiny_cbam_sod').eval()
        print(len(list_models()), type(net).__name__)
    """)
    r = _run(py, user_folder, code)
    assert r.returncode == 0, r.stderr[-3000:]
    n, cls = r.stdout.split()
    assert int(n) > 5 and cls


def test_readme_api_snippet_runs_as_written(installed, user_folder):
    """The README's Python API block, pasted into a fresh environment in a folder with its own models/."""
    py, _ = installed
    r = _run(py, user_folder, readme_python_block(ROOT / "README.md", "## Python API"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip(), "the snippet prints its results"


def test_console_script_entry_point(installed):
    """``saliency = saliency.entry:console`` resolves in the installed package, and the script runs."""
    py, wheel = installed
    with zipfile.ZipFile(wheel) as z:
        (ep,) = [n for n in z.namelist() if n.endswith("entry_points.txt")]
        assert "saliency = saliency.entry:console" in z.read(ep).decode()
    r = _run(py, wheel.parent, "import sys; from saliency.cli import main; sys.exit(main(['--version']))")
    assert r.returncode == 0 and r.stdout.startswith("saliency "), r.stderr
    # what the generated script runs (pip --target writes no script for this venv's python)
    entry = "import sys; from saliency.entry import console; sys.argv = ['saliency', *sys.argv[1:]]; console()"
    r = subprocess.run([str(py), "-c", entry, "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("saliency "), r.stderr
    r = subprocess.run([str(py), "-c", entry, "eval", "--no-such-option"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
