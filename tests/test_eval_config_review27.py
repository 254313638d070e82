"""Review stop 27 of ``saliency eval --config``, published SOD layouts and ``saliency report``.

Found in review: a key given twice in a config kept the last value unsaid (``methods: {G: a, G: b}`` scored b
only); ``--dataset PASCAL-S --root R`` read a generic images/ + masks/ in R over R/PASCAL-S/; config keys with no
effect (``suffix`` beside ``path``, ``gt`` beside ``root``, ...) and an empty method mapping were accepted; the
report left out eval's notes; errors about a config named options the user did not type (``--task``,
``--pred G=True``) and a command spelled ``list_datasets``. Oracles: the one-line convention with the messages
written out by hand, and data built so that the right folder scores MAE 0 and the wrong one does not.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli


def _png(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((12, 16), value, np.uint8))


@pytest.fixture
def ecssd(tmp_path):
    """tmp_path/root/ECSSD (two images) and preds/G/ECSSD, preds/B/ECSSD; returns tmp_path."""
    for k in ("a", "b"):
        _png(tmp_path / "root" / "ECSSD" / "images" / f"{k}.jpg", 90)
        _png(tmp_path / "root" / "ECSSD" / "ground_truth_mask" / f"{k}.png", 255)
        _png(tmp_path / "preds" / "G" / "ECSSD" / f"{k}.png", 255)
        _png(tmp_path / "preds" / "B" / "ECSSD" / f"{k}.png", 0)
    return tmp_path


def _cfg(tmp_path, text, name="c.yaml"):
    cfg = tmp_path / name
    cfg.write_text(text)
    return cfg


def _refused(capsys, cfg, *extra):
    return refusal(*run_cli(capsys, ["eval", "--no-progress", "--config", cfg, *extra]))


# 1. a key given twice ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, line", [
    ("task: sod\ndatasets: {ECSSD: {root: root}}\nmethods:\n  G: preds/G/{dataset}\n  G: preds/B/{dataset}\n",
     "key 'G' given twice in one mapping (line 4: \"preds/G/{dataset}\", then line 5: \"preds/B/{dataset}\")"),
    ("task: sod\ntask: fixation\ndatasets: {ECSSD: {root: root}}\nmethods: {G: 'preds/G/{dataset}'}\n",
     "key 'task' given twice in one mapping (line 1: \"sod\", then line 2: \"fixation\")"),
    ("task: sod\ndatasets:\n  ECSSD: {root: root}\n  ECSSD: {root: root, dataset: DUTS-TE}\n"
     "methods: {G: preds/G/ECSSD}\n",
     "key 'ECSSD' given twice in one mapping (line 3: {\"root\": \"root\"}, then line 4: {\"root\": \"root\", "
     "\"dataset\": \"DUTS-TE\"})"),
], ids=["method", "task", "dataset"])
def test_a_yaml_key_given_twice_is_refused(ecssd, capsys, text, line):
    cfg = _cfg(ecssd, text)
    assert _refused(capsys, cfg) == (f"saliency eval: error: --config {cfg}: {line}; the second would replace the "
                                     "first: keep one")


def test_a_json_key_given_twice_is_refused(ecssd, capsys):
    cfg = _cfg(ecssd, '{"task": "sod", "datasets": {"ECSSD": {"root": "root"}}, '
                      '"methods": {"G": "preds/G/{dataset}", "G": "preds/B/{dataset}"}}', "c.json")
    assert _refused(capsys, cfg) == (f"saliency eval: error: --config {cfg}: key 'G' given twice in one mapping "
                                     "(\"preds/G/{dataset}\", then \"preds/B/{dataset}\"); the second would replace "
                                     "the first: keep one")


def test_a_yaml_merge_key_still_works(ecssd, capsys):
    """``<<`` merges are not keys given twice: an explicit key overriding a merged one is YAML's meaning."""
    cfg = _cfg(ecssd, "task: sod\ndatasets:\n  ECSSD: &e {root: root}\n  E2: {<<: *e, root: root, dataset: ECSSD}\n"
                      "methods: {G: preds/G/ECSSD}\n")
    rc, out, err = run_cli(capsys, ["eval", "--no-progress", "--config", cfg])
    assert rc == 0, err


# 2. PASCAL-S under a root that also holds a generic images/ + masks/ --------------------------------------------

