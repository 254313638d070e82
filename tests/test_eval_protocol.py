"""The accumulator protocol, the sAUC sampler, points-to-mask, index_folder's labels and the benchmark library.

Oracles: hand-worked masks and counts, and a re-implementation in this file of
the sAUC "other images" draw (Borji et al.: ``n_others`` random other images,
``default_rng([seed, index, 2])``) and of the mapping of their fixations, so
that an image's sAUC is checked against that image scored alone.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

from saliency.base.errors import UserError, cli_flag
from saliency.eval import FIX_KEYS, SOD_KEYS, FixationMetrics, SODMetrics
from saliency.eval import fixation as F
from saliency.eval.metrics import keys_for, lower_is_better
from saliency.eval.tables import json_obj, markdown
from tests.image_fakes import sod_folders

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- helpers (independent of eval)

def _images(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(20, 36, 2))
        fix = rng.random((h, w)) < 0.04
        if i == 2:
            fix[:] = False  # an image without fixations: never drawn as "other", its own sAUC undefined
        pred = rng.integers(0, 256, (h // 2, w // 2), dtype=np.uint8)
        dens = cv2.GaussianBlur(fix.astype(np.float64), (0, 0), 3) + 1e-3
        out.append((pred, fix, dens))
    return out


def _coords(fix):
    ys, xs = np.nonzero(fix)
    return np.stack([(ys + 0.5) / fix.shape[0], (xs + 0.5) / fix.shape[1]], axis=1)


def _other_mask(known: dict, index: int, shape, seed: int, n_others: int = 10):
    """The union of ``n_others`` random other images' fixations, mapped to ``shape`` (written out by hand)."""
    others = [j for j in sorted(known) if j != index and known[j].any()]
    if not others:
        return None
    pick = np.random.default_rng([seed, index, 2]).choice(len(others), size=min(n_others, len(others)),
                                                          replace=False)
    m = np.zeros(shape, bool)
    for j in sorted(pick):
        fo = known[others[j]]
        for y, x in zip(*np.nonzero(fo)):
            m[int((y + 0.5) / fo.shape[0] * shape[0]), int((x + 0.5) / fo.shape[1] * shape[1])] = True
    return m


def _alone(pred, fix, dens, index, seed, other):
    """One image scored on its own: every metric, sAUC with the given negatives."""
    v = F.fixation_image_scores(pred, fix, dens, seed=seed, index=index, metrics=FIX_KEYS, other=other).values
    return v


# ----------------------------------------------------------------------------- mixing add() and step()

@pytest.mark.parametrize("pooled", [False, True])
def test_mixing_add_and_step_attaches_each_value_to_its_image(pooled):
    seed = 5
    imgs = _images(7)
    stepped = {0, 2, 3, 5}  # the others arrive through add(), as from a worker
    if pooled:
        known = {i: f for i, (_, f, _) in enumerate(imgs)}
        acc = FixationMetrics(seed=seed, fixation_pool=[_coords(f) for _, f, _ in imgs])
    else:  # deferred sAUC: only the stepped images' fixations are known to the accumulator
        known = {i: imgs[i][1] for i in stepped}
        acc = FixationMetrics(seed=seed)
    added = {}
    for i, (pred, fix, dens) in enumerate(imgs):
        if i in stepped:
            acc.step(pred, fix, density=dens)
        else:
            sc = F.fixation_image_scores(pred, fix, dens, seed=seed, index=i, metrics=FIX_KEYS,
                                         other=np.ones(fix.shape, bool))
            added[i] = dict(sc.values)
            acc.add(sc)
    res = acc.results()
    expect = []
    for i, (pred, fix, dens) in enumerate(imgs):
        if i in added:
            expect.append(added[i])
        else:
            expect.append(_alone(pred, fix, dens, i, seed, _other_mask(known, i, fix.shape, seed)))
    for i, e in enumerate(expect):
        got = acc._scores[i].values
        for k in FIX_KEYS:
            assert got[k] == e[k] or (np.isnan(got[k]) and np.isnan(e[k])), (i, k)
    for k in FIX_KEYS:
        vals = np.array([e[k] for e in expect])
        ok = np.isfinite(vals)
        assert res[k] == vals[ok].mean() and res["excluded"][k] == int((~ok).sum()), k
    assert res["excluded"]["sAUC"] == 1 and res["n_images"] == 7  # image 2 has no fixations


