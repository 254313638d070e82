"""benchmarks/train_throughput.py: --workers against the CPUs, a failed epoch run, the data path's augmentation.

Review R8: ``--workers`` above the machine's CPUs (and the default 8 on a
smaller machine) was passed to ``saliency train``, which refused it only after
the model timings had run, and the script ended in a CalledProcessError
traceback (exit 1); any failed epoch run did. Its "data path alone" figure
used the training dataset without its augmentation and with plain indices
(no per-sample seeds), overstating the loader's speed, while it said it was
the epoch run's data path.

Oracles: the one-line refusals written out here by hand; the CPU count from
``os.sched_getaffinity`` (what ``saliency train`` caps at, at least 2); the
default config's augmentation as ``saliency train --print-config`` shows it
(hflip 0.5, crop 0.6-1.0 at 0.5, rotation 10 degrees at 0.3, colour jitter
0.2 at 0.5), written out here; the images
decoded and resized with no transform, which an augmented loader must not
all reproduce and a decode-only one must reproduce exactly.
"""

from __future__ import annotations

import os
import re
import sys

import pytest
import torch

from tests.bench_fakes import REPO, load, refused, script

MODEL = "unet_tiny_cbam_sod"


def _usage(why: str) -> str:
    return f"train_throughput.py: error: {why} (see 'train_throughput.py --help')"


def _fake_heavy(monkeypatch, mod) -> dict:
    """Replace the model timing, the epoch run and the loader timing of ``mod``: record what they were given.

    Faked because each takes seconds to minutes, and what is checked is only the worker count main passes on.
    """
    seen = {"step": 0, "epoch": [], "loader": []}

    def step(*a, phases=None, **k):
        seen["step"] += 1
        if phases is not None:
            phases.update(forward=1.0, backward=1.0, optimizer=1.0)
        return 10.0

    def epoch(work, model, device, n, batch, size, workers, compile_):
        seen["epoch"].append(workers)
        return {"epoch_s": 1.0, "images_per_s": 10.0}

    def loader(data, size, batch, workers, *a, **k):
        seen["loader"].append(workers)
        return 10.0

    monkeypatch.setattr(mod, "step_speed", step)
    monkeypatch.setattr(mod, "epoch_time", epoch)
    monkeypatch.setattr(mod, "loader_speed", loader)
    return seen


def _main(monkeypatch, mod, *args) -> int:
    from scratch import run_main

    monkeypatch.setattr(sys, "argv", ["train_throughput.py", *map(str, args)])
    try:
        return run_main(mod.main)
    except SystemExit as exc:
        return exc.code


def test_workers_above_the_cpus_are_refused_before_the_model_timings(tmp_path):
    """The command as a user runs it, on this machine: one more worker than saliency train allows."""
    cap = max(2, len(os.sched_getaffinity(0)))
    work = tmp_path / "W"
    p = script("train_throughput", "--device", "cpu", "--workers", cap + 1, "--images", 40, "--batch", 2, "--size",
               64, "--models", MODEL, "--no-compile", "--work", work)
    refused(p, _usage(f"argument --workers: {cap + 1} is more than this machine's "
                      f"{len(os.sched_getaffinity(0))} CPUs; use at most {cap}"))
    assert p.stdout == ""  # no model timed (the old script printed the table, then failed in the epoch run)
    assert not work.exists()


@pytest.mark.parametrize("cpus, given, cap", [(4, 5, 4), (1, 3, 2)])
def test_workers_cap_follows_the_cpus(monkeypatch, tmp_path, capsys, cpus, given, cap):
    """The CPU count is faked (saliency.commands._args.cpu_count), so the cap is checked on any machine."""
    import saliency.commands._args as A

    mod = load("train_throughput", "thr30cap")
    seen = _fake_heavy(monkeypatch, mod)
    monkeypatch.setattr(A, "cpu_count", lambda: cpus)
    rc = _main(monkeypatch, mod, "--device", "cpu", "--workers", given, "--models", MODEL, "--no-compile",
               "--work", tmp_path / "W")
    cap_out = capsys.readouterr()
    assert rc == 2 and cap_out.out == ""
    assert cap_out.err == _usage(f"argument --workers: {given} is more than this machine's {cpus} CPUs; use at "
                                 f"most {cap}") + "\n"
    assert seen == {"step": 0, "epoch": [], "loader": []}
    # at the cap it runs (saliency train allows 2 workers on one CPU)
    rc = _main(monkeypatch, mod, "--device", "cpu", "--workers", cap, "--models", MODEL, "--no-compile",
               "--work", tmp_path / "W")
    assert rc == 0, capsys.readouterr().err
    assert seen["epoch"] == [cap] and set(seen["loader"]) == {cap}


@pytest.mark.parametrize("cpus, default", [(2, 2), (1, 2), (6, 6), (16, 8)])
def test_default_workers_are_at_most_the_cpus(monkeypatch, tmp_path, capsys, cpus, default):
    """No --workers: 8, or saliency train's cap (the CPUs, at least 2) if lower; CPU count faked as above."""
    import saliency.commands._args as A

    mod = load("train_throughput", "thr30def")
    seen = _fake_heavy(monkeypatch, mod)
    monkeypatch.setattr(A, "cpu_count", lambda: cpus)
    rc = _main(monkeypatch, mod, "--device", "cpu", "--models", MODEL, "--no-compile", "--work", tmp_path / "W")
    assert rc == 0, capsys.readouterr().err
    assert seen["epoch"] == [default] and set(seen["loader"]) == {default}


