"""Names as keys: one Unicode form for file names, stimulus columns and trial tables.

macOS writes file names decomposed (NFD: ``e`` + combining acute), while a
stimulus column, a trials table or a mask folder made on Windows or Linux
holds the composed form (NFC: ``é``). Compared as raw strings the two never
match: every row of ``café.png`` was quarantined as ``unknown_stimulus``, and
a mask folder in the other form lost its image. Every name that becomes a
key, or is looked up, goes through :func:`nfc` (Unicode Standard Annex #15).
"""

from __future__ import annotations

import unicodedata


def nfc(name: str) -> str:
    """``name`` in Unicode normalisation form C (ASCII names are returned as they are)."""
    return name if name.isascii() else unicodedata.normalize("NFC", name)


def same_name(names, name: str):
    """The entry of ``names`` that ``name`` names, spelled as ``names`` spells it: the same text, else the same in
    Unicode NFC (:func:`nfc`: ``Dure\u0301e`` saved in NFD and ``Durée`` typed in NFC are one name); None when
    none is."""
    if name in names:
        return name
    return next((k for k in names if nfc(k) == nfc(name)), None)
