"""Python-API edges the command line already refused: each is now a UserError naming the parameter in backticks.

1. An unknown name in an accumulator's ``metrics`` was a plain ValueError (``unknown fixation metric(s) ['nss']``)
   without the parameter; it is a UserError (still a ValueError) listing the valid names.
2. ``fixation_image_scores`` / ``FixationMetrics.step`` scored a negative ``pred`` silently (eval refuses such a
   file); a log-density passed with ``log_density=True`` is still taken.
3. ``data_tools.maps.fixation_map`` put a fixation at row -1 on the far edge (numpy's negative indexing) and crashed
   with IndexError on one past the edge.
4. ``ScreenGeometry(screen_cm=...)`` took a side above 1e6 cm, which ``ScreenGeometry.from_dict`` refused.

Expected values are worked by hand (NSS: z-score with ddof=1 at the fixated pixels).
"""

from __future__ import annotations

import numpy as np
import pytest

from saliency.base.errors import UserError, cli_flag
from saliency.data_tools.geometry import ScreenGeometry
from saliency.data_tools.maps import fixation_map
from saliency.eval import FixationMetrics, SODMetrics, fixation_image_scores


def _refused(exc: pytest.ExceptionInfo, param: str) -> str:
    """The message, checked to start with the parameter's Python name and to be one line."""
    text = str(exc.value)
    assert text.startswith(param + " ") and "`" not in text and "\n" not in text, text
    return text


# ----------------------------------------------------------------------------- 1. unknown metric names

def test_unknown_fixation_metric_is_a_user_error_listing_the_names():
    with pytest.raises(UserError) as e:
        FixationMetrics(metrics=("NSS", "nss"))
    assert _refused(e, "metrics") == ("metrics nss: unknown fixation metric name(s); choose from AUC_Judd, "
                                      "AUC_Borji, sAUC, NSS, CC, KLD, SIM, IG, LL")
    assert isinstance(e.value, ValueError)  # a caller catching the old ValueError still catches it
    assert e.value.render(cli_flag).startswith("--metrics nss: ")


def test_unknown_sod_metric_is_a_user_error_listing_the_names():
    with pytest.raises(UserError) as e:
        SODMetrics(metrics=("MAE", "NSS", "fmax"))
    assert _refused(e, "metrics") == ("metrics NSS, fmax: unknown SOD metric name(s); choose from MAE, Fmax, "
                                      "Fmean, Fadp, Smeasure, Emax, Emean, Eadp, wF, AUC")


# ----------------------------------------------------------------------------- 2. negative predictions

def _pred_and_fix():
    pred = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    fix = np.array([[0, 0, 1], [0, 1, 0]])
    return pred, fix


def test_negative_prediction_is_refused_naming_pred():
    pred, fix = _pred_and_fix()
    neg = pred - 0.5  # min -0.5 at (0, 0)
    with pytest.raises(UserError) as e:  # was NSS 0.5345 (a shift does not change it), KLD/SIM of a signed map
        fixation_image_scores(neg, fix, metrics=("NSS",))
    assert _refused(e, "pred").startswith("pred contains negative values (min -0.5); ")
    assert "log_density=True" in str(e.value)
    acc = FixationMetrics(metrics=("NSS",))
    with pytest.raises(UserError) as e:
        acc.step(neg, fix)
    _refused(e, "pred")
    assert len(acc) == 0  # nothing kept of the refused image
    one = np.zeros((2, 3))
    one[1, 2] = -1e-9  # one slightly negative pixel is refused too
    with pytest.raises(UserError):
        fixation_image_scores(one, fix, metrics=("NSS",))


