"""The default IG baseline is the Gaussian centre bias as a density (review 27, fixation metrics).

Oracle: closed form. With a uniform prediction over an h x w image, IG of one fixation at pixel (r, c) against
the baseline density b is log2(1/(h*w) + eps) - log2(b[r, c] + eps) (MIT's InfoGain.m with eps =
np.finfo(float).eps = 2.2e-16), and b is the Gaussian exp(-((r - (h-1)/2)^2 / (h/4)^2 + ...)/2) normalised
to sum 1. The min-maxed Gaussian gave the corner probability 0 and one corner fixation about 40 bits.
"""
import numpy as np
import pytest

from saliency.eval.fixation import fixation_image_scores

H, W = 60, 80


def _gauss_density():
    y = (np.arange(H) - (H - 1) / 2) / (0.25 * H)
    x = (np.arange(W) - (W - 1) / 2) / (0.25 * W)
    g = np.exp(-0.5 * (y[:, None] ** 2 + x[None, :] ** 2))
    return g / g.sum()


@pytest.mark.parametrize("rc", [(0, 0), (0, 1), (30, 40), (59, 79)])
def test_ig_of_a_uniform_prediction_against_the_default_gaussian(rc):
    fix = np.zeros((H, W), bool)
    fix[rc] = True
    got = fixation_image_scores(np.ones((H, W)), fix, metrics=("IG",)).values["IG"]
    eps = np.finfo(float).eps
    want = np.log2(1 / (H * W) + eps) - np.log2(_gauss_density()[rc] + eps)
    # the toolkit works in natural logs and converts: a few ulps of a value of order 1-10
    assert abs(got - want) < 1e-9, (got, want)
    assert got < 10  # the corner of a sigma = 1/4 Gaussian: 8.0 bits of gain, not 40
