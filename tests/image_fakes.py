"""Image files made by hand for the tests: headers that declare a size without the pixels; SOD mask folders."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def png_header(w: int, h: int) -> bytes:
    """A tiny PNG file declaring ``w`` x ``h`` grey pixels (valid chunks; the pixel data is a stub)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def sod_folders(root: Path, masks: dict, gt: str = "gt", pred: str = "pr") -> tuple[Path, Path]:
    """``root/gt`` and ``root/pred`` holding the same 8-bit masks (``{name: array}``, written as PNG): a perfect
    prediction of its ground truth."""
    import cv2

    folders = (Path(root) / gt, Path(root) / pred)
    for d in folders:
        d.mkdir()
        for name, m in masks.items():
            cv2.imwrite(str(d / f"{name}.png"), m)
    return folders