def test_a_root_holding_a_generic_layout_beside_the_dataset_folder_is_refused(tmp_path, capsys):
    for k in ("a", "b"):
        _png(tmp_path / "R" / "images" / f"{k}.jpg", 90)
        _png(tmp_path / "R" / "masks" / f"{k}.png", 0)             # the wrong data: all background
        _png(tmp_path / "R" / "PASCAL-S" / "Imgs" / f"{k}.jpg", 90)
        _png(tmp_path / "R" / "PASCAL-S" / "Masks" / f"{k}.png", 255)
        _png(tmp_path / "P" / f"{k}.png", 255)                       # equal to R/PASCAL-S's masks: MAE 0
    r = tmp_path / "R"
    got = refusal(*run_cli(capsys, ["eval", "--no-progress", "--dataset", "PASCAL-S", "--root", r,
                                    "--pred", tmp_path / "P"]))
    assert got == (f"saliency eval: error: --root {r}: both {r} (masks/) and {r}/PASCAL-S (Masks/) hold a PASCAL-S "
                   f"layout; give --root {r}/PASCAL-S to read that one, or move the other folders out of {r}")
    js = tmp_path / "o.json"
    rc, out, err = run_cli(capsys, ["eval", "--no-progress", "--dataset", "PASCAL-S", "--root", r / "PASCAL-S",
                                    "--pred", tmp_path / "P", "--json", js])
    assert rc == 0, err
    doc = json.loads(js.read_text())
    assert doc["results"][0]["metrics"]["MAE"] == 0.0
    assert doc["notes"] == [f"PASCAL-S: masks read from {r}/PASCAL-S/Masks"]


# 3. keys with no effect, 4. an empty method ------------------------------------------------------------------

@pytest.mark.parametrize("entry, line", [
    ("datasets: {ECSSD: {root: root}}\nmethods: {G: {path: 'preds/G/{dataset}', suffix: _sal.png}}",
     "method G: key 'suffix' has no effect (only 'path' is read; predictions are matched by file stem); leave it out"),
    ("datasets: {ECSSD: {root: root}}\nmethods: {G: {ECSSD: {path: preds/G/ECSSD, prefix: x}}}",
     "method G: dataset ECSSD: key 'prefix' has no effect (only 'path' is read; predictions are matched by file "
     "stem); leave it out"),
    ("datasets: {ECSSD: {root: root, gt: preds/B/ECSSD}}\nmethods: {G: 'preds/G/{dataset}'}",
     "dataset ECSSD: key 'gt' has no effect (root's published layout is read instead); leave it out"),
    ("datasets: {ECSSD: {root: root, task: fixation}}\nmethods: {G: 'preds/G/{dataset}'}",
     "dataset ECSSD: key 'task' has no effect (the published layout gives the task); leave it out"),
    ("datasets: {E: {gt: root/ECSSD/ground_truth_mask, mask: nowhere}}\nmethods: {G: preds/G/ECSSD}",
     "dataset E: key 'mask' has no effect ('gt' is read instead); leave it out"),
    ("datasets: {E: {gt: root/ECSSD/ground_truth_mask, dataset: DUTS-TE}}\nmethods: {G: preds/G/ECSSD}",
     "dataset E: key 'dataset' has no effect (it names the published layout read under a 'root', and there is "
     "none); leave it out or give 'root'"),
    ("datasets: {ECSSD: {root: root}}\nmethods: {G: 'preds/G/{dataset}', B: {}}",
     "method B: empty mapping; give B's folder (may hold {dataset}) or {dataset: folder}"),
], ids=["path-suffix", "nested-path-prefix", "root-gt", "root-task", "gt-mask", "gt-dataset", "empty-method"])
def test_config_keys_with_no_effect_are_refused(ecssd, capsys, entry, line):
    cfg = _cfg(ecssd, f"task: sod\n{entry}\n")
    assert _refused(capsys, cfg) == f"saliency eval: error: --config {cfg}: {line}"


# 6. errors name the config, not options the user did not type ------------------------------------------------

@pytest.mark.parametrize("value, shown", [("true", "true"), ("5", "5"), ("[preds/G/ECSSD]", '["preds/G/ECSSD"]')])
def test_a_method_of_the_wrong_type_is_refused_as_such(ecssd, capsys, value, shown):
    cfg = _cfg(ecssd, f"task: sod\ndatasets: {{ECSSD: {{root: root}}}}\nmethods: {{G: {value}}}\n")
    assert _refused(capsys, cfg) == (f"saliency eval: error: --config {cfg}: method G: {shown} is not a folder; "
                                     "write the folder as text")


