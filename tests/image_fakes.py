"""Image files made by hand for the reliability tests: headers that declare a size without the pixels."""

from __future__ import annotations

import struct
import zlib


def png_header(w: int, h: int) -> bytes:
    """A tiny PNG file declaring ``w`` x ``h`` grey pixels (valid chunks; the pixel data is a stub)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))