def test_deferred_sauc_is_stable_when_results_is_asked_again_and_after_more_images():
    imgs = _images(5, seed=1)
    acc = FixationMetrics(seed=2, metrics=("sAUC",))
    for pred, fix, dens in imgs[:3]:
        acc.step(pred, fix, density=dens)
    first = acc.results()
    assert acc.results() == first
    for pred, fix, dens in imgs[3:]:
        acc.step(pred, fix, density=dens)
    whole = FixationMetrics(seed=2, metrics=("sAUC",))
    for pred, fix, dens in imgs:
        whole.step(pred, fix, density=dens)
    assert acc.results() == whole.results()  # the earlier images' negatives now come from all five


def test_deferred_sauc_keeps_no_full_float_maps():
    """Deferred sAUC keeps the prediction as passed (uint8, small) and the fixated pixels, not float64 maps."""
    rng = np.random.default_rng(0)
    fixes = [rng.random((480, 640)) < 0.001 for _ in range(8)]
    preds = [rng.integers(0, 256, (60, 80), dtype=np.uint8) for _ in range(8)]
    acc = FixationMetrics(metrics=("sAUC", "NSS"))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for p, f in zip(preds, fixes):
            acc.step(p, f)
        kept = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    # a float64 map per image alone would be 8 x 2.4 MiB; the predictions are 8 x 4.7 KiB
    assert kept < 1 << 20, kept
    r = acc.results()
    pooled = FixationMetrics(metrics=("sAUC", "NSS"), fixation_pool=[_coords(f) for f in fixes])
    for p, f in zip(preds, fixes):
        pooled.step(p, f)
    assert r == pooled.results() and 0 < r["sAUC"] < 1


