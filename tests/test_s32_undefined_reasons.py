"""Why a fixation metric is undefined: one rule, eval's (eval.fixation.undefined_reason), which validation says.

Each case is a hand-made map; the expected NaNs and words are worked out by hand from the metrics' definitions
(AUC_Judd ranks fixated against unfixated pixels, AUC_Borji needs two fixated pixels, sAUC other images'
fixations, CC/KLD/SIM a human map that is not blank), and eval's own scorer must give NaN exactly there.
"""

import numpy as np
import pytest

from saliency.eval import fixation as F
from saliency.eval.fixation import FIX_KEYS, fixation_image_scores, undefined_reason

FIXATION_METRICS = ("AUC_Judd", "AUC_Borji", "sAUC", "NSS", "LL", "IG")


def _pred(shape):
    return np.random.default_rng(5).uniform(0.1, 1.0, size=shape)


def _one(shape, *pixels):
    m = np.zeros(shape, bool)
    for yx in pixels:
        m[yx] = True
    return m


# (case, fixations, human map, other images' fixations, {metric: expected reason}; every other metric defined)
CASES = [
    ("no fixation", np.zeros((4, 5), bool), np.ones((4, 5)), _one((4, 5), (0, 0)),
     {k: "no fixated pixel" for k in FIXATION_METRICS}),
    ("every pixel fixated", np.ones((2, 2), bool), np.array([[1.0, 0.5], [0.2, 0.0]]), _one((2, 2), (0, 1)),
     {"AUC_Judd": "every pixel fixated"}),
    ("every pixel fixated, 1x1", np.ones((1, 1), bool), np.ones((1, 1)), np.ones((1, 1), bool),
     {"AUC_Judd": "every pixel fixated", "AUC_Borji": "fewer than two fixated pixels"}),
    ("one fixated pixel", _one((4, 5), (2, 3)), np.ones((4, 5)), _one((4, 5), (0, 0)),
     {"AUC_Borji": "fewer than two fixated pixels"}),
    ("blank human map", _one((4, 5), (1, 1), (2, 3)), np.zeros((4, 5)), _one((4, 5), (0, 0)),
     {k: "a blank human map" for k in ("CC", "KLD", "SIM")}),
    ("no human map", _one((4, 5), (1, 1), (2, 3)), None, _one((4, 5), (0, 0)),
     {k: "a blank human map" for k in ("CC", "KLD", "SIM")}),
    ("no other image with fixations", _one((4, 5), (1, 1), (2, 3)), np.ones((4, 5)), None,
     {"sAUC": "no other image with fixations"}),
]


@pytest.mark.parametrize("case, fix, dens, other, expected", CASES, ids=[c[0] for c in CASES])
def test_eval_says_why_exactly_where_its_scorer_gives_nan(case, fix, dens, other, expected):
    reasons = {k: undefined_reason(k, fix, dens, other) for k in FIX_KEYS}
    assert {k: r for k, r in reasons.items() if r is not None} == expected
    sc = fixation_image_scores(_pred(fix.shape), fix, dens, other=other, metrics=FIX_KEYS)
    assert {k for k, v in sc.values.items() if np.isnan(v)} == set(expected), sc.values


def test_the_words_are_eval_constants():
    assert (F.NO_FIXATED_PIXEL, F.EVERY_PIXEL_FIXATED, F.UNDER_TWO_FIXATED, F.BLANK_HUMAN_MAP,
            F.NO_OTHER_FIXATIONS) == ("no fixated pixel", "every pixel fixated", "fewer than two fixated pixels",
                                      "a blank human map", "no other image with fixations")


def test_human_maps_only_leave_the_metrics_of_the_fixations_out_for_no_fixated_pixel():
    dens = np.ones((3, 3))
    assert {k: undefined_reason(k, None, dens) for k in FIX_KEYS} == {
        k: ("no fixated pixel" if k in FIXATION_METRICS else None) for k in FIX_KEYS}
    sc = fixation_image_scores(_pred((3, 3)), None, dens, metrics=FIX_KEYS)
    assert {k for k, v in sc.values.items() if np.isnan(v)} == set(FIXATION_METRICS)


def test_an_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="unknown fixation metric 'MAE'"):
        undefined_reason("MAE", np.ones((2, 2)), None)


def test_validation_has_no_rule_of_its_own():
    from saliency import validate

    assert validate.undefined_reason is undefined_reason


@pytest.mark.parametrize("case, fix, dens, other, expected", CASES[:5], ids=[c[0] for c in CASES[:5]])
def test_validation_says_eval_s_words_for_each_case(monkeypatch, case, fix, dens, other, expected):
    import saliency.datasets
    from saliency.validate import FIX_VAL_METRICS, left_out_note, score_image

    ys, xs = np.nonzero(fix)
    monkeypatch.setattr(saliency.datasets, "load_fixation_gt",
                        lambda rec, top: (fix, dens, np.stack([xs, ys], 1).astype(np.float32)))
    s = score_image(_pred(fix.shape).astype(np.float32), None, "fixation", 0, 0.1)
    want = {k: w for k, w in expected.items() if k in FIX_VAL_METRICS}
    assert s.undefined == want
    assert s.undefined == {k: undefined_reason(k, fix, dens) for k in want}
    note = left_out_note("fixation", [("img", s)])
    if want:
        words = sorted(set(want.values()))
        assert len(words) == 1 and f": {words[0]}); each mean" in note, note
    else:
        assert note is None
