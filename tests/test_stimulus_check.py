"""The stimulus check of ingest (``data_tools.stimuli.decoded_size``) against Pillow's full decode.

Oracle: ``PIL.Image.open(f).load()`` on the same bytes. The check takes
shortcuts (PNG: CRCs and the inflated rows instead of a decode; JPEG: DCT
scaling to 1/8); for every file below, intact or damaged, its verdict must be
Pillow's: the size when Pillow decodes the file, None when it fails.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from saliency.data_tools.stimuli import decoded_size, png_intact


def _pillow_verdict(data: bytes):
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return im.size
    except Exception:
        return None


def _png(mode: str, size=(37, 23), seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    w, h = size
    if mode == "I;16":
        im = Image.fromarray(rng.integers(0, 65535, (h, w), dtype=np.uint16))
    elif mode == "1":
        im = Image.fromarray(rng.integers(0, 2, (h, w), dtype=np.uint8) * 255).convert("1")
    elif mode == "P":
        im = Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).convert("P", colors=16)
    else:
        ch = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
        a = rng.integers(0, 255, (h, w, ch), dtype=np.uint8)
        im = Image.fromarray(a[:, :, 0] if ch == 1 else a, mode=mode)
    buf = io.BytesIO()
    im.save(buf, format="PNG", pnginfo=None)
    return buf.getvalue()


def _chunks(data: bytes):
    pos, out = 8, []
    while pos + 12 <= len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]))
        pos += 12 + n
    return out


def _build(chunks) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for t, body in chunks:
        out += struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body))
    return out


def _with_image_data(data: bytes, raw: bytes, extra: bytes = b"") -> bytes:
    """The same file with its IDAT replaced by ``raw`` compressed (valid CRCs), plus ``extra`` after the stream."""
    ch = _chunks(data)
    first = next(i for i, (t, _) in enumerate(ch) if t == b"IDAT")
    rest = [c for c in ch if c[0] != b"IDAT"]
    rest.insert(first, (b"IDAT", zlib.compress(raw) + extra))
    return _build(rest)


def _raw_rows(data: bytes) -> bytes:
    return zlib.decompress(b"".join(b for t, b in _chunks(data) if t == b"IDAT"))


MODES = ["L", "LA", "RGB", "RGBA", "P", "1", "I;16"]


@pytest.mark.parametrize("mode", MODES)
def test_intact_png_of_every_colour_type(tmp_path, mode):
    data = _png(mode)
    assert png_intact(data) == (37, 23)
    p = tmp_path / "a.png"
    p.write_bytes(data)
    assert decoded_size(p) == (37, 23) == _pillow_verdict(data)


def _damaged(data: bytes, rng) -> list[bytes]:
    raw = _raw_rows(data)
    row = len(raw) // 23
    cases = [data[:k] for k in sorted(set(rng.integers(8, len(data), 12).tolist()))]  # cut short
    for _ in range(12):  # bytes overwritten at random (a CRC or the zlib stream notices)
        b = bytearray(data)
        i = int(rng.integers(8, len(b)))
        b[i] ^= int(rng.integers(1, 256))
        cases.append(bytes(b))
    bad_filter = bytearray(raw)
    bad_filter[row * 5] = 7  # filter type 7 does not exist
    cases += [
        _with_image_data(data, bytes(bad_filter)),
        _with_image_data(data, raw[:-row]),  # one row short, valid zlib and CRCs
        _with_image_data(data, raw + raw[:row]),  # one row too many
        _with_image_data(data, raw, extra=b"\x00\x01junk"),  # data after the zlib stream
        _build([c for c in _chunks(data) if c[0] != b"IEND"]),  # no IEND
        _build(_chunks(data)[:1] + [(b"ABCD", b"x")] + _chunks(data)[1:]),  # unknown critical chunk
        _build(_chunks(data)[:1] + [(b"tEXt", b"k\x00v")] + _chunks(data)[1:]),  # harmless ancillary chunk
        # chunks after the image data, which Pillow parses only when it loads (and rejects when malformed)
        _build(_chunks(data)[:-1] + [(b"pHYs", b"\x00"), (b"IEND", b"")]),
        _build(_chunks(data)[:-1] + [(b"iCCP", b"name\x00\x01xxxx"), (b"IEND", b"")]),
        _build(_chunks(data)[:-1] + [(b"acTL", b"\x00"), (b"IEND", b"")]),
        _build(_chunks(data)[:-1] + [(b"tEXt", b"k\x00v"), (b"IEND", b"")]),
        _build(_chunks(data)[:1] + [(b"PLTE", bytes(900))] + _chunks(data)[1:]),  # more than 256 entries
    ]
    return cases


@pytest.mark.parametrize("mode", MODES)
def test_damaged_png_verdicts_are_pillows(tmp_path, mode):
    rng = np.random.default_rng(MODES.index(mode))
    data = _png(mode, seed=3)
    p = tmp_path / "b.png"
    for k, case in enumerate(_damaged(data, rng)):
        p.write_bytes(case)
        want = _pillow_verdict(case)
        assert decoded_size(p) == want, (mode, k)
        if png_intact(case) is not None:  # the shortcut says intact only where Pillow decodes
            assert want == png_intact(case), (mode, k)


def test_damaged_jpeg_verdicts_are_pillows(tmp_path):
    rng = np.random.default_rng(9)
    img = Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    data = buf.getvalue()
    cases = [data] + [data[:k] for k in (300, len(data) // 2, len(data) - 10)]
    for _ in range(15):
        b = bytearray(data)
        i = int(rng.integers(620, len(b)))
        b[i:i + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
        cases.append(bytes(b))
    p = tmp_path / "c.jpg"
    verdicts = set()
    for case in cases:
        p.write_bytes(case)
        want = _pillow_verdict(case)
        verdicts.add(want is None)
        assert decoded_size(p) == want
    assert verdicts == {True, False}  # both kinds of verdict were exercised
