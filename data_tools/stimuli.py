"""Stimulus folders and trial tables: which image a log row refers to.

A name matches a stimulus file by file name or by stem (``img1`` and
``img1.jpg`` both find ``stimuli/img1.jpg``), case-insensitively as a last
resort; a name that finds one of two files with the same stem (``a.jpg`` and
``a.png``), or with stems that differ only in case and names that differ beyond it (``Img.png`` and
``img.jpg``: two files on macOS or Windows, but one map name there), is refused, since maps and tables are
named by stem (``Dog.png`` beside ``DOG.png``, two files only where case counts, is not), and so is a
name that matches two files only ignoring case (``dog`` with ``Dog.png`` and
``DOG.png``); a name a free-text message gives with words before a file's name (``Trial 3 beach.jpg``, a
BeGaze message) that no file has whole finds the file of its last image-file word (``beach.jpg``;
:attr:`StimulusIndex.by_last_word`, a warning of ingest), while a stimulus column's, ``--trials``' or
``--stimulus``' name is matched as written; ``1.0`` that no file has finds ``1``'s file
(:attr:`StimulusIndex.by_whole_number`, a warning of ingest); a ``--trials`` CSV maps (subject, trial) to a
stimulus name. Image sizes
come from reading the file's whole image data once (:func:`decoded_size`:
Pillow, or for PNG the inflated data and CRCs); an image that cannot be read
makes its rows ``bad_stimulus_image`` in the quarantine, one whose header
declares more pixels than the limit (:func:`saliency.base.images.oversized`,
checked before decoding; :meth:`StimulusIndex.too_large`) ``stimulus_too_large``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.base.images import IMAGE_EXTS
from saliency.base.names import nfc
from saliency.data_tools.readers.vendor import last_image_word
from saliency.data_tools.readers.chunks import WHOLE_NUMBER, trial_value




NAME_EXTS = frozenset(IMAGE_EXTS) | {".gif", ".svg", ".jfif", ".heic", ".heif", ".avif", ".jxl", ".psd", ".ico"}
"""Extensions dropped from a log's stimulus name to find a file by stem: the images the toolkit reads and the
image formats a lab converts to them (a log naming ``img1.gif`` finds the converted ``img1.png``)."""

UNREAD_IMAGE_EXTS = (NAME_EXTS - frozenset(IMAGE_EXTS)) | {".jp2", ".j2k", ".jpf", ".jpx", ".pbm", ".pnm", ".pcx",
                                                           ".tga", ".exr", ".hdr", ".eps", ".dng"}
"""Extensions of image formats the toolkit does not read: a row naming such a file is told it is there, to be
converted (:meth:`StimulusIndex.unread_file`); a file of another extension is one only when Pillow reads its
header as an image's (an image without an extension)."""


