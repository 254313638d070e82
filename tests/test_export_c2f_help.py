"""``saliency export --help`` states the coarse-to-fine size rule the code enforces (review 27): the help said
"4 cells of 64 px, e.g. 128x128; a smaller --size is refused", but a part cell counts (ceil(H / 64) x ceil(W / 64)
>= top_k = 4), so 65x65 exports and 64x64 is what is refused. Each size the help names is run as a user would."""

from types import SimpleNamespace

import pytest

from cli_fakes import refusal, run_cli

pytest.importorskip("onnx")


def _help(capsys) -> str:
    rc, out, err = run_cli(capsys, ["export", "--help"])
    assert rc == 0, err
    return " ".join(out.split())


def test_export_help_states_that_a_part_cell_counts(capsys):
    text = _help(capsys)
    assert "a smaller --size is refused" not in text and "128x128 or more" not in text, text
    assert "a part cell at the right or bottom edge counted" in text, text
    assert "ceil(H / patch_size) x ceil(W / patch_size) >= top_k" in text, text
    for size in ("65x65", "256x64", "64x64", "192x64"):
        assert size in text, (size, text)


@pytest.mark.parametrize("size", ["65x65", "256x64"])
def test_the_sizes_the_help_accepts_export(capsys, tmp_path, size):
    out = tmp_path / "m.onnx"
    rc, so, err = run_cli(capsys, ["export", "--model", "c2f_tiny_cbam_sod", "--onnx", out, "--size", size,
                                   "--no-check"])
    assert rc == 0 and out.is_file(), (rc, so, err)


@pytest.mark.parametrize("size,cells", [("64x64", 1), ("192x64", 3)])
def test_the_sizes_the_help_refuses_are_refused(capsys, tmp_path, size, cells):
    out = tmp_path / "m.onnx"
    line = refusal(*run_cli(capsys, ["export", "--model", "c2f_tiny_cbam_sod", "--onnx", out, "--size", size]))
    assert f"--size {size}" in line and f"({cells} at this size)" in line, line
    assert not out.exists()


@pytest.mark.parametrize("k", [1, 2, 4, 5, 9, 10])
def test_the_refusal_suggests_the_smallest_square_that_passes(k):
    # oracle: brute force over square sides, cells = ceil(side / 64) ** 2 >= k (a part cell counts)
    import re

    from saliency.base.errors import UserError
    from saliency.models import export as ex

    model = SimpleNamespace(top_k=k, patch_size=64)
    want = next(s for s in range(1, 1000) if (-(-s // 64)) ** 2 >= k)
    try:
        ex.check_fixed_cells(model, 1, 1)
    except UserError as exc:
        side = int(re.search(r"e\.g\. (\d+)x\1\)", str(exc)).group(1))
        assert side == want, (k, side, want)
        ex.check_fixed_cells(model, side, side)  # the suggestion passes
        with pytest.raises(UserError):
            ex.check_fixed_cells(model, side - 1, side - 1)
    else:
        assert k == 1 and want == 1