def test_non_negative_and_log_density_predictions_are_still_scored():
    pred, fix = _pred_and_fix()
    # by hand: mean 2.5, std (ddof=1) sqrt(17.5 / 5) = sqrt(3.5); fixated values 2 and 4 -> z -0.5 and 1.5 over
    # sqrt(3.5), mean 0.5 / sqrt(3.5) = 0.26726
    want = 0.5 / np.sqrt(3.5)
    assert fixation_image_scores(pred, fix, metrics=("NSS",)).values["NSS"] == pytest.approx(want, abs=1e-12)
    assert FixationMetrics(metrics=("NSS",)).step(pred, fix).values["NSS"] == pytest.approx(want, abs=1e-12)
    # a log-density (all values negative, logsumexp 0): pred + 1 sums to 21, so exp(logp) = (pred + 1) / 21, a
    # shifted and scaled pred with the same NSS
    logp = np.log((pred + 1.0) / 21.0)
    v = fixation_image_scores(logp, fix, metrics=("NSS",), log_density=True).values["NSS"]
    assert v == pytest.approx(want, abs=1e-12)


# ----------------------------------------------------------------------------- 3. fixation_map indices

def test_fixation_map_refuses_indices_off_the_map():
    # a 4 x 3 (w x h) map: rows 0..2, cols 0..3
    with pytest.raises(UserError) as e:  # was 255 at row 2 (the far edge), col 1
        fixation_map((4, 3), [0, -1], [0, 1])
    assert _refused(e, "rows") == ("rows -1: outside the map, whose height is 3 (indices 0..2); drop or clip the "
                                   "points off the map first")
    with pytest.raises(UserError) as e:  # was IndexError (a traceback)
        fixation_map((4, 3), [0], [4])
    assert _refused(e, "cols").startswith("cols 4: outside the map, whose width is 4 (indices 0..3)")
    with pytest.raises(UserError) as e:
        fixation_map((4, 3), [0, 1], [0])
    assert str(e.value) == "cols: 1 values for 2 rows; give one column per row"


def test_fixation_map_inside_the_map_is_unchanged():
    want = np.zeros((3, 4), np.uint8)
    want[0, 0] = want[2, 3] = want[1, 2] = 255
    got = fixation_map((4, 3), np.array([0, 2, 1, 2]), np.array([0, 3, 2, 3]))
    assert got.dtype == np.uint8 and np.array_equal(got, want)
    assert np.array_equal(fixation_map((4, 3), [], []), np.zeros((3, 4), np.uint8))


# ----------------------------------------------------------------------------- 4. screen_cm bounds

def _file(cm):
    return {"screen_px": [1920, 1080], "screen_cm": list(cm), "distance_cm": 60}


@pytest.mark.parametrize("cm", [(2e6, 30.0), (52.0, 1e6 + 1)])
def test_screen_cm_above_a_million_is_refused_by_both_constructors(cm):
    with pytest.raises(UserError) as e:  # was accepted
        ScreenGeometry((1920, 1080), cm, 60.0)
    assert _refused(e, "screen_cm").endswith("need two finite positive sizes in cm (W, H), each at most 1e+06")
    with pytest.raises(UserError) as e:
        ScreenGeometry.from_dict(_file(cm), source="screen.json")
    assert str(e.value).startswith("screen.json: screen_cm ")
    # the line names the bound it broke: a side of 2e6 cm is finite and positive (review RR1)
    assert str(e.value).endswith("need two finite positive sizes in cm [W, H], each at most 1e+06")


def test_a_screen_px_above_a_million_names_the_bound():
    with pytest.raises(UserError) as e:
        ScreenGeometry((2_000_000, 1080), (52.0, 30.0), 60.0)
    assert _refused(e, "screen_px").endswith("need two whole positive pixel counts (W, H), each at most 1e+06")


def test_screen_cm_of_a_million_is_taken_by_both_constructors():
    # a plausible screen at the bound: square pixels (1 cm each) seen from 1e6 cm (a span of 53 deg, not beyond 140)
    g = ScreenGeometry((1_000_000, 30), (1e6, 30.0), 1e6)
    d = {"screen_px": [1_000_000, 30], "screen_cm": [1e6, 30.0], "distance_cm": 1e6}
    assert g == ScreenGeometry.from_dict(d) and g.screen_cm == (1e6, 30.0)