class StimulusIndex:
    """Stimulus images of a folder, found by file name or stem; sizes read lazily (header only).

    A name finds its file by the file's name, its stem, or its stem with
    another image extension (``img1.jpg`` or ``img1.gif`` finds ``img1.png``;
    :data:`NAME_EXTS`), then the same ignoring case (refused when that finds
    files of more than one stem); a name whose last dotted part is not an image
    extension (``beach.v2``) is a name of its own, never ``beach``. A name taken
    from a free-text message (``resolve(..., last_word=True)``) with whitespace
    that finds no file so (``Trial 3 beach.jpg``) finds what its last word that
    is an image file name finds (``beach.jpg``), recorded in :attr:`by_last_word`;
    the whole name wins when a file has it (``cat 01.jpg`` beside ``01.jpg``).
    Any other name (a stimulus column's ``a b.jpg``, ``c.jpg (practice)``) finds
    only its own file. A whole number written ``N.0`` (``1.0``, as a table
    saved by Excel writes 1) that finds no file so finds what ``N`` finds
    (``1.png``), recorded in :attr:`by_whole_number`; ``1.0`` beside
    ``1.0.png`` and ``1.png`` is ``1.0.png``, never pooled with ``1``.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise UserError(f"`stimuli` {self.folder}: no such folder")
        entries = sorted(self.folder.iterdir())
        # a link whose target is gone is kept as a file of the folder: its rows are `bad_stimulus_image` and the
        # run names the link as broken (left out, its rows were 'not in' the folder that lists it)
        self.broken = {p for p in entries if p.suffix.lower() in IMAGE_EXTS and p.is_symlink() and not p.exists()}
        files = [p for p in entries if p.suffix.lower() in IMAGE_EXTS and (p.is_file() or p in self.broken)]
        # files whose extension the toolkit does not read (a.gif): left out, but a row naming one that is an image
        # is told so, not that its stimulus is 'not in' the folder that holds it (unread_file; c.json, notes.txt
        # are no image: never offered)
        self.unread: dict[str, list[Path]] = {}
        self._is_image: dict[Path, bool] = {}  # unread_file's header probe, per file it looked at
        for p in entries:
            if p.suffix.lower() not in IMAGE_EXTS and p.is_file():
                for key in {nfc(p.name).casefold(), nfc(p.stem).casefold()}:
                    self.unread.setdefault(key, []).append(p)
        if not files:
            subs = [p.name for p in entries if p.is_dir() and any(
                q.suffix.lower() in IMAGE_EXTS and q.is_file() for q in p.iterdir())]
            where = (f"; its images are in sub-folders ({', '.join(subs[:3])}{' ...' if len(subs) > 3 else ''}), "
                     f"which are not read: give `stimuli` one of them") if subs else ""
            raise UserError(f"`stimuli` {self.folder}: no images ({', '.join(IMAGE_EXTS)}){where}")
        # keys in one Unicode form (saliency.base.names): a log's 'café' finds a file named in NFD (macOS)
        self.by_name = {nfc(p.name): p for p in files}
        self.by_stem: dict[str, Path] = {}
        shared: dict[str, list[Path]] = {}
        for p in files:
            self.by_stem.setdefault(nfc(p.stem), p)
            shared.setdefault(nfc(p.stem).casefold(), []).append(p)
        # a.jpg and a.png: one map name; Img.png and img.jpg too on a file system that ignores case (macOS,
        # Windows: the second map written replaced the first). Keyed by the stem casefolded after NFC; Dog.png and
        # DOG.png, two files only where case counts, write maps that mirror them (resolve refuses neither)
        self.shared_stems = {k: v for k, v in shared.items() if len(v) > 1}
        # every file per lower-cased stem or name: Dog.png and DOG.png both under 'dog' (a dict of one file each
        # pooled a log's 'dog' into the last one in silence)
        self.lower: dict[str, list[Path]] = {}
        for k, p in [*self.by_stem.items(), *self.by_name.items()]:
            if p not in self.lower.setdefault(k.lower(), []):
                self.lower[k.lower()].append(p)
        self._sizes: dict[str, tuple[int, int] | None] = {}
        self._too_large: dict[str, tuple[int, int] | None] = {}
        self.too_large_used: dict[str, tuple[int, int]] = {}  # stems rows named above the pixel limit -> (w, h)
        self._folders: dict[str, tuple[str, str]] = {}  # stem -> (folder part, name): the first name with one
        self.broken_used: set[Path] = set()  # broken links that a row named
        self.by_last_word: dict[str, str] = {}  # names no file has whole, found by their last word -> stem
        self.by_whole_number: dict[str, str] = {}  # 'N.0' names no file has, found as N -> stem
        self._sample_formats: dict[str, str | None] = {}  # stem -> a TIFF's sample format that is not read
        self.sample_format_used: dict[str, str] = {}  # stems rows named whose samples are not read -> format

    def _one_folder(self, stem: str, name: str, named_by: str, record: bool = True):
        """Refuse names reaching ``stem`` from different folders (``Action/001.jpg``, ``Affective/001.jpg``).

        The folder part is the name's last folder, compared ignoring case; a
        name without one (``001.jpg``) goes with any. ``record``: the first
        folder part is kept for the names that follow (else only compared).
        """
        parts = name.replace("\\", "/").rstrip("/").split("/")
        folder = nfc(parts[-2]).lower() if len(parts) > 1 else ""
        if not folder:
            return
        seen = self._folders.setdefault(stem, (folder, name)) if record else self._folders.get(stem, (folder, name))
        if seen[0] != folder:
            raise UserError(f"`stimuli` {self.folder}: {named_by} {seen[1]!r} and {name!r}, in different folders, "
                            f"and both find {self.by_stem[stem].name} (names are matched without their folder); "
                            f"ingest one folder's stimuli at a time (`stimuli` that folder, with its logs), or give "
                            f"`trials` to name each row's stimulus")

    def _file(self, base: str, name: str, named_by: str) -> Path | None:
        """The file a name's last path part ``base`` finds: by file name, stem, another image extension's stem,
        then ignoring case (refused when that finds files of more than one stem); ``name`` and ``named_by`` as in
        :meth:`resolve`, for the refusal."""
        # another image extension (a log's img1.jpg for img1.png) is dropped, never another dotted part: 'beach.v2'
        # is not 'beach' (its rows were pooled into beach's map without a word)
        stem = Path(base).stem if Path(base).suffix.lower() in NAME_EXTS else base
        p = self.by_name.get(base) or self.by_stem.get(base) or self.by_stem.get(stem)
        if p is None:  # last resort, ignoring case: one file, or files of one stem (refused just below)
            found = self.lower.get(base.lower()) or self.lower.get(stem.lower()) or []
            if len({nfc(q.stem) for q in found}) > 1:  # Dog.png and DOG.png: never pool two stimuli into one
                names = ", ".join(q.name for q in found[:-1]) + f" and {found[-1].name}"
                raise UserError(f"`stimuli` {self.folder}: {names} differ only in case, and {named_by} {name!r}, "
                                f"which matches {'neither' if len(found) == 2 else 'none of them'} exactly; name "
                                f"the stimulus as its file is named, or keep one of the files in the folder")
            p = found[0] if found else None
        return p

    def resolve(self, name: str, named_by: str = "the logs name", last_word: bool = False,
                record: bool = True) -> str | None:
        """Stem of the stimulus file that ``name`` refers to, or None.

        ``named_by`` says where ``name`` came from, for a refusal to name what
        the user must edit: ``the logs name`` (a row's own name), ```trials`
        FILE names`` (:func:`trials_named_by`) or ```stimulus` names``.
        ``last_word``: ``name`` is the text of a free-text message (a BeGaze
        ``# Message:``), which may hold words before the file's name: when no
        file has the whole name, its last image-file word's file is taken
        (recorded in :attr:`by_last_word`); any other name is matched as written.
        ``record=False``: the name is resolved (and refused) as it would be,
        but leaves nothing behind: not in :attr:`by_last_word` nor
        :attr:`by_whole_number`, and its folder part binds no later name.
        """
        if not name:
            return None
        base = nfc(name.replace("\\", "/").rsplit("/", 1)[-1])
        p = self._file(base, name, named_by)
        if p is None and last_word and re.search(r"\s", base):  # a message 'Trial 3 beach.jpg': words before a
            # file's name, when no file has the whole name ('cat 01.jpg' is found whole above, before '01.jpg')
            word = nfc(last_image_word(base))
            p = self._file(word, name, named_by) if word else None
            if p is not None and record:
                self.by_last_word[name] = nfc(p.stem)
        whole = WHOLE_NUMBER.match(base) if p is None else None
        if whole:  # '1.0' that no file has (not 1.0.png, 1.0.jpg): the 1 a table saved by Excel writes as 1.0
            p = self._file(whole.group(1), name, named_by)
            if p is not None and record:
                self.by_whole_number[name] = nfc(p.stem)
        stem = nfc(p.stem) if p is not None else None
        twins = self.shared_stems.get(stem.casefold(), []) if stem is not None else []
        if (len({nfc(q.name).casefold() for q in twins}) > 1  # Img.png, img.jpg: two files on macOS/Windows, but
                and len({nfc(q.stem) for q in twins}) > 1):  # their maps Img.png, img.png one there
            names = " and ".join(q.name for q in twins)
            raise UserError(f"`stimuli` {self.folder}: {names} have stems that differ only in case, and {named_by} "
                            f"{name!r}; maps are named by stem, and a file system that ignores case (macOS, "
                            f"Windows) keeps one map of the two: rename one of the files")
        twins = [q for q in twins if nfc(q.stem) == stem]  # Dog.png beside DOG.png: only where case counts
        if len(twins) > 1:  # maps and tables are named by stem: never pool two
            names = " and ".join(q.name for q in twins)
            raise UserError(f"`stimuli` {self.folder}: {names} share the stem {stem!r}, and {named_by} "
                            f"{name!r}; maps and tables are named by stem, so keep one of the files in the folder")
        if stem is not None:
            self._one_folder(stem, name, named_by, record)
        return stem

    def path(self, stem: str) -> Path:
        """File of a resolved stem."""
        return self.by_stem[stem]

    def size(self, stem: str) -> tuple[int, int] | None:
        """``(w, h)`` of a stimulus, or None when the image cannot be decoded or is above the pixel limit."""
        if stem not in self._sizes:
            self._sizes[stem] = decoded_size(self.by_stem[stem])
        if self.by_stem[stem] in self.broken:
            self.broken_used.add(self.by_stem[stem])
        if self._sizes[stem] is None:  # unreadable: a TIFF of float (or signed) samples is named as such
            if stem not in self._sample_formats:
                from saliency.base.images import tiff_sample_format

                self._sample_formats[stem] = tiff_sample_format(self.by_stem[stem])
            if self._sample_formats[stem] is not None:
                self.sample_format_used[stem] = self._sample_formats[stem]
        return self._sizes[stem]

    def unread_file(self, name: str) -> Path | None:
        """The image of this folder that ``name`` names (by file name, or by stem when its extension is an image's
        or it has none), ignoring case, when that image is in a format the toolkit does not read (``a.gif``): an
        extension of :data:`UNREAD_IMAGE_EXTS`, or another one (none) whose header Pillow reads as an image's. A
        file that is no image (``c.json`` beside a row's ``c.jpg``) is None."""
        base = nfc(str(name).replace("\\", "/").rsplit("/", 1)[-1])
        found = [p for p in self.unread.get(base.casefold(), []) if self._unread_image(p)]
        if not found and (Path(base).suffix.lower() in NAME_EXTS or not Path(base).suffix):
            found = [p for p in self.unread.get(Path(base).stem.casefold(), []) if self._unread_image(p)]
        return found[0] if found else None

    def _unread_image(self, path: Path) -> bool:
        """Whether ``path`` (not of :data:`IMAGE_EXTS`) is an image: its extension, else a header probe (cached)."""
        if path.suffix.lower() in UNREAD_IMAGE_EXTS:
            return True
        if path not in self._is_image:
            from saliency.base.images import open_header

            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with open_header(path):
                        self._is_image[path] = True
            except Exception:  # noqa: BLE001 - anything Pillow cannot identify is no image
                self._is_image[path] = False
        return self._is_image[path]

    def too_large(self, stem: str) -> tuple[int, int] | None:
        """``(w, h)`` a stimulus declares when that is above the pixel limits (:func:`declared_too_large`), else
        None; for a stem whose :meth:`size` is None (unreadable or too large). Recorded in :attr:`too_large_used`."""
        if stem not in self._too_large:
            self._too_large[stem] = declared_too_large(self.by_stem[stem])
        size = self._too_large[stem]
        if size is not None:
            self.too_large_used[stem] = size
        return size

    def check(self, stems, pool=None, workers: int = 1) -> None:
        """Decode the stimuli ``stems`` not yet seen: in ``pool`` (a process pool of ``workers``) when given.

        The check of a PNG is mostly Python and zlib calls that hold the GIL
        (threads gained 1.1x on 2 cores, measured), so a process pool is what
        divides it.
        """
        self.broken_used.update(self.by_stem[s] for s in stems if self.by_stem[s] in self.broken)
        todo = sorted({s for s in stems if s not in self._sizes})
        if pool is None or len(todo) < 2:
            for s in todo:
                self.size(s)
            return
        paths = [self.by_stem[s] for s in todo]
        for s, sz in zip(todo, pool.map(decoded_size, paths, chunksize=max(1, len(paths) // (4 * workers)))):
            self._sizes[s] = sz


def declared_too_large(path: Path) -> tuple[int, int] | None:
    """The ``(w, h)`` an image file declares when it is above the pixel limits (the limit in force:
    :func:`saliency.base.images.oversized`), else None (within them, or no size can be read): what
    :func:`decoded_size` refuses before decoding, told apart from a file that cannot be read."""
    from saliency.base.images import image_size, open_header, oversized

    try:
        size = image_size(path)
        if size is None:  # a header image_size does not parse: Pillow's, without decoding (open_header: Pillow's
            # own bomb limit lifted, else an image above it read as unreadable whatever `max_pixels` says)
            with open_header(path) as im:
                size = (int(im.size[0]), int(im.size[1]))
    except Exception:  # unreadable: not a size above the limit
        return None
    return size if oversized(size) else None


def decoded_size(path: Path) -> tuple[int, int] | None:
    """``(w, h)`` of an image file once its whole image data has been read; None when it cannot be, or is too large.

    What "read" means per format, each at least as strict as a full decode:

    - PNG (not interlaced): :func:`png_intact`, every chunk's CRC and the
      image data inflated to exactly the rows the header declares, each with
      a valid filter type; a file it does not pass is decoded by Pillow, whose
      verdict stands (about 1 ms instead of 4-5 ms for 1024x768 RGB);
    - JPEG: decoded by Pillow with DCT scaling to 1/8 (``draft``): every
      entropy-coded byte is still decoded, so truncated or corrupt data fails
      as in a full decode (checked on 320 damaged files), at about half the
      cost;
    - anything else: decoded whole by Pillow; a TIFF whose samples are floating point or signed integers
      (:func:`saliency.base.images.tiff_sample_format`) is None, as train, eval and predict (OpenCV) cannot read
      it as a photo (:attr:`StimulusIndex.sample_format_used` names it).

    The size is the image's as stored, an orientation tag ignored (a TIFF's too, which Pillow opens turned).
    The pixel limit is the toolkit's (:func:`saliency.base.images.max_pixels`): Pillow's own decompression-bomb
    limit (about 179 M pixels) is lifted (:func:`saliency.base.images.open_header`), else a ``max_pixels`` above
    it read every larger image as unreadable.
    """
    from saliency.base.images import image_size, open_header, oversized, tiff_sample_format

    try:
        declared = image_size(path)
    except OSError:
        declared = None
    if oversized(declared):  # above the pixel limit: quarantined without decoding
        return None
    try:
        with open_header(path) as im:  # checked against the toolkit's limit just below, before decoding
            w, h = int(im.size[0]), int(im.size[1])
            if im.format == "TIFF":  # the size as stored (ImageWidth, ImageLength), as decode and the header read
                # it: Pillow swaps a TIFF's size for an orientation tag 5-8 and turns its pixels on load
                w, h = int(im.tag_v2.get(256, w)), int(im.tag_v2.get(257, h))
            if oversized((w, h)):
                raise ValueError("above the pixel limit")
            if im.format == "TIFF" and tiff_sample_format(path) is not None:  # float or signed samples: Pillow
                return None  # decodes them, but train, eval and predict (OpenCV) do not read them as a photo
            if im.format == "PNG":
                with open(path, "rb") as fh:
                    if png_intact(fh.read()) == (w, h):
                        return w, h
            elif im.format == "JPEG":
                im.draft(im.mode, (max(1, w // 8), max(1, h // 8)))
            im.load()
            return w, h
    except Exception:  # any decoder failure: the rows are quarantined
        return None


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel (PNG spec, 11.2.2)
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_PNG_PIECE = 1 << 16  # inflated bytes per step (a 2.4 MB buffer at once was 2-3x slower: fresh pages each time)


def png_intact(data: bytes) -> tuple[int, int] | None:
    """``(w, h)`` of a PNG (W3C PNG specification, 2nd ed.) whose data is all there, else None.

    Checks what a decoder needs: the signature; a valid ``IHDR`` (known colour
    type and bit depth, compression and filter method 0, not interlaced);
    every chunk complete and its CRC right, up to ``IEND``; a ``PLTE`` of
    whole entries, no more than the bit depth can index, for a palette image;
    no unknown critical chunk; the ``IDAT`` chunks consecutive and followed
    directly by ``IEND`` (Pillow parses chunks after the image data only when
    it loads, and rejects some); their zlib stream complete (its Adler-32
    checked) and inflating to exactly ``h`` rows of ``1 + ceil(w * channels *
    depth / 8)`` bytes, each row's filter type 0-4. None means "not shown
    intact", not "broken": the caller then lets a full decoder decide.
    """
    import struct
    import zlib

    if data[:8] != _PNG_SIGNATURE:
        return None
    pos, n = 8, len(data)
    size = None
    row = expected = got = 0
    inflater = None
    has_plte = False
    while True:
        if pos + 12 > n:
            return None
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > n or zlib.crc32(data[pos + 4:pos + 8 + length]) != struct.unpack(">I", data[end - 4:end])[0]:
            return None
        body = data[pos + 8:pos + 8 + length]
        if size is None:
            if ctype != b"IHDR" or length != 13:
                return None
            w, h, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", body)
            if not (w and h) or depth not in _PNG_DEPTHS.get(colour, ()) or comp or filt or interlace:
                return None
            size = (w, h)
            row = 1 + (w * _PNG_CHANNELS[colour] * depth + 7) // 8
            expected = h * row
        elif ctype == b"IDAT":
            if inflater is None:
                inflater = zlib.decompressobj()
            buf = body
            while True:  # in pieces of _PNG_PIECE bytes: small buffers, and never more than the image
                try:
                    out = inflater.decompress(buf, _PNG_PIECE)
                except zlib.error:
                    return None
                if got + len(out) > expected or not _filter_types_ok(out, got, row):
                    return None
                got += len(out)
                buf = inflater.unconsumed_tail
                if not buf and len(out) < _PNG_PIECE:
                    break
        else:
            if ctype == b"IEND":
                break
            if inflater is not None:  # after the image data: Pillow parses these chunks when it loads, let it
                return None
            if ctype == b"PLTE":
                if colour in (0, 4) or not length or length % 3 or length > 3 * min(256, 1 << depth):
                    return None
                has_plte = True
            elif ctype == b"IHDR" or 65 <= ctype[0] <= 90:  # a second header, or an unknown critical chunk
                return None
        pos = end
    if inflater is None or not inflater.eof or inflater.unused_data or got != expected:
        return None
    if colour == 3 and not has_plte:
        return None
    return size


def _filter_types_ok(out: bytes, offset: int, row: int) -> bool:
    """Whether every row start within ``out`` (which begins ``offset`` bytes into the image data) holds 0-4."""
    if not out:
        return True
    starts = np.frombuffer(out, dtype=np.uint8)[(-offset) % row::row]
    return not starts.size or int(starts.max()) <= 4


def trials_named_by(path: str | Path) -> str:
    """How a refusal of :meth:`StimulusIndex.resolve` names a stimulus name read from the ``--trials`` CSV ``path``."""
    return f"`trials` {path} names"


def trial_stimulus(trials: dict, subject: str, trial) -> str:
    """The stimulus name a ``--trials`` table (:func:`load_trials`) gives a row of ``subject`` in ``trial``: its
    entry for (subject, trial), else its entry for (any subject, trial); "" when it has none. ``trial`` as a
    reader gave it, looked up as the table's were read (:func:`~data_tools.readers.chunks.trial_value`: an ASC's
    ``TRIALID 1.0`` finds the table's ``1.0``, read as ``1``)."""
    tv = trial_value(trial)
    return trials.get((subject, tv), trials.get(("*", tv), ""))


def load_trials(path: str | Path) -> dict:
    """``--trials`` CSV (subject, trial, stimulus; subject optional) -> {(subject, trial): stimulus}."""
    from saliency.data_tools.readers import ID_MISSING, read_header, text
    from saliency.data_tools.readers.base import DECODE_ERRORS
    from saliency.data_tools.readers.base import TEXT_PROBE_BYTES, check_text

    path = Path(path)
    try:  # a missing file or a folder: named as the option's, as a missing geometry file is
        with open(path, "rb") as fh:
            head = fh.read(TEXT_PROBE_BYTES)
    except OSError as exc:
        raise UserError(f"`trials` {path}: cannot read ({exc.strerror or exc})") from None
    check_text(path, head)  # UTF-16 or gzip: one line saying so, as for the logs
    first, sep = read_header(path)
    _check_trials_fields(path, sep)
    try:  # index_col=False: never a first column taken as the index (a row with a field too many shifted them)
        with warnings.catch_warnings():  # the cells it drops are blank (_check_trials_fields): no data lost
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            # a byte that is not UTF-8 is Windows-1252, as the logs and _check_trials_fields read it (Excel's
            # "CSV (Comma delimited)" on Windows); a UTF-8 BOM is pandas' to skip
            df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, index_col=False, encoding="utf-8",
                             encoding_errors=DECODE_ERRORS)
    except (OSError, pd.errors.ParserError, ValueError) as exc:
        raise UserError(f"`trials` {path}: cannot read ({' '.join(str(exc).split())})") from None
    cols = {c.strip().lower(): c for c in df.columns}
    for need in ("trial", "stimulus"):
        if need not in cols:
            raise UserError(f"`trials` {path}: no {need!r} column (need subject, trial, stimulus)")
    n = len(df)
    subj = text(df[cols["subject"]], n, "*", ID_MISSING) if "subject" in cols else np.full(n, "*", object)
    trial = text(df[cols["trial"]], n)  # an Excel-saved table's 1.0 is trial 1
    stim = text(df[cols["stimulus"]], n, whole=False)  # '1.0' names 1.0.png (or, without one, 1.png)
    # a row with every cell blank (Excel's ',,' rows below a table) is no row, as the log readers skip it
    empty = df.apply(lambda c: c.isna() | (c.astype(str).str.strip() == "")).all(axis=1).to_numpy()
    out: dict = {}
    first: dict = {}  # (subject, trial) -> its first row number (1 = the first row under the header)
    for i, (s, t, v) in enumerate(zip(subj, trial, stim), start=1):
        if empty[i - 1]:
            continue
        if not t or not v:  # a blank trial gave rows outside any trial (calibration) its stimulus
            cells = ", ".join(repr(str(x)) for x in df.iloc[i - 1].tolist())
            raise UserError(f"`trials` {path}: row {i} ({cells}) has no {'trial' if not t else 'stimulus'} value; "
                            f"fill it in or delete the row (rows outside a trial get no stimulus from the table)")
        if (s, t) in out and _stem_of(out[(s, t)]) != _stem_of(v):
            who = f"subject {s!r}, " if s != "*" else ""
            raise UserError(f"`trials` {path}: rows {first[(s, t)]} and {i} both list {who}trial {t!r}, with "
                            f"stimuli {out[(s, t)]!r} and {v!r}; keep one row per trial")
        out.setdefault((s, t), v)
        first.setdefault((s, t), i)
    return out


def _check_trials_fields(path: Path, sep: str) -> None:
    """Refuse a ``--trials`` row whose field count is not the header's, naming the row and its cells.

    pandas read a first row with a field too many as if its first column were
    the index (every value shifted one column left: another row refused, or
    trial 's0003'), and one further down as a tokenizing error; with
    ``index_col=False`` it drops the extra fields silently. Rows are counted as
    the other ``--trials`` messages count them: 1 = the first under the
    header, blank lines skipped.
    """
    import csv

    from saliency.data_tools.readers.base import DECODE_ERRORS

    try:
        with open(path, "r", encoding="utf-8-sig", errors=DECODE_ERRORS, newline="") as fh:
            rows = csv.reader(fh, delimiter=sep)
            header = next(rows, None)
            if header is None:
                return  # an empty file: pandas' own refusal says so
            named = len(header)  # the header less its trailing unnamed columns (Excel's 'a,b,c,')
            while named and not header[named - 1].strip():
                named -= 1
            i = 0
            for row in rows:
                if not row:  # a blank line: no row
                    continue
                i += 1
                if not any(c.strip() for c in row):  # a row of blank cells (' ', a lone tab): no data to shift
                    continue
                if len(row) != len(header) and not (len(row) >= named and not any(c.strip() for c in row[named:])):
                    # only blank cells beyond the named columns (or under unnamed ones) are no stray field
                    cells = ", ".join(repr(c) for c in row[:8]) + (", ..." if len(row) > 8 else "")
                    raise UserError(f"`trials` {path}: row {i} ({cells}) has {len(row)} fields where the header "
                                    f"({', '.join(h.strip() for h in header)}) has {len(header)}; fix the row "
                                    "(a stray or missing delimiter) or the header")
    except (OSError, csv.Error) as exc:
        raise UserError(f"`trials` {path}: cannot read ({' '.join(str(exc).split())})") from None


def _stem_of(name: str) -> str:
    """A name less any image extension (``a.png`` is ``a``), its folder part kept (``A/1`` is not ``B/1``)."""
    name = nfc(name.replace("\\", "/"))
    return name.rsplit(".", 1)[0] if Path(name).suffix.lower() in NAME_EXTS else name