def test_a_missing_method_folder_names_the_config(ecssd, capsys):
    cfg = _cfg(ecssd, "task: sod\ndatasets: {ECSSD: {root: root}}\nmethods: {G: 'preds/none/{dataset}'}\n")
    assert _refused(capsys, cfg) == (f"saliency eval: error: --config {cfg}: method G: {ecssd}/preds/none/ECSSD: "
                                     "folder not found")


def test_the_config_task_is_named_as_the_config(ecssd, capsys):
    cfg = _cfg(ecssd, "task: fixation\ndatasets: {ECSSD: {root: root}}\nmethods: {G: 'preds/G/{dataset}'}\n")
    assert _refused(capsys, cfg) == (f"saliency eval: error: --config {cfg}: task fixation: dataset(s) ECSSD (sod) "
                                     "hold ground truth of the other task; evaluate one task at a time")


# 7. the command that lists the layouts -----------------------------------------------------------------------

def test_an_unknown_dataset_of_a_config_names_the_list_option(ecssd, capsys):
    cfg = _cfg(ecssd, "task: sod\ndatasets: {ECSSD: {root: root, dataset: ECSD}}\nmethods: {G: preds/G/ECSSD}\n")
    assert _refused(capsys, cfg).endswith("(saliency eval --list-datasets)")


# 5. the report lists eval's notes -----------------------------------------------------------------------------

def test_the_report_lists_the_notes_of_the_eval_json(tmp_path, capsys):
    note = "gtx: 2 file(s) left out: not an image extension (.gif; e.g. a<b>.gif)"
    ev = {"task": "sod", "results": [{"dataset": "gtx", "method": "A", "n_images": 3, "metrics": {"MAE": 0.1}}],
          "notes": [note]}
    (tmp_path / "e.json").write_text(json.dumps(ev))
    rc, out, err = run_cli(capsys, ["report", "--eval", tmp_path / "e.json", "--out", tmp_path / "rep"])
    assert rc == 0, err
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "- gtx: 2 file(s) left out: not an image extension (.gif; e.g. a" in md
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "<li>gtx: 2 file(s) left out: not an image extension (.gif; e.g. a&lt;b&gt;.gif)</li>" in html


def test_an_unknown_metric_names_where_the_task_came_from(tmp_path, capsys):
    # the task came from the config (or the ground truth), not from --task, which the user never typed
    import cv2
    import numpy as np

    from saliency.base.errors import UserError, cli_flag
    from saliency.eval import benchmark

    gt, pred = tmp_path / "gt", tmp_path / "p"
    gt.mkdir()
    pred.mkdir()
    m = np.zeros((8, 8), np.uint8)
    m[2:6, 2:6] = 255
    assert cv2.imwrite(str(gt / "i0.png"), m) and cv2.imwrite(str(pred / "i0.png"), m)
    cfg = tmp_path / "b.json"
    cfg.write_text('{"task": "sod", "datasets": {"mine": {"gt": "gt"}}, "methods": {"A": "p"}}')
    with pytest.raises(UserError) as e:
        benchmark.plan(config=str(cfg), metrics="NSS")
    assert e.value.render(cli_flag).startswith(f"--metrics NSS: unknown for --config {cfg}: task sod: NSS;")
    with pytest.raises(UserError) as e:
        benchmark.plan(pred=[str(pred)], gt=gt, task="sod", metrics="NSS")
    assert e.value.render(cli_flag).startswith("--metrics NSS: unknown for --task sod: NSS;")
    ecssd = tmp_path / "R" / "ECSSD"
    (ecssd / "images").mkdir(parents=True)
    (ecssd / "ground_truth_mask").mkdir()
    assert cv2.imwrite(str(ecssd / "images" / "i0.jpg"), np.dstack([m] * 3))
    assert cv2.imwrite(str(ecssd / "ground_truth_mask" / "i0.png"), m)
    with pytest.raises(UserError) as e:
        benchmark.plan(dataset=["ECSSD"], root=str(tmp_path / "R"), pred=[str(pred)], metrics="NSS")
    assert e.value.render(cli_flag).startswith("--metrics NSS: unknown for the ground truth's task sod: NSS;")