def _kept_bytes(acc, preds, fixes):
    """Bytes still allocated after stepping every (prediction, fixations) pair into ``acc``."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for p, f in zip(preds, fixes):
            acc.step(p, f)
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


def test_sauc_memory_pool_keeps_no_maps_and_deferred_keeps_the_input_dtype():
    """Full-size maps: with a pool nothing per pixel stays; deferred keeps a uint8 map at one byte a pixel."""
    rng = np.random.default_rng(3)
    n, shape = 4, (480, 640)
    px = shape[0] * shape[1]
    fixes = [rng.random(shape) < 0.0005 for _ in range(n)]
    preds8 = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]
    pooled = FixationMetrics(metrics=("sAUC",), fixation_pool=[_coords(f) for f in fixes])
    kept = _kept_bytes(pooled, [p.astype(np.float64) for p in preds8], fixes)
    assert kept < px // 4, kept                          # not even one uint8 map
    deferred = FixationMetrics(metrics=("sAUC",))
    kept = _kept_bytes(deferred, preds8, fixes)
    assert n * px <= kept < n * px + px // 2, kept       # n uint8 maps (float32 would be 4x, float64 8x)
    assert deferred.results() == pooled.results()


# ----------------------------------------------------------------------------- one shape of results

def test_both_accumulators_report_exclusions_in_one_shape():
    sod = SODMetrics(metrics=("MAE", "AUC"))
    sod.step(np.full((4, 4), 7, np.uint8), np.zeros((4, 4), np.uint8))  # empty GT: no ROC
    g = np.zeros((4, 4), np.uint8)
    g[:2] = 255
    p = np.zeros((4, 4), np.uint8)
    p[:2] = 200
    sod.step(p, g)  # perfect ranking: AUC 1
    fx = FixationMetrics(metrics=("NSS", "CC"))
    fix = np.zeros((5, 5), bool)
    fix[2, 2] = True
    fx.step(np.arange(25.0).reshape(5, 5), fix)            # no density: CC left out
    fx.step(np.ones((5, 5)), np.zeros((5, 5), bool), density=np.ones((5, 5)))  # no fixation: NSS left out
    rs, rf = sod.results(), fx.results()
    assert rs["excluded"] == {"MAE": 0, "AUC": 1} and rs["AUC"] == 1.0 and rs["n_images"] == 2
    assert rf["excluded"] == {"NSS": 1, "CC": 1} and rf["CC"] == 0.0 and rf["n_images"] == 2
    assert set(rs) - {"curves"} == {"MAE", "AUC", "n_images", "excluded"}
    assert set(rf) == {"NSS", "CC", "n_images", "excluded"}
    # add(): the same values through the worker path
    sod2 = SODMetrics(metrics=("MAE", "AUC"))
    for s in sod._scores:
        sod2.add(s)
    assert sod2.results()["excluded"] == rs["excluded"] and len(sod2) == 2


# ----------------------------------------------------------------------------- one table, one mask, one sampler

def test_keys_and_directions_come_from_the_metric_table():
    from saliency import validate
    from saliency.eval import tables

    assert SOD_KEYS == keys_for("sod") and FIX_KEYS == keys_for("fixation")
    assert [k for k in (*SOD_KEYS, *FIX_KEYS) if lower_is_better(k)] == ["MAE", "KLD"]
    assert validate.is_better("KLD", 1.0, 2.0) and not validate.is_better("CC", 1.0, 2.0)

    class R:
        def __init__(self, method, v):
            self.method, self.metrics = method, {"KLD": v, "NSS": v}

    rs = [R("a", 1.0), R("b", 2.0)]
    assert tables.ranks(rs, "KLD", 3) == {"a": 0, "b": 1} and tables.ranks(rs, "NSS", 3) == {"a": 1, "b": 0}
    for path in [*(ROOT / "eval").glob("*.py"), ROOT / "saliency" / "validate.py"]:
        src = path.read_text(encoding="utf-8")
        assert "LOWER_IS_BETTER" not in src and "_FAMILY" not in src, path


def test_points_to_mask_hand_worked():
    m = F.points_to_mask([(0, 0), (2, 3), (2, 3), (-1, 1), (1, 4), (3, 0)], (3, 4))
    expect = np.zeros((3, 4), bool)
    expect[0, 0] = expect[2, 3] = True
    assert m.dtype == bool and (m == expect).all()
    assert not F.points_to_mask((), (2, 2)).any()
    # normalised coordinates: pixel centres map back to their pixels, and across sizes by floor()
    c = np.array([[0.1, 0.9], [0.5, 0.5], [0.99, 0.0]])
    want = np.zeros((4, 5), bool)
    want[0, 4] = want[2, 2] = want[3, 0] = True
    assert (F.coords_to_mask(c, (4, 5)) == want).all()
    assert not F.coords_to_mask(np.zeros((0, 2)), (3, 3)).any()


def test_salicon_points_give_the_same_mask_to_eval_and_training(tmp_path):
    from saliency.datasets import Record, load_fixation_gt
    from saliency.eval.datasets import GTItem
    from saliency.eval.runner import _load_fixations

    pts = ((0, 0), (5, 7), (5, 7), (9, 2), (10, 3), (-1, 0))
    want = np.zeros((10, 8), bool)
    want[0, 0] = want[5, 7] = want[9, 2] = True
    assert (_load_fixations(GTItem(key="a", points=pts, size=(10, 8))) == want).all()
    dens = tmp_path / "a.png"
    cv2.imwrite(str(dens), np.full((10, 8), 9, np.uint8))
    rec = Record(key="a", image=str(dens), density=str(dens), points=pts, size=(10, 8))
    fix, _, points = load_fixation_gt(rec, 0.1)
    assert (fix == want).all() and len(points) == 3


def test_one_sampler_for_the_runner_and_the_accumulator():
    """The accumulator's negatives are the shared sampler's draw, and that draw is Borji et al.'s (by hand)."""
    fixes = {i: f for i, (_, f, _) in enumerate(_images(14, seed=3))}
    pool = [_coords(fixes[i]) for i in range(14)]
    acc = FixationMetrics(seed=9)
    for i in (0, 2, 13):
        shape = (17, 23)
        mask = F.coords_to_mask(F.other_fixation_coords(pool, i, 9), shape)
        assert (acc.other_fixations(i, shape, pool) == mask).all()
        assert (mask == _other_mask(fixes, i, shape, 9)).all()
    assert F.other_fixation_coords([np.zeros((0, 2)), np.ones((3, 2)) * 0.5], 1, 0) is None


