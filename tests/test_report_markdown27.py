"""report.md shows names, notes and the title as written (review 27, report).

Oracle: CommonMark's rules, hand-applied: a character reference (``&amp;``) is decoded unless its ``&`` is
escaped; ``# `` or ``- `` opening a list item makes it a heading or a nested list; a closing ``#`` run ends an ATX
heading and is dropped; a backslash before ASCII punctuation shows the punctuation. An infinite value is shown as
eval prints it (``inf``), not as "-" (not computed).
"""
import json

from cli_fakes import run_cli


def test_names_notes_title_and_inf_are_shown_as_written(tmp_path, capsys):
    ev = {"task": "fixation", "results": [
        {"dataset": "d", "method": "m&lt;i&gt; A&B", "n_images": 2, "metrics": {"NSS": 1.5}},
        {"dataset": "d", "method": "z", "n_images": 2, "metrics": {"NSS": float("inf")}}],
        "notes": ["# note &amp; heading", "- dash", "1. one"]}
    (tmp_path / "e.json").write_text(json.dumps(ev))
    rc, out, err = run_cli(capsys, ["report", "--eval", tmp_path / "e.json", "--title", "Run #", "--out",
                                    tmp_path / "R", "--quiet"])
    assert rc == 0, err
    md = (tmp_path / "R" / "report.md").read_text()
    assert "\n# Run \\#\n" in md
    assert "| m\\&lt;i\\&gt; A&B |" in md  # 'A&B' opens no reference: left as written
    assert "\n- \\# note \\&amp; heading\n" in md and "\n- \\- dash\n" in md and "\n- 1\\. one\n" in md
    assert "| z | 2 | **inf** |" in md  # was "-" (not computed); ranked first as eval ranks it (124a0ac)
