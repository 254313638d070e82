"""What a resumed run records: best.pt by a changed metric, a moved data folder, too few epochs (review 24).

1. ``--resume RUN --set train.best_metric=MAE`` after a run whose best.pt was chosen by Fmax measured only
   best.pt by MAE: the summary said "best MAE 0.4979 at epoch 1" though metrics.csv showed epoch 2 (last.pt)
   lower, and later epochs were compared with that stale value. Oracle: the MAE values written into metrics.csv
   and the checkpoints by hand (epoch 2 lowest): best.pt becomes last.pt (its weights, epoch 2, a best record by
   MAE), the summary names epoch 2; a better epoch whose weights neither file holds is one note, not claimed; a
   best.pt better than last.pt stays byte-identical.
2. The data folder moved and the run resumed with ``--data NEW``: split.json kept naming the old folder.
   Oracle: split.json names NEW (as config.yaml does) with the same ids and layout.
3. ``--resume RUN --epochs N`` below the epochs trained was refused only after every image was decoded.
   Oracle: the exact line, exit 2, with prepare_data made to fail if called; the run folder byte-identical.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import torch

from saliency.cli import main
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

ERR = "saliency train: error: "
ARGS = [*(a if a != "train.grid_images=2" else "train.grid_images=0" for a in TINY_ARGS), "--set", "train.threads=1"]


def _files(run: Path) -> dict:
    """Every file of the run folder, with its bytes."""
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 3-epoch run chosen by Fmax (one epoch per command), with each epoch's last.pt kept as epN.pt."""
    base = tmp_path_factory.mktemp("r24")
    data = make_sod(base / "S", n=8)
    run = base / "run"
    assert main(["train", "--data", str(data), "--task", "sod", "--out", str(run), "--epochs", "1", *ARGS]) == 0
    shutil.copy(run / "checkpoints" / "last.pt", base / "ep1.pt")
    for n in (2, 3):
        assert main(["train", "--resume", str(run), "--epochs", str(n), "--quiet"]) == 0
        shutil.copy(run / "checkpoints" / "last.pt", base / f"ep{n}.pt")
    return base


