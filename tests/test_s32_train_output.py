"""Training's output (s32 F3): the validation pass shows its progress, and its note gives each image's own reason.

1. The validation pass after an epoch printed nothing however long it ran (300 images: ~10.7 s silent after the
   epoch's bar); it now reports its batches through the same ``progress`` helper as the epoch (plain lines on a
   log, nothing with --quiet).
2. A 1x1 stimulus whose one pixel is fixated has no AUC_Judd because no pixel is left unfixated; the note said
   "no fixated pixel". The reason is now read off the image's maps ("every pixel fixated", as eval.io words a map
   with every pixel fixated).
"""

from __future__ import annotations

import cv2
import numpy as np

from cli_fakes import run_cli
from train_fakes import TINY_ARGS, make_fixation, make_sod, restore_torch_globals  # noqa: F401 (autouse fixture)

LOUD_ARGS = [a for a in TINY_ARGS if a != "--quiet"]


def _renamed(root, prefix):
    """The folder's sNNNN files renamed to ``prefix``NNNN in every sub-folder (distinct keys for data.val)."""
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        for p in sorted(sub.iterdir()):
            p.rename(p.with_name(prefix + p.name[1:]))
    return root


def test_the_validation_pass_reports_its_batches_as_the_epoch_does_and_not_when_quiet(tmp_path, capsys):
    data = make_sod(tmp_path / "tr", n=6, seed=0)
    val = _renamed(make_sod(tmp_path / "va", n=7, seed=3), "v")
    base = ["train", "--data", data, "--task", "sod", "--epochs", "1", "--set", f"data.val={val}",
            "--set", "train.threads=1"]
    rc, out, err = run_cli(capsys, [*base, "--out", tmp_path / "run", *LOUD_ARGS])
    assert rc == 0, err
    # 7 validation images in batches of 3: 3 batches, a plain line per batch (a tenth of 3 rounds up to 1)
    lines = [ln for ln in err.splitlines() if ln.startswith("validation 1/1: ")]
    assert [ln.split(" (")[0] for ln in lines] == [f"validation 1/1: {i}/3 batch" for i in (1, 2, 3)], err
    assert "\r" not in err
    # after the epoch's own lines (2 training batches of 3), before the results
    ep = [i for i, ln in enumerate(err.splitlines()) if ln.startswith("epoch 1/1: 2/2 batch")]
    assert ep and ep[0] < err.splitlines().index(lines[0]), err
    assert "validated on 7" in out
    rc, out, err = run_cli(capsys, [*base, "--out", tmp_path / "quiet", *TINY_ARGS])
    assert rc == 0 and "validation" not in err and err == "", err


def _one_pixel(root, key):
    """A 1x1 stimulus with its human map and its one pixel fixated (as ingest writes a single fixation on it)."""
    cv2.imwrite(str(root / "stimuli" / f"{key}.png"), np.full((1, 1, 3), 128, np.uint8))
    cv2.imwrite(str(root / "maps" / f"{key}.png"), np.full((1, 1), 255, np.uint8))
    cv2.imwrite(str(root / "fixations" / f"{key}.png"), np.full((1, 1), 255, np.uint8))


def test_a_one_pixel_image_fixated_everywhere_is_left_out_of_auc_judd_for_every_pixel_fixated(tmp_path, capsys):
    data = make_fixation(tmp_path / "tr", n=6, seed=0)
    val = _renamed(make_fixation(tmp_path / "va", n=3, seed=5), "v")
    _one_pixel(val, "v0004")
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "fixation", "--epochs", "1",
                                    "--out", tmp_path / "run", "--set", f"data.val={val}",
                                    "--set", "train.threads=1", *TINY_ARGS])
    assert rc == 0, err
    assert "validated on 4" in out
    # its NSS is defined (a one-pixel map is constant: 0), its AUC_Judd is not: no unfixated pixel to rank
    assert ("  note: validation: AUC_Judd left out on 1 image(s) (v0004; AUC_Judd: every pixel fixated); each "
            "mean is over the other images, as in saliency eval") in out.splitlines(), out


class _Scores:
    def __init__(self, values, undefined):
        self.values, self.undefined = values, undefined


def test_the_reason_is_read_off_each_images_maps_and_names_its_images_when_reasons_differ():
    from saliency.validate import left_out_note, undefined_reason

    blank, full = np.zeros((4, 5), bool), np.ones((1, 1), bool)
    one = np.zeros((4, 5), bool)
    one[2, 3] = True
    dens = np.ones((4, 5), np.float32)
    assert undefined_reason("AUC_Judd", blank, dens) == "no fixated pixel"
    assert undefined_reason("NSS", blank, dens) == "no fixated pixel"
    assert undefined_reason("AUC_Judd", full, np.ones((1, 1))) == "every pixel fixated"
    assert undefined_reason("AUC_Borji", one, dens) == "fewer than two fixated pixels"
    assert undefined_reason("CC", one, np.zeros((4, 5))) == "a blank human map"
    assert undefined_reason("KLD", one, None) == "a blank human map"
    nan = float("nan")
    scored = [("a", _Scores({"CC": 0.5, "NSS": nan, "KLD": 1.0, "AUC_Judd": nan},
                            {"NSS": "no fixated pixel", "AUC_Judd": "no fixated pixel"})),
              ("b", _Scores({"CC": 0.1, "NSS": 2.0, "KLD": 1.0, "AUC_Judd": 0.8}, {})),
              ("c", _Scores({"CC": 0.0, "NSS": 0.0, "KLD": 0.0, "AUC_Judd": nan}, {"AUC_Judd": "every pixel fixated"}))]
    assert left_out_note("fixation", scored) == (
        "validation: NSS left out on 1 image(s), AUC_Judd left out on 2 image(s) (a, c; NSS and AUC_Judd: no fixated "
        "pixel (a); AUC_Judd: every pixel fixated (c)); each mean is over the other images, as in saliency eval")
