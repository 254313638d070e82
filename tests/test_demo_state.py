"""Issue 16: the demo's record of its folder (``demo.json``) and ``--fresh`` never touch what it did not write."""

from __future__ import annotations

import json

import pytest

from saliency.base.errors import UserError
from saliency.demo import OWN_ENTRIES, Demo, make_profile


def _never_called(command, argv):  # the constructor only opens the folder's record; no stage runs
    raise AssertionError(f"a stage ran: {command} {argv}")


def test_fresh_removes_the_demo_outputs_and_keeps_the_users_files(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "demo.json").write_text(json.dumps({"settings": {"layout": 0}, "stages": {"study": {}}}))
    for rel in ("study/study.json", "runs/sod/config.yaml", "report/report.md"):  # names the demo writes
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("made by the demo\n")
    (out / "notes.md").write_text("mine\n")
    (out / "figures").mkdir()
    (out / "figures" / "fig1.png").write_bytes(b"mine")
    demo = Demo(out, make_profile(quick=True), device="cpu", fresh=True, log=lambda *a: None, call=_never_called)
    assert sorted(p.name for p in out.iterdir()) == ["demo.json", "figures", "notes.md"]
    assert (out / "figures" / "fig1.png").read_bytes() == b"mine" and (out / "notes.md").read_text() == "mine\n"
    assert demo.state["stages"] == {}
    assert set(OWN_ENTRIES) >= {"demo.json", "study", "runs", "report"}


@pytest.mark.parametrize("record", ["[]", '{"settings": [1], "stages": {}}', '{"settings": {}, "stages": 3}',
                                    "null", "{", ""])
@pytest.mark.parametrize("fresh", [False, True])
def test_a_record_of_the_wrong_shape_is_one_error_naming_the_file(tmp_path, record, fresh):
    """A list or a wrong type inside demo.json was an AttributeError (exit 1); now a UserError, nothing touched.

    With ``fresh`` too: a folder whose demo.json is not a demo's record (a
    user's own project with a ``runs`` folder) lost its ``runs`` and ``eval``
    folders to ``--fresh``, which the error message itself suggested.
    """
    out = tmp_path / "demo"
    (out / "runs" / "mine").mkdir(parents=True)
    (out / "runs" / "mine" / "model.pt").write_text("precious")
    (out / "demo.json").write_text(record)
    (out / "study").mkdir()
    with pytest.raises(UserError, match="demo.json.*nothing was removed") as err:
        Demo(out, make_profile(quick=True), device="cpu", fresh=fresh, log=lambda *a: None, call=_never_called)
    assert "fresh" not in str(err.value)
    assert (out / "demo.json").read_text() == record and (out / "study").is_dir()
    assert (out / "runs" / "mine" / "model.pt").read_text() == "precious"


def test_a_demo_above_the_synthetic_studys_limit_is_refused_before_anything_is_written(tmp_path, capsys):
    """Stop-20 regression review: the limit of saliency synth stopped the demo after it had written demo.json,
    naming --viewing-ms and --rate, which the demo does not have."""
    from saliency.cli import main
    from saliency.data_tools.synth import MAX_SAMPLES, SynthConfig, samples_per_trial

    per = samples_per_trial(SynthConfig().observer.viewing_ms, SynthConfig().rate_hz)
    top = MAX_SAMPLES // (12 * per)  # the most scenes 12 observers may have
    assert make_profile(scenes=top, subjects=12).scenes == top
    out = tmp_path / "demo"
    assert main(["demo", "--scenes", str(top + 1), "--subjects", "12", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--scenes {top + 1} x --subjects 12" in err and f"give at most {top} --scenes" in err, err
    assert "--rate" not in err and "--viewing-ms" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