# ----------------------------------------------------------------------------- parameters, not flags

def test_the_gold_standard_is_shown_not_ranked_and_latex_names_are_escaped():
    """Review (stop 18): the human ceiling took every bold mark; a ``#`` in a method name broke the LaTeX."""
    from saliency.eval import tables
    from saliency.eval.runner import GOLD_STANDARD, MethodResult

    rs = [MethodResult("D", GOLD_STANDARD, 5, {"NSS": 3.0, "KLD": 0.1}),
          MethodResult("D", "Net#1_{x}", 5, {"NSS": 2.0, "KLD": 0.5}),
          MethodResult("D", "CB", 5, {"NSS": 1.0, "KLD": 0.9})]
    assert tables.ranks(rs, "NSS", 3) == {"Net#1_{x}": 0, "CB": 1}
    assert tables.ranks(rs, "KLD", 3) == {"Net#1_{x}": 0, "CB": 1}
    md = tables.markdown(rs, ["NSS", "KLD"])
    assert "**2.000**" in md and "**0.500**" in md and "**3.000**" not in md and "**0.100**" not in md
    tex = tables.latex(rs, ["NSS", "KLD"])
    assert "Net\\#1\\_\\{x\\} & \\textbf{2.000} & \\textbf{0.500}" in tex
    assert "gold standard & 3.000 & 0.100" in tex
    assert tables.latex_escape("a\\b~^$%&") == "a\\textbackslash{}b\\textasciitilde{}\\textasciicircum{}\\$\\%\\&"


def test_index_folder_names_its_parameter(tmp_path):
    from saliency.eval.io import index_folder

    with pytest.raises(UserError) as e:
        index_folder(tmp_path / "nope", param="images")
    assert str(e.value) == f"images {tmp_path / 'nope'}: folder not found"
    assert e.value.render(cli_flag) == f"--images {tmp_path / 'nope'}: folder not found"
    (tmp_path / "e").mkdir()
    with pytest.raises(UserError) as e:
        index_folder(tmp_path / "e", prefix="M=")
    assert e.value.render(cli_flag).startswith(f"--pred M={tmp_path / 'e'}: no image files (.png")
    with pytest.raises(UserError) as e:  # a folder no parameter gave: a plain label, printed as is
        index_folder(tmp_path / "nope", label="masks")
    assert str(e.value) == e.value.render(cli_flag) == f"masks {tmp_path / 'nope'}: folder not found"
    with pytest.raises(TypeError):  # the old verbatim flag label is gone
        index_folder(tmp_path / "e", option="--images")
    for bad in ({"param": "--images"}, {"param": "-i"}, {"label": "--maps"}):  # parameters, never flag strings
        with pytest.raises(ValueError):
            index_folder(tmp_path / "e", **bad)
    cv2.imwrite(str(tmp_path / "e" / "a.png"), np.zeros((2, 2), np.uint8))
    assert list(index_folder(tmp_path / "e", param="images")) == ["a"]


def test_index_folder_follows_linked_folders_and_names_a_dangling_link(tmp_path):
    """Review (stop 18): a linked sub-folder was never searched and a dangling image link left out, both unsaid."""
    from saliency.eval.io import index_folder

    real = tmp_path / "real" / "cats"
    real.mkdir(parents=True)
    for name in ("c1.png", "c2.png"):
        cv2.imwrite(str(real / name), np.zeros((2, 2), np.uint8))
    top = tmp_path / "images"
    (top / "dogs").mkdir(parents=True)
    cv2.imwrite(str(top / "dogs" / "d1.png"), np.zeros((2, 2), np.uint8))
    (top / "cats").symlink_to(real, target_is_directory=True)
    (top / "again").symlink_to(real, target_is_directory=True)  # the same folder twice: searched once
    (top / "up").symlink_to(tmp_path, target_is_directory=True)  # a link up: never walks the enclosing tree
    (top / "dogs" / "loop").symlink_to(top / "dogs", target_is_directory=True)
    (top / "animals").symlink_to(top / "dogs", target_is_directory=True)  # an alias inside: dogs keeps its name
    keys = {k for k, p in index_folder(top, param="images").items() if "/" in k}
    # "again" sorts before "cats": the outside folder is found (once) under that name
    assert keys == {"again/c1", "again/c2", "dogs/d1"}
    (top / "gone.png").symlink_to(tmp_path / "nowhere.png")
    with pytest.raises(UserError) as e:
        index_folder(top, param="images")
    assert "gone.png" in str(e.value) and "does not exist" in str(e.value)