def test_a_failed_epoch_run_is_one_line_with_its_exit_status(tmp_path, capfd):
    """A real saliency train child that refuses its data (the stand-in folders exist but hold no image)."""
    from scratch import run_main

    mod = load("train_throughput", "thr30fail")
    work = tmp_path / "W"
    for d in ("standins/images", "standins/masks", "standins_val/images", "standins_val/masks"):
        (work / d).mkdir(parents=True)
    with pytest.raises(SystemExit) as exc:  # the old script: CalledProcessError
        run_main(lambda: mod.epoch_time(work, MODEL, "cpu", 40, 2, 64, 1, False))
    assert exc.value.code == 2  # the child's: bad input
    err = capfd.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    run = work / f"epoch_{MODEL}"
    head = f"error: the epoch run of {MODEL} (saliency train, exit status 2, run folder {run}) failed: "
    assert err.startswith(head + f"saliency train: error: --data {work / 'standins' / 'images'}: no image files"), err


class _Spy(torch.utils.data.DataLoader):
    """The DataLoader, recording its arguments and every batch it yields; memory never pinned (no CUDA here)."""

    made: list = []

    def __init__(self, *a, **k):
        _Spy.made.append(dict(k))
        k["pin_memory"] = False
        super().__init__(*a, **k)
        self.batches = []
        _Spy.made[-1]["loader"] = self

    def __iter__(self):
        for b in super().__iter__():
            self.batches.append(b)
            yield b


@pytest.fixture
def standins(tmp_path):
    mod = load("train_throughput", "thr30data")
    data = tmp_path / "standins"
    mod.write_standins(data, 8)
    return mod, data


def _bare(data, size):
    from saliency.datasets import SaliencyDataset, find_sod

    return SaliencyDataset(find_sod(data).records, "sod", (size, size), None, cache=False)


def test_the_data_path_is_trainings_with_its_augmentation(monkeypatch, standins):
    """torch.utils.data.DataLoader is replaced by a spy that records the batches (workers 0, in this process)."""
    mod, data = standins
    _Spy.made = []
    monkeypatch.setattr(torch.utils.data, "DataLoader", _Spy)
    rate = mod.loader_speed(data, 64, 2, 0, 8)
    assert rate > 0
    (k,) = _Spy.made
    tf = k["loader"].dataset.transform
    assert tf is not None  # the old one: no transform
    import albumentations as A

    kinds = (A.HorizontalFlip, A.RandomResizedCrop, A.Affine, A.ColorJitter)
    assert [isinstance(t, c) for t, c in zip(tf.transforms, kinds)] == [True] * 4 and len(tf.transforms) == 4
    assert [t.p for t in tf.transforms] == [0.5, 0.5, 0.3, 0.5]
    crop = tf.transforms[1]
    assert tuple(crop.scale) == (0.6, 1.0) and tuple(tf.transforms[2].rotate) == (-10.0, 10.0)
    bare = _bare(data, 64)
    got = {int(i): img for b in k["loader"].batches for i, img in zip(b["index"], b["image"])}
    assert sorted(got) == list(range(8))  # every stand-in once
    same = [torch.equal(img, bare[i]["image"]) for i, img in got.items()]
    assert not all(same), "no image was augmented"

    # decode + resize only: the same loader, every image as decoded and resized
    _Spy.made = []
    assert mod.loader_speed(data, 64, 2, 0, 8, augment=False) > 0
    (k,) = _Spy.made
    got = {int(i): img for b in k["loader"].batches for i, img in zip(b["index"], b["image"])}
    assert sorted(got) == list(range(8)) and all(torch.equal(img, bare[i]["image"]) for i, img in got.items())


def test_the_data_path_pins_memory_on_cuda(monkeypatch, standins):
    """As saliency train's loader: pinned memory on CUDA only. The spy (above) records pin_memory and builds the
    loader without it, as this machine has no CUDA: device "cuda" reaches only that argument."""
    mod, data = standins
    monkeypatch.setattr(torch.utils.data, "DataLoader", _Spy)
    for device, pinned in (("cuda", True), ("cpu", False)):
        _Spy.made = []
        mod.loader_speed(data, 64, 2, 0, 4, device)
        assert [k["pin_memory"] for k in _Spy.made] == [pinned]


def test_quick_run_prints_both_data_path_figures(tmp_path):
    """The CPU smoke run as a user runs it: the epoch, then training's loader and decoding alone, each labelled."""
    p = script("train_throughput", "--device", "cpu", "--quick", "--work", tmp_path / "W", cwd=REPO)
    assert p.returncode == 0, p.stderr[-2000:]
    assert re.search(r"the data path alone \(40 images in 1 worker, no model\): training's loader \(decode, resize, "
                     r"augmentation\) \d+ img/s; decode \+ resize only \d+ img/s", p.stdout), p.stdout