def _make_run(trained: Path, dest: Path, best: int, last: int, mae: dict) -> Path:
    """A copy of the run whose best.pt is epoch ``best`` and last.pt epoch ``last`` (best by Fmax: epoch
    ``best``), with the MAE of each epoch set by hand to ``mae`` in both metrics.csv and the checkpoints."""
    from saliency.checkpoint import load, save

    shutil.copytree(trained / "run", dest)
    fmax = load(trained / f"ep{best}.pt")["metrics"]["Fmax"]
    for name, epoch in (("best.pt", best), ("last.pt", last)):
        ck = load(trained / f"ep{epoch}.pt")
        ck["metrics"]["MAE"] = mae[epoch]
        ck["best"] = {"metric": "Fmax", "value": fmax, "epoch": best}
        save(dest / "checkpoints" / name, ck)
    with open(dest / "metrics.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows = [dict(r, MAE=f"{mae[int(r['epoch'])]:.6f}", best=str(int(int(r["epoch"]) == best)))
            for r in rows if int(r["epoch"]) <= last]
    with open(dest / "metrics.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return dest


def _weights(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(v, b[k]) for k, v in a.items())


# ------------------------------------------------------------------ 1. best_metric changed on resume

def test_a_changed_best_metric_takes_last_pt_when_it_is_better(trained, tmp_path, capsys):
    run = _make_run(trained, tmp_path / "run", best=1, last=2, mae={1: 0.4, 2: 0.3})
    csv_before = (run / "metrics.csv").read_bytes()
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2", "--set", "train.best_metric=MAE", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"best MAE 0.3000 at epoch 2: {run / 'checkpoints' / 'best.pt'}" in out, out
    assert "note: train.best_metric" not in out  # epoch 2, the best in metrics.csv, is kept
    best = torch.load(run / "checkpoints" / "best.pt", map_location="cpu", weights_only=True)
    assert best["epoch"] == 2 and best["metrics"]["MAE"] == 0.3
    assert best["best"] == {"metric": "MAE", "value": 0.3, "epoch": 2}
    assert _same(best["state_dict"], _weights(trained / "ep2.pt"))
    assert (run / "metrics.csv").read_bytes() == csv_before  # a no-op resume: no row changes
    assert not [p.name for p in (run / "checkpoints").iterdir() if p.name not in ("best.pt", "last.pt")]


def test_a_better_epoch_without_weights_is_a_note_not_a_claim(trained, tmp_path, capsys):
    # metrics.csv: epoch 2 has the lowest MAE, but best.pt holds epoch 1 (the Fmax best) and last.pt epoch 3
    run = _make_run(trained, tmp_path / "run", best=1, last=3, mae={1: 0.4, 2: 0.2, 3: 0.35})
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "3", "--set", "train.best_metric=MAE", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert ("  note: train.best_metric MAE (was Fmax): epoch 2 has the best MAE in metrics.csv (0.2000), but its "
            "weights were not kept (best.pt held the best by Fmax); best.pt is epoch 3 (MAE 0.3500), the best of "
            "the kept weights\n") in out, out
    assert f"best MAE 0.3500 at epoch 3: {run / 'checkpoints' / 'best.pt'}" in out
    best = torch.load(run / "checkpoints" / "best.pt", map_location="cpu", weights_only=True)
    assert best["epoch"] == 3 and _same(best["state_dict"], _weights(trained / "ep3.pt"))


def test_a_best_pt_better_by_the_new_metric_stays(trained, tmp_path, capsys):
    run = _make_run(trained, tmp_path / "run", best=1, last=2, mae={1: 0.2, 2: 0.3})
    before = (run / "checkpoints" / "best.pt").read_bytes()
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2", "--set", "train.best_metric=MAE", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "best MAE 0.2000 at epoch 1" in out and "note: train.best_metric" not in out, out
    assert (run / "checkpoints" / "best.pt").read_bytes() == before


# ------------------------------------------------------------------ 2. a moved data folder

def test_a_moved_data_folder_is_recorded_in_split_json(trained, tmp_path, capsys):
    old = tmp_path / "Sold"
    shutil.copytree(trained / "S", old)
    run = tmp_path / "run"
    assert main(["train", "--data", str(old), "--task", "sod", "--out", str(run), "--epochs", "1", *ARGS]) == 0
    split = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert split["root"] == str(old)
    new = tmp_path / "Snew"
    shutil.move(old, new)
    assert main(["train", "--resume", str(run), "--epochs", "1", "--data", str(new), "--quiet"]) == 0
    split2 = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert split2["root"] == str(new)  # as config.yaml names it
    assert f"root: {new}" in (run / "config.yaml").read_text(encoding="utf-8")
    assert (split2["train"], split2["val"], split2["layout"]) == (split["train"], split["val"], split["layout"])
    # resumed again from the same folder: split.json is left as it is
    kept = (run / "split.json").read_bytes()
    assert main(["train", "--resume", str(run), "--epochs", "1", "--quiet"]) == 0
    assert (run / "split.json").read_bytes() == kept


# ------------------------------------------------------------------ 3. too few epochs on resume

def test_too_few_epochs_on_resume_are_refused_before_any_data_is_read(trained, tmp_path, capsys, monkeypatch):
    import saliency.train as T

    run = tmp_path / "run"
    shutil.copytree(trained / "run", run)  # last.pt: epoch 3
    before = _files(run)

    def no_data(*a, **k):
        raise AssertionError("prepare_data called: the data was read before the refusal")

    monkeypatch.setattr(T, "prepare_data", no_data)
    capsys.readouterr()
    rc = main(["train", "--resume", str(run), "--epochs", "2"])  # not --quiet: caching lines would show
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and "Traceback" not in cap.err, (rc, cap.err)
    assert lines[0] == (f"{ERR}--resume {run}: 3 epoch(s) are already trained, more than train.epochs 2; give "
                        "--epochs 3 or more (a finished run resumes as a no-op)")
    assert "caching" not in cap.out + cap.err
    assert _files(run) == before