def test_benchmark_library_resolves_and_names_parameters(tmp_path):
    from saliency.eval import benchmark

    gt, pred = tmp_path / "gt", tmp_path / "p"
    gt.mkdir()
    pred.mkdir()
    for i in range(2):
        m = np.zeros((8, 8), np.uint8)
        m[2:6, 2:6] = 255
        cv2.imwrite(str(gt / f"i{i}.png"), m)
        cv2.imwrite(str(pred / f"i{i}.png"), m // 2 + 10)
    with pytest.raises(UserError) as e:
        benchmark.evaluate(pred=[str(pred)], gt=gt)
    assert str(e.value) == "gt needs task sod or task fixation"
    assert e.value.render(cli_flag) == "--gt needs --task sod or --task fixation"
    with pytest.raises(UserError) as e:
        benchmark.plan(task="sod", pred=[str(pred)], gt=gt, metrics="mae,NSS")
    assert str(e.value).startswith("metrics mae,NSS: unknown for task sod: NSS;")
    b = benchmark.plan(task="sod", pred=[f"A={pred}"], gt=gt, metrics=["smeasure", "MAE"])
    assert b.keys == ("Smeasure", "MAE") and b.methods == [("A", str(pred))] and b.datasets[0].name == "gt"
    cfg = tmp_path / "b.json"
    cfg.write_text('{"task": "sod", "datasets": {"mine": "gt"}, "methods": {"A": "p"}}')
    b = benchmark.evaluate(config=cfg, metrics="MAE", progress=False)
    (r,) = b.results
    # the accumulators' shape: every metric counted, zeros included (tables and JSON show the non-zero ones)
    assert (r.dataset, r.method, r.n_images, r.excluded) == ("mine", "A", 2, {"MAE": 0})
    assert json_obj("sod", "v", [r])["results"][0]["excluded"] == {}
    # MAE by hand: |pred/255 min-max stretched - gt/255|: pred 10 -> 0, 137 -> 1, exact on the mask
    assert r.metrics["MAE"] == 0.0


def test_tables_show_only_the_metrics_that_left_images_out():
    """MethodResult keeps every metric's count; the markdown notes and the JSON list the non-zero ones."""
    from saliency.eval.runner import MethodResult

    r = MethodResult("D", "A", 3, {"MAE": 0.5, "AUC": 0.75}, excluded={"MAE": 0, "AUC": 2})
    assert json_obj("sod", "v", [r])["results"][0]["excluded"] == {"AUC": 2}
    md = markdown([r], ("MAE", "AUC"))
    assert "- A: 3 images, AUC left out on 2 image(s)\n" in md and "MAE left out" not in md


def test_plot_dir_needs_a_metric_of_the_f_family(tmp_path):
    """The F-measure check reads the family from the metric table; the message lists that family's names."""
    from saliency.eval import benchmark

    m = np.zeros((8, 8), np.uint8)
    m[2:6, 2:6] = 255
    gt, pred = sod_folders(tmp_path, {"i": m}, pred="p")
    with pytest.raises(UserError) as e:
        benchmark.plan(task="sod", pred=[str(pred)], gt=gt, metrics="MAE,Emax", plot_dir=tmp_path / "pl")
    assert e.value.render(cli_flag) == "--plot-dir needs an F-measure metric in --metrics (Fmax, Fmean or Fadp)"
    for k in ("Fmax", "Fmean", "Fadp"):
        assert benchmark.plan(task="sod", pred=[str(pred)], gt=gt, metrics=f"MAE,{k}", plot_dir=tmp_path / "pl")
