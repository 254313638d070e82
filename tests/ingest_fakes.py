"""Small fake recordings for the ingestion tests, and a small synthetic study as a module fixture (not a test
module)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A synthetic study (stimuli, masks, logs, screen.json), made once per test module (~1 s)."""
    from saliency.cli import main

    root = tmp_path_factory.mktemp("study") / "S"
    assert main(["synth", "--scenes", "6", "--subjects", "2", "--size", "160x120", "--out", str(root),
                 "--quiet"]) == 0
    return root


def gaze_trial(rng, n_fix=8, rate_hz=500.0, screen=(1920, 1080), noise_px=2.5, blink_prob=0.3, t0=0.0):
    """Raw samples of one trial: fixations with Gaussian jitter, minimum-jerk saccades, blinks.

    Returns ``t, x, y`` (NaN during blinks) and the true fixations as a list of dicts
    ``{x, y, t_start, t_end}`` (screen px, ms).
    """
    dt = 1000.0 / rate_hz
    W, H = screen
    t_list, x_list, y_list, truth = [], [], [], []
    t = t0
    pos = np.array([W / 2, H / 2])
    for k in range(n_fix):
        if k:
            target = np.array([rng.uniform(100, W - 100), rng.uniform(100, H - 100)])
            dur = rng.uniform(30, 60)
            ns = int(dur / dt)
            s = np.linspace(0, 1, ns + 2)[1:-1]
            prof = 10 * s ** 3 - 15 * s ** 4 + 6 * s ** 5
            for p in prof:
                q = pos + (target - pos) * p + rng.normal(0, noise_px, 2)
                t_list.append(t), x_list.append(q[0]), y_list.append(q[1])
                t += dt
            pos = target
        fdur = rng.uniform(180, 450)
        nf = int(fdur / dt)
        blink = rng.random() < blink_prob
        b0 = rng.integers(nf // 3, nf // 2) if blink else -1
        start = t
        for i in range(nf):
            q = pos + rng.normal(0, noise_px, 2)
            if blink and b0 <= i < b0 + int(80 / dt):
                q = (np.nan, np.nan)
            t_list.append(t), x_list.append(q[0]), y_list.append(q[1])
            t += dt
        truth.append({"x": pos[0], "y": pos[1], "t_start": start, "t_end": t - dt})
    return np.array(t_list), np.array(x_list), np.array(y_list), truth


def single_chunk(path, **open_log_kwargs):
    """The reader of a small file and its one chunk (asserting there is exactly one)."""
    from saliency.data_tools.readers import open_log

    rd = open_log(path, **open_log_kwargs)
    chunks = list(rd.chunks())
    assert len(chunks) == 1
    return rd, chunks[0]


def assert_rows_accounted(path, expected_rows, fmt="auto", **open_log_kwargs):
    """Read ``path`` and assert the row identity of every chunk and ``rows read == expected_rows``.

    ``expected_rows`` is the test's own count of the data rows it wrote (the
    independent oracle). Returns the :class:`~data_tools.readers.base.RowCount`
    (``read``, ``kept``, ``quarantined`` and ``counted`` by reason).
    """
    from saliency.data_tools.readers import account_rows, open_log

    rc = account_rows(open_log(path, fmt, **open_log_kwargs))
    assert not rc.problems, f"{path}: " + "; ".join(rc.problems)
    assert rc.read == expected_rows, f"{path}: rows_read {rc.read}, the file has {expected_rows} data rows"
    assert rc.balanced
    return rc


GARBAGE = ("abc", "nan", "inf", "-inf", "", "1e999", "\"unclosed", "NA", "x\"y")


def corrupt_lines(path, k_rows: int, rng, share: float = 0.3) -> list[int]:
    """Corrupt about ``share`` of the last ``k_rows`` non-blank lines of a text file in place.

    Each chosen line gets one of: a field (never the first) replaced by
    garbage from :data:`GARBAGE`, the line cut after a few fields, or an
    unclosed quote. A corrupted line stays non-blank, so it is still a data
    row. Returns the 1-based numbers of the corrupted lines.
    """
    data = path.read_bytes()
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        return []  # a binary file (e.g. MATLAB): its rows are not lines
    if "\0" in raw:
        return []
    lines = raw.split("\n")
    idx = [i for i, ln in enumerate(lines) if ln.strip()][-k_rows:] if k_rows else []
    chosen = [i for i in idx if rng.random() < share]
    for i in chosen:
        ln = lines[i]
        sep = "\t" if "\t" in ln else (";" if ln.count(";") > ln.count(",") else ",")
        f = ln.split(sep)
        op = int(rng.integers(0, 3))
        if op == 0 and len(f) > 1:
            f[int(rng.integers(1, len(f)))] = GARBAGE[int(rng.integers(0, len(GARBAGE)))]
        elif op == 1 and len(f) > 2:
            f = f[:int(rng.integers(1, len(f) - 1))]
        else:
            j = int(rng.integers(1, len(f))) if len(f) > 1 else 0
            f[j] = "\"" + f[j]
        new = sep.join(f)
        lines[i] = new if new.strip(sep + " \t\"") else new + "x"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    return [i + 1 for i in chosen]


def grey_stimuli(tmp_path, names=("img1",), size=(1920, 1080)):
    """A ``stim`` folder in ``tmp_path`` of mid-grey PNGs ``NAME.png`` of ``size`` (W, H); returns the folder."""
    import cv2

    d = tmp_path / "stim"
    d.mkdir(exist_ok=True)
    for nm in names:
        cv2.imwrite(str(d / f"{nm}.png"), np.full((size[1], size[0]), 128, np.uint8))
    return d
