"""Two training runs of one folder name (a/seed0, b/seed0) are told apart in report's captions and figure titles,
as eval JSONs already are (eval_labels); they were both 'seed0'.

Oracle: hand-written metrics.csv files; the expected labels are the shortest path endings that differ.
"""

from __future__ import annotations

from cli_fakes import run_cli

ROWS = "epoch,step,lr,loss,images_per_s,epoch_s,MAE,Fmax,val_s,best\n1,4,0.003,0.9,10,1,0.3,0.5,0.1,1\n" \
       "2,8,0.002,0.7,10,1,0.2,0.6,0.1,1\n"


def test_runs_of_one_name_get_captions_that_differ(tmp_path, capsys):
    runs = []
    for parent in ("osie", "duts"):
        run = tmp_path / parent / "seed0"
        run.mkdir(parents=True)
        (run / "metrics.csv").write_text(ROWS)
        runs.append(run)
    rc, _, err = run_cli(capsys, ["report", *runs, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    md = (tmp_path / "rep" / "report.md").read_text()
    caps = [ln for ln in md.splitlines() if ln.startswith("![training curves")]
    assert caps == ["![training curves: osie/seed0](assets/training_seed0.png)",
                    "![training curves: duts/seed0](assets/training_seed0_2.png)"], caps
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "training curves: osie/seed0" in html and "training curves: duts/seed0" in html
