"""``eyelink-asc``: EyeLink ASC files (``edf2asc``): raw samples, or the tracker's EFIX fixations.

Conventions from ``../shared/REFERENCES.md`` section 3 and the EyeLink 1000
Plus user manual (section 4.9, "ASC file format"): sample lines ``time x y
pupil`` (binocular: ``time xl yl pl xr yr pr``; missing ``.``), ``EFIX eye
start end dur x y pupil``, ``MSG time TRIALID n``,
``MSG time TRIAL_RESULT n``, ``MSG time !V IMGLOAD ... file`` and ``MSG time
!V TRIAL_VAR image|stimulus NAME`` (Data Viewer integration messages) for
the stimulus, ``GAZE_COORDS`` / ``DISPLAY_COORDS x0 y0 x1 y1`` for the
screen. The subject is the file stem.

Message offsets (SR Research FAQ "How can I take advantage of the timing
offset in sending messages?", the rule EyeLink Data Viewer applies): a message
sent with a time offset is written ``MSG <time> <offset> <text>``, and the
event it marks happened at ``<time> - <offset>`` (a negative offset marks a
later event). The offset is the integer token (optional sign, digits only)
directly after the time stamp: ``MSG 1234 1 2 3`` is the text ``2 3`` at
1233, while ``MSG 1234 1.5 x`` and ``MSG 1234 12ab`` have no offset. Every
use of a message's time below (trial starts and ends, stimulus onsets) is
that corrected time.

Rows. One data row = one sample line (a line that is not blank, not indented
(``edf2asc`` indents the tables that continue a ``!CAL`` message) and does not
start with an upper-case letter, as the keywords ``MSG``, ``START``,
``EFIX``... do, or with ``*``, ``>``, ``!`` or a comment character: the manual
(4.9) names ``#``, ``/`` and ``;``) when reading samples, one ``EFIX`` line
when reading tracker events; a row that cannot be parsed is quarantined
(``non_numeric``, ``non_finite_time``). Comment, keyword and preamble lines
are not rows (neither kept nor quarantined nor counted).

Coordinates (manual 4.9.4): the ``SAMPLES`` and ``EVENTS`` lines name the
data type, ``GAZE`` (screen pixels, ``edf2asc``'s default), ``HREF``
(head-referenced angles, ``edf2asc -sh``) or ``PUPIL`` (camera coordinates,
``-sp``). Only ``GAZE`` is screen pixels: a file whose ``SAMPLES`` line (when
reading samples) or ``EVENTS`` line (when reading tracker events) declares
``HREF`` or ``PUPIL`` is refused when opened, in one line naming that line. A
file without such lines is read as screen pixels.

Time stamps (manual 4.9.2): a 2000 Hz recording converted without
``-ftime`` writes integer time stamps, two consecutive rows sharing one; the
second was sampled 0.5 ms later. In a block whose ``SAMPLES`` line says
``RATE 2000``, a sample whose integer stamp equals the previous sample's
(and that previous one was not itself moved) is read 0.5 ms later, across
chunk boundaries too.

Trials follow the message timestamps, not the file order (messages are
sometimes written out of order), for samples and events alike:

1. messages are sorted by time (ties keep file order);
2. a trial starts at its ``TRIALID`` message and ends at the next
   ``TRIALID`` or at its own ``TRIAL_RESULT`` message, whichever comes first
   (end excluded). A file without any ``TRIALID`` starts its trials at
   stimulus messages instead, ids ``1``, ``2``, ... in time order: each
   ``!V IMGLOAD`` starts one (a new display, so two presentations of one
   image are two trials), except the first ``IMGLOAD`` of a trial a
   ``TRIAL_VAR`` started that names the same image (the display of the
   image that message announced); a ``!V TRIAL_VAR`` starts one when it
   names another image than the current trial's (files with ``TRIAL_VAR``
   messages only) and otherwise only labels the current trial (a
   ``TRIAL_VAR`` written while the image it names is shown splits nothing);
3. a sample belongs to the trial whose span holds its time stamp, an EFIX
   event to the one that holds its start time; rows in no trial keep an empty
   trial and stimulus (the ingest quarantines them, ``outside_trial``);
4. the stimulus at time ``t`` of a trial is the latest ``!V IMGLOAD`` of the
   trial at or before ``t``; before the first (or without one) it is the
   trial's ``!V TRIAL_VAR image|stimulus|...`` value, wherever that message
   lies between the trial's ``TRIALID`` and the next (Experiment Builder
   writes trial variables at the end of the trial); otherwise empty (then
   ``trials`` maps the trial to its stimulus).

Eyes (``ReadOptions.eye``): the ``START`` / ``SAMPLES`` lines name the eyes
recorded (``LEFT``, ``RIGHT`` or both) for the samples that follow them.
Samples that no such line names (a samples-only file, ``edf2asc -s`` /
``-ne``, has none) are told apart by their shape (manual 4.9.2): the
numeric fields before the first other token (the CR flags ``...`` /
``.....``; ``.`` is a missing value and counts as a field) number 4, 6 or 8
on a monocular line (``time x y pupil`` [+ velocity] [+ resolution]) and 7,
9, 11 or 13 on a binocular one (``time xl yl pl xr yr pr`` [+ resolution]
[+ 4 velocities]); ``edf2asc -input`` adds one field, so 7, 8 and 9 are
told by the CR flags' width (3 monocular, 5 binocular), and a line whose
count and flags fit only a layout with the INPUT field is refused
(:func:`sample_shape`). The first :data:`SHAPE_LINES` sample lines of such a stretch
decide: all of one shape (lines of no known shape aside) or the file is
refused in one line (both shapes, or none); a line of the other shape later
in the stretch is quarantined (``malformed_row``). A binocular stretch then
reads both eyes (``left`` / ``right`` allowed); a monocular one reads its one
eye, not knowing which (``left`` / ``right`` refused).
``average`` (the default) takes the mean of the two eyes where both are valid
and the valid eye where only one is (an eye is valid when both its x and y
are given; :func:`data_tools.smoothing.combine_eyes`), and a monocular
recording's one eye; ``left`` / ``right`` take that eye only: a recording block
that lacks it is refused when the file is opened (one line naming the line of
its ``START``/``SAMPLES`` line), as is a file that never says which eye it
recorded; one whose chosen eye has no valid sample while the other eye has
some is refused after reading (:func:`~data_tools.readers.base.one_eye_only`).
Lines cut short (a recording cut off mid-line, most often the file's last
line) are quarantined (``malformed_row``), never read with a cut number: a
sample line with fewer fields than its block's layout (:func:`sample_fields`:
``time x y pupil``, binocular ``time xl yl pl xr yr pr``, plus the velocity and
resolution fields the ``SAMPLES`` line names), an ``EFIX`` line with fewer
than its 8 (``EFIX eye start end dur x y pupil``). Tracker events: with ``left`` /
``right`` only that eye's ``EFIX`` lines are kept, the other eye's are counted
(``other_eye``, by design: a binocular recording has both, whatever else is
wrong with them); ``average`` keeps both eyes' events, as the tracker reports
them. ``notes["lines_held"]`` counts the sample lines and ``EFIX`` lines of
the file, whichever is read (the ingest names the other kind when the one read
gave no row).

Placement: an ``IMGLOAD`` with Data Viewer's mode word says where the image was
drawn (``FILL``: stretched over the screen; ``CENTER x y``: centred at x, y;
``TOP_LEFT x y``: its corner at x, y; optional ``w h``: the size drawn, else
its own). The reader records them (``placements``, per stimulus name); the
ingest maps every trial by the one ``--display`` and refuses a file whose
placement differs from it (:func:`data_tools.ingest.check_placements`).

Screen size: ``GAZE_COORDS`` (else ``DISPLAY_COORDS``) hold ``x0 y0 x1 y1``
where ``x1`` is either the last pixel index (``1919``, what EyeLink writes) or
the pixel count (``1920``, what some experiment scripts write). Screens have
an even number of pixels on each axis, so the width is ``x1 - x0 + 1`` when
that is even and ``x1 - x0`` otherwise; both readings are recorded in
``notes`` and the ingest accepts a user resolution equal to either.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import (DECODE_ERRORS, Chunk, LogReader, Probe, ReadOptions, default_subject,
                                              one_eye_only, open_input, check_eye as check_eye_choice)
from saliency.data_tools.readers.chunks import empty_quarantine, fixation_chunk, quarantine_frame

DETECT_RANK = 10  # the file's name or first line
SUFFIXES = (".asc",)
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()
EYES = True  # honours ReadOptions.eye

_COORDS = re.compile(r"(GAZE_COORDS|DISPLAY_COORDS)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)")
# the value is the rest of the message: a name may hold spaces ('cat 01.png')
_STIM_VAR = re.compile(r"!V\s+TRIAL_VAR\s+(stimulus|image|media|stimulus_name|img)\s+(\S.*?)\s*$", re.I)
_IMGLOAD = re.compile(r"!V\s+IMGLOAD\s+\S+\s+(\S+)")
#: Data Viewer's ``!V IMGLOAD`` modes: ``FILL <img>`` (stretched over the display), ``CENTER <img> x y [w h]``
#: (centred at x, y), ``TOP_LEFT <img> x y [w h]`` (its top-left corner at x, y); w h: the size it is drawn at
_IMG_MODES = ("FILL", "CENTER", "TOP_LEFT")
_PLACED = re.compile(r"(\S.*?)\s+([-+]?\d+)\s+([-+]?\d+)(?:\s+([-+]?\d+)\s+([-+]?\d+))?$")  # name x y [w h]
# ``MSG <time> [<offset>] <text>``: an integer token directly after the time is the message's offset
# (SR Research, Data Viewer: "a message that begins with an integer"); the event happened at time - offset
_MSG = re.compile(r"^MSG\s+(-?\d+(?:\.\d+)?)\s+(?:([-+]?\d+)(?:\s+|$))?(.*)$")
_RATE = re.compile(r"\bRATE\s+([\d.]+)")
SHAPE_LINES = 100  # sample lines of a stretch whose eyes no line names that decide its layout
_MONO_FIELDS = (4, 6, 8)  # time x y pupil [xv yv] [xr yr] (manual 4.9.2)
_BINO_FIELDS = (7, 9, 11, 13)  # time xl yl pl xr yr pr [xr yr] [xvl yvl xvr yvr] [xr yr]
_MONO_INPUT = (5, 7, 9)  # the same + the INPUT field of edf2asc -input
_BINO_INPUT = (8, 10, 12, 14)
_AMBIGUOUS = (7, 8, 9)  # counts of a layout with INPUT and of one without, of the other eyes
_CR_FLAGS = re.compile(r"[.ICR]{3}|[.ICR]{5}")  # CR flags: monocular 3 characters, binocular 5 (manual 4.9.2)
_REMOTE_FLAGS = re.compile(r"[.A-Z]{13}")  # the Remote's target flags word after its target fields (manual 4.9.2)
_EFIX_FIELDS = 8  # EFIX eye start end dur x y pupil (manual 4.9.3.3)
_NOT_GAZE = {"HREF": "head-referenced (HREF) angles", "PUPIL": "raw pupil positions in camera coordinates"}


def numeric_fields(tok: list[str]) -> int:
    """The number of leading fields of a sample line that are numbers or the missing value ``.``."""
    n = 0
    for t in tok:
        if t != ".":
            try:
                float(t)
            except ValueError:
                break
        n += 1
    return n


def sample_shape(tok: list[str]) -> str | None:
    """``"monocular"``, ``"binocular"``, ``"input"`` or None (no layout of the manual's table) from a sample line.

    The count of numeric fields is ambiguous once ``edf2asc -input`` adds its
    one INPUT field after the gaze fields: 7 is binocular or monocular + 2 +
    input, 8 monocular + 4 or binocular + input, 9 binocular + resolution or
    monocular + 4 + input. For these counts the CR flags that follow tell
    which (manual 4.9.2: ``...`` on a monocular line, ``.....`` on a binocular
    one), save 8 fields with 5 flags followed by the Remote's target fields
    (:func:`remote_tail`): the Remote's monocular line with velocities and
    resolution, which a layout without INPUT reads. A count that then fits
    only with an INPUT field, or fits no layout but one with it (5, 10, 12,
    14), is ``"input"`` (refused:
    :func:`check_shapes`). Other counts say the eyes whatever the flags (the
    Remote's monocular lines may carry 5 of them); a line without flags
    (pupil-only tracking) is read by its count, as the layouts without INPUT
    have it.
    """
    n = numeric_fields(tok)
    flags = tok[n] if n < len(tok) and _CR_FLAGS.fullmatch(tok[n]) else None
    if n in _AMBIGUOUS and flags is not None:
        if n == 8 and len(flags) == 5 and remote_tail(tok[n + 1:]):
            return "monocular"  # the Remote's monocular VEL+RES line: 5 flags, then its target fields
        if len(flags) == 3:
            return "monocular" if n in _MONO_FIELDS else "input"
        return "binocular" if n in _BINO_FIELDS else "input"
    if n in _MONO_FIELDS:
        return "monocular"
    if n in _BINO_FIELDS:
        return "binocular"
    return "input" if n in _MONO_INPUT + _BINO_INPUT else None


def remote_tail(rest: list[str]) -> bool:
    """Whether the fields after a sample line's CR flags are the EyeLink Remote's target fields.

    Target x, y and distance (numbers or ``.``), then a word of 13 target
    flag characters (``.............`` when none is set).
    """
    k = numeric_fields(rest)
    return 0 < k < len(rest) and _REMOTE_FLAGS.fullmatch(rest[k]) is not None


def sample_fields(line: str, binocular: bool) -> int:
    """The fields a sample line has at least in the block a ``START`` / ``SAMPLES`` line (``line``) opens.

    ``time x y pupil`` (binocular ``time xl yl pl xr yr pr``), with the
    velocities (2 fields, binocular 4) a ``SAMPLES`` line naming ``VEL``
    announces and the resolution (2 fields) one naming ``RES`` does (manual
    4.9.2); ``""`` (a stretch no line names the eyes of): the first four
    (seven) only. A line with fewer was cut short (``malformed_row``).
    """
    tok = line.upper().split()
    n = 7 if binocular else 4
    if tok[:1] == ["SAMPLES"]:
        n += (4 if binocular else 2) * ("VEL" in tok) + 2 * ("RES" in tok)
    return n


def message_time(m: re.Match) -> float:
    """The time of the event a ``MSG`` line marks: its time stamp minus its offset, if it has one."""
    t = float(m.group(1))
    return t - int(m.group(2)) if m.group(2) is not None else t


def sniff(probe: Probe) -> bool:
    """An ``edf2asc`` preamble (``**``) or a message or event line first."""
    first = probe.first
    return first.startswith("**") or first.startswith("MSG") or first.startswith("EFIX")


def _is_structure(line: str) -> bool:
    """A line that is not a data row: blank, a keyword line (MSG, START, EFIX, ...), a comment/preamble, or indented.

    Comments start with ``#``, ``/`` or ``;`` (EyeLink 1000 Plus manual 4.9:
    "the first non-blank character on a comment line is one of"), the
    preamble with ``**``.

    An indented line continues the message above it: ``edf2asc`` writes the
    tables of ``!CAL`` messages (eye check box, href range, coefficients) on
    lines that start with spaces or a tab, while a sample line starts with its
    time stamp in the first column.
    """
    s = line.strip()
    return not s or line[0] in " \t" or s[0] in "*>!#/;" or s[0].isupper()


def screen_from_coords(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int]:
    """Pixel counts from ``GAZE_COORDS x0 y0 x1 y1`` (``x1`` the last index or the count: the even one)."""
    out = []
    for a, b in ((x0, x1), (y0, y1)):
        d = int(round(b - a))
        out.append(d + 1 if (d + 1) % 2 == 0 else d)
    return out[0], out[1]


class _Timeline:
    """Trial spans and stimulus segments from a file's messages (the rule in the module docstring)."""

    def __init__(self, messages: list[tuple[float, int, str]]):
        msgs = sorted(messages, key=lambda m: (m[0], m[1]))
        trial_starts = [(t, m.split("TRIALID", 1)[1].split()[0] if m.split("TRIALID", 1)[1].split() else "")
                        for t, _, m in msgs if "TRIALID" in m]
        results = [t for t, _, m in msgs if "TRIAL_RESULT" in m]
        stim_msgs = []  # (time, kind, name)
        for t, _, m in msgs:
            mv = _STIM_VAR.search(m)
            if mv:
                stim_msgs.append((t, "var", _name(mv.group(2))))
                continue
            nm = _imgload_name(m) if "IMGLOAD" in m else None
            if nm:
                stim_msgs.append((t, "img", nm))
        if not trial_starts:  # no TRIALID: trials from the stimulus messages (rule 2), numbered 1, 2, ...
            trial_starts = [(t, str(k + 1)) for k, t in enumerate(_stimulus_trial_starts(stim_msgs))]
        # segment starts with their (trial, stimulus); (None, None) = outside any trial
        starts: list[float] = []
        labels: list[tuple[str | None, str | None]] = []
        for i, (t0, tid) in enumerate(trial_starts):
            nxt = trial_starts[i + 1][0] if i + 1 < len(trial_starts) else np.inf
            end = min([r for r in results if t0 <= r < nxt] or [nxt])
            inside = [(t, k, nm) for t, k, nm in stim_msgs if t0 <= t < nxt]
            var = next((nm for t, k, nm in inside if k == "var"), "")
            starts.append(t0)
            labels.append((tid, var))
            for t, k, nm in inside:
                if k == "img" and t < end:
                    starts.append(t)
                    labels.append((tid, nm))
            if end < np.inf:
                starts.append(end)
                labels.append((None, None))
        order = np.argsort(np.asarray(starts, dtype=np.float64), kind="stable")
        self.starts = np.asarray(starts, dtype=np.float64)[order]
        self.trial = np.array([labels[k][0] for k in order] + [None], dtype=object)
        self.stim = np.array([labels[k][1] for k in order] + [None], dtype=object)
        self.n_trials = len(trial_starts)
        self.stim_msgs = stim_msgs  # (time, kind, name) of the stimulus messages

    def assign(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(trial, stimulus) of each time stamp; ``""`` for both outside any trial."""
        k = np.searchsorted(self.starts, np.asarray(t, dtype=np.float64), side="right") - 1
        k = np.where(k < 0, len(self.starts), k)  # before the first start: the (None, None) sentinel
        tr, st = self.trial[k], self.stim[k]
        out = np.array([v is None for v in tr], dtype=bool)
        tr = np.where(out, "", tr)
        st = np.where(out, "", st)
        return tr.astype(object), st.astype(object)


def _stimulus_trial_starts(stim_msgs: list[tuple[float, str, str]]) -> list[float]:
    """Trial start times of a file without ``TRIALID`` from its time-sorted ``(time, kind, name)`` stimulus messages.

    An ``IMGLOAD`` (``img``) starts a trial, unless it is the first of a trial
    that a ``TRIAL_VAR`` (``var``) naming the same image started; a
    ``TRIAL_VAR`` starts one only when it names another image than the
    current trial's (module docstring, rule 2). Names are compared as the
    stimulus index matches them (:func:`_same_image`): Experiment Builder's
    ``TRIAL_VAR image img0`` names the ``img0.png`` on show.
    """
    starts: list[float] = []
    image, shown = None, False  # the current trial's image; whether an IMGLOAD displayed it
    for t, kind, nm in stim_msgs:
        if kind == "img":
            if shown or not _same_image(nm, image, fold=True):
                starts.append(t)
            image, shown = nm, True
        elif not _same_image(nm, image, fold=shown):  # labelling a displayed image: case as on a Windows PC
            starts.append(t)
            image, shown = nm, False
    return starts


def _same_image(a: str | None, b: str | None, fold: bool = False) -> bool:
    """Whether two message names are one image: equal, or equal once an image extension is dropped.

    As the stimulus index drops only a known image extension (``img0`` is
    ``img0.png``; ``beach.v2`` is not ``beach``). ``fold``: case ignored too,
    for a ``TRIAL_VAR`` labelling the image an ``IMGLOAD`` put on show (an
    Experiment Builder PC's file system ignores case: ``IMG0`` found
    ``img0.png``); two ``TRIAL_VAR`` names keep their case (``Cat.png`` and
    ``cat.png`` may be two files of a folder).
    """
    if a is None or b is None:
        return a is b
    from saliency.data_tools.stimuli import NAME_EXTS

    def bare(n: str) -> str:
        n = Path(n).stem if Path(n).suffix.lower() in NAME_EXTS else n
        return n.casefold() if fold else n
    return a == b or bare(a) == bare(b)


def _name(s: str) -> str:
    return Path(s.replace("\\", "/")).name


def imgload_placement(text: str) -> dict | None:
    """The placement a ``!V IMGLOAD FILL|CENTER|TOP_LEFT <img> [x y [w h]]`` message states, or None.

    ``{"mode", "name", "x", "y", "w", "h"}`` (``x``/``y``/``w``/``h`` None when
    not written: FILL has none, ``w h`` default to the image's own size); None
    for a message without a mode word or whose numbers cannot be read (its name
    is read as before, by :data:`_IMGLOAD`).
    """
    m = re.search(r"!V\s+IMGLOAD\s+(\S+)\s+(\S.*?)\s*$", text)
    if not m or m.group(1).upper() not in _IMG_MODES:
        return None
    mode, rest = m.group(1).upper(), m.group(2)
    if mode == "FILL":  # the rest of the message is the name ('images/cat 01.png')
        return {"mode": mode, "name": _name(rest), "x": None, "y": None, "w": None, "h": None}
    # the name is what comes before the trailing 2 or 4 integers
    m = _PLACED.match(rest)
    if not m:
        return None
    v = [int(n) if n is not None else None for n in m.groups()[1:]]
    return {"mode": mode, "name": _name(m.group(1)), "x": v[0], "y": v[1], "w": v[2], "h": v[3]}


def _imgload_name(text: str) -> str | None:
    """The image an ``IMGLOAD`` message names: as :func:`imgload_placement` reads it, else (no mode word, numbers
    not read) its second word."""
    pl = imgload_placement(text)
    if pl is not None:
        return pl["name"]
    mi = _IMGLOAD.search(text)
    return _name(mi.group(1)) if mi else None


def placement_rect(pl: dict, image: tuple[int, int], screen: tuple[int, int]) -> tuple[float, ...]:
    """The screen rectangle ``(left, top, width, height)`` (pixel edges) an IMGLOAD placement ``pl`` gives an
    ``image`` (w, h) on a ``screen`` (W, H): FILL the whole screen; CENTER x y its centre at x, y; TOP_LEFT x y
    its top-left corner at x, y; drawn at w x h when the message gives them, else at the image's own size."""
    if pl["mode"] == "FILL":
        return (0.0, 0.0, float(screen[0]), float(screen[1]))
    w = pl["w"] if pl["w"] is not None else image[0]
    h = pl["h"] if pl["h"] is not None else image[1]
    if pl["mode"] == "CENTER":
        return (pl["x"] - w / 2, pl["y"] - h / 2, float(w), float(h))
    return (float(pl["x"]), float(pl["y"]), float(w), float(h))


def scan(path: Path) -> dict:
    """One pass over the file's keyword lines: messages, the declared screen coordinates, the sampling rates.

    ``rate``: the ``RATE`` of the ``SAMPLES`` lines, one number, or their
    sorted list when they differ (``dataset.json`` ``declared_rate_hz``).

    Also the data type of each ``SAMPLES`` / ``EVENTS`` line that is not
    ``GAZE`` (``data_types``: ``(line, keyword, type)``) and, for each stretch
    of samples whose eyes no ``START`` / ``SAMPLES`` line names, what the shape
    of its first :data:`SHAPE_LINES` sample lines says (``shapes``: the line
    that opened the stretch, 0 for the file's start, -> ``{"shape": ...,
    "line": first sample line}`` with ``shape`` ``binocular``, ``monocular``,
    ``mixed`` (then ``other``: a line of the other shape), ``input`` (a line
    with edf2asc -input's field; ``fields``: its count) or ``unknown`` (then
    ``fields``: the first line's numeric field count)), and how many sample
    lines (a digit first) and ``EFIX`` lines the file holds (``held``: the rows
    of either reading, told when the one chosen found none).
    """
    messages: list[tuple[float, int, str]] = []
    coords = {}
    rates: set[float] = set()  # the RATE of every SAMPLES line
    blocks: list[tuple[int, set]] = []  # (line, eyes) of each START / SAMPLES line
    data_types: list[tuple[int, str, str]] = []
    shapes: dict[int, dict] = {}
    stretch: dict | None = {"key": 0, "n": 0}  # the samples whose eyes no line names (None: named)
    held = {"samples": 0, "EFIX": 0}  # sample lines and EFIX lines

    def close(st):
        if st is None or not st["n"]:
            return
        b, m = st.get("binocular"), st.get("monocular")
        if st.get("input"):
            shapes[st["key"]] = {"shape": "input", "line": st["input"], "fields": st["input_fields"]}
        elif b and m:
            shapes[st["key"]] = {"shape": "mixed", "line": min(b, m), "other": max(b, m)}
        elif b or m:
            shapes[st["key"]] = {"shape": "binocular" if b else "monocular", "line": b or m}
        else:
            shapes[st["key"]] = {"shape": "unknown", "line": st["first"], "fields": st["fields"]}

    fh = open_input(path, "r", encoding="utf-8-sig", errors=DECODE_ERRORS)
    with fh:
        for ln, line in enumerate(fh, start=1):
            c = line[:1]
            if c.isdigit():
                held["samples"] += 1
                if stretch is not None and stretch["n"] < SHAPE_LINES:
                    tok = line.split()
                    sh = sample_shape(tok)
                    if not stretch["n"]:
                        stretch["first"], stretch["fields"] = ln, numeric_fields(tok)
                    stretch["n"] += 1
                    if sh is not None:
                        stretch.setdefault(sh, ln)
                    if sh == "input":
                        stretch.setdefault("input_fields", numeric_fields(tok))
                continue
            if not c:
                continue
            if c == "E" and line.startswith("EFIX"):
                held["EFIX"] += 1
                continue
            if line.startswith("MSG"):
                m = _MSG.match(line.rstrip("\r\n"))
                if m:
                    messages.append((message_time(m), ln, m.group(3)))
            if "_COORDS" in line:
                m = _COORDS.search(line)
                if m and m.group(1) not in coords:
                    coords[m.group(1)] = tuple(float(v) for v in m.groups()[1:])
            elif line.startswith("SAMPLES") or line.startswith("START"):
                eyes = line_eyes(line)
                blocks.append((ln, eyes))
                close(stretch)
                stretch = None if eyes else {"key": ln, "n": 0}
                m = _RATE.search(line) if line.startswith("SAMPLES") else None
                if m:
                    rates.add(float(m.group(1)))
            if line.startswith("SAMPLES") or line.startswith("EVENTS"):
                tok = line.split()
                kind = next((k for k in _NOT_GAZE if k in tok[1:]), None)
                if kind and tok[0] in ("SAMPLES", "EVENTS"):
                    data_types.append((ln, tok[0], kind))
    close(stretch)
    # one rate, or the blocks' rates (sorted) when they differ: a record never names the first block's alone
    rate = (next(iter(rates)) if len(rates) == 1 else sorted(rates)) if rates else None
    return {"messages": messages, "coords": coords, "rate": rate, "blocks": blocks, "data_types": data_types,
            "shapes": shapes, "held": held}


def check_gaze(path: Path, data_types: list[tuple[int, str, str]], tracker_events: bool) -> None:
    """Refuses samples (or, with ``tracker_events``, events) a ``SAMPLES`` (``EVENTS``) line declares HREF/PUPIL."""
    want = "EVENTS" if tracker_events else "SAMPLES"
    for ln, kw, kind in data_types:
        if kw == want:
            what = "the tracker's events (EFIX)" if tracker_events else "the samples"
            raise UserError(f"{path}: line {ln}: `{kw} {kind}`: {what} hold {_NOT_GAZE[kind]}, not GAZE screen "
                            f"pixels; convert the EDF file again with GAZE data (edf2asc's default, option -sg)")


def check_shapes(path: Path, shapes: dict[int, dict]) -> None:
    """Refuses a stretch of samples whose eyes no line names and whose lines' shape does not say them."""
    for st in shapes.values():
        how = ("convert the EDF file again without edf2asc's -s/-ne, so that START and SAMPLES lines name the "
               "eyes, or with one eye only (-l or -r)")
        if st["shape"] == "mixed":
            raise UserError(f"{path}: line {st['other']}: a sample line of another shape than line {st['line']} "
                            f"(monocular: time x y pupil, 4, 6 or 8 numeric fields; binocular: time xl yl pl xr "
                            f"yr pr, 7, 9, 11 or 13), and no START or SAMPLES line names the eyes; {how}")
        if st["shape"] == "input":
            raise UserError(f"{path}: line {st['line']}: {st['fields']} numeric fields: the layout of a sample line "
                            f"with the INPUT field of edf2asc -input (by its field count and CR flags), which moves "
                            f"the fields a layout without it reads, and no START or SAMPLES line says the layout; "
                            f"convert the EDF file again keeping the START and SAMPLES lines (without -s/-ne), or "
                            f"without -input")
        if st["shape"] == "unknown":
            raise UserError(f"{path}: line {st['line']}: {st['fields']} numeric fields: neither a monocular sample "
                            f"line (time x y pupil: 4, 6 or 8 fields) nor a binocular one (time xl yl pl xr yr pr: "
                            f"7, 9, 11 or 13), and no START or SAMPLES line names the eyes (edf2asc -input adds "
                            f"a field: convert without -input); {how}")


def line_eyes(line: str) -> set:
    """The eyes a ``START`` or ``SAMPLES`` line names: a subset of ``{"left", "right"}``."""
    tok = line.upper().split()
    return {e for e, k in (("left", "LEFT"), ("right", "RIGHT")) if k in tok}


def check_eye(path: Path, eye: str, blocks: list[tuple[int, set]]) -> str:
    """The recorded eyes (``left``, ``right``, ``both``, ``unknown``); refuses ``eye`` left/right the file lacks."""
    named = [(ln, e) for ln, e in blocks if e]
    seen = set().union(*(e for _, e in named)) if named else set()
    recorded = "both" if seen == {"left", "right"} else (next(iter(seen)) if seen else "unknown")
    if eye in ("left", "right"):
        if not named:
            raise UserError(f"{path}: `eye` {eye}: the file does not say which eye it recorded (no START or "
                            f"SAMPLES line naming LEFT or RIGHT); use `eye` average")
        for ln, e in named:
            if eye not in e:
                other = next(iter(e))
                raise UserError(f"{path}: line {ln}: the recording holds the {other} eye only, not the {eye} "
                                f"one (`eye` {eye}); use `eye` {other} or average")
    return recorded


def read(path: Path, opts: ReadOptions, block: int = 200_000) -> LogReader:
    """EyeLink ASC: raw samples (or EFIX events with ``tracker_events``), trials from the messages' time stamps."""
    tracker_events = opts.tracker_events
    subject = default_subject(path)
    info = scan(path)
    timeline = _Timeline(info["messages"])
    notes: dict = {"trials": timeline.n_trials, "lines_held": info["held"]}
    screen_px = None
    key = "GAZE_COORDS" if "GAZE_COORDS" in info["coords"] else "DISPLAY_COORDS"
    if key in info["coords"]:
        x0, y0, x1, y1 = info["coords"][key]
        screen_px = screen_from_coords(x0, y0, x1, y1)
        notes["declared_coords"] = {"key": key, "values": [x0, y0, x1, y1],
                                    "screen_px": list(screen_px)}
    if info["rate"]:
        notes["declared_rate_hz"] = info["rate"]
    eye = check_eye_choice(opts.eye)
    check_gaze(path, info["data_types"], tracker_events)
    shapes = {} if tracker_events else {k: st["shape"] for k, st in info["shapes"].items()}
    blocks = list(info["blocks"])
    if not tracker_events:
        check_shapes(path, info["shapes"])
        # a stretch of binocular-shaped samples: both eyes, as a SAMPLES line naming them says
        blocks += [(st["line"], {"left", "right"}) for st in info["shapes"].values() if st["shape"] == "binocular"]
        blocks.sort(key=lambda b: b[0])
        if any(s == "binocular" for s in shapes.values()):
            notes["eyes_from_line_shape"] = True
    notes["eyes_recorded"] = check_eye(path, eye, blocks)
    notes["eye"] = eye

    def chunks() -> Iterator[Chunk]:
        from saliency.data_tools.smoothing import combine_eyes

        layout = shapes.get(0)  # the shape of the samples no line names the eyes of (None: named, or no samples)
        binocular = layout == "binocular"
        need = sample_fields("", binocular)  # the fields of a sample line that was not cut short
        eyes: set = set()  # the eyes of the current recording block (empty: not said)
        rate = None  # the current block's RATE (its SAMPLES line)
        prev_t, prev_moved = None, False  # the previous sample's stamp as written; whether it was moved 0.5 ms
        rows: list[tuple] = []
        bad: list[int] = []
        short: list[int] = []  # lines cut short (fewer fields than `need`, EFIX than 8); lines of the other shape
        said: dict = {}  # an unreadable EFIX line (bad, short) -> the (eye, start) it says: None for one not read
        other_eye = 0  # EFIX lines of the eye not chosen (counted)
        n_valid = {"left": 0, "right": 0}  # samples kept with a valid gaze of each eye (one_eye_only)

        def unread(lns: list[int], reason: str) -> pd.DataFrame:
            """Quarantine rows of ``lns``; an EFIX line keeps its eye and its start's trial and stimulus where it
            says them (``QUAR_KEYS``, for ingest ``drop_first``; not said: NaN, and no stimulus)."""
            if not tracker_events:
                return quarantine_frame(lns, reason, np.full(len(lns), subject, object))
            e = np.array([said[ln][0] for ln in lns], dtype=object)
            t0 = np.array([said[ln][1] for ln in lns], dtype=np.float64)
            known = np.isfinite(t0)
            trial, stim = timeline.assign(np.where(known, t0, -np.inf))
            return quarantine_frame(lns, reason, np.full(len(lns), subject, object), np.where(known, stim, ""),
                                    trial=np.where(known, trial, None), eye=e)

        def flush():
            nonlocal rows, bad, short, other_eye
            q = unread(bad, "non_numeric") if bad else empty_quarantine()
            if short:
                q = pd.concat([q, unread(short, "malformed_row")], ignore_index=True)
            n_rows = len(rows) + len(bad) + len(short) + other_eye
            if tracker_events:
                a = np.array(rows, dtype=object).reshape(-1, 6)
                t0, dur = a[:, 3].astype(float), a[:, 4].astype(float)
                trial, stim = timeline.assign(np.where(np.isfinite(t0), t0, -np.inf))
                # EFIX times have no missing marker: NaN here is "nan" written in the file
                ch = fixation_chunk(a[:, 0].astype(np.int64), np.full(len(a), subject, object), stim, trial,
                                    a[:, 1].astype(float), a[:, 2].astype(float), t0, dur, a[:, 5],
                                    "screen", non_finite_time=np.isnan(t0), non_finite_duration=np.isnan(dur))
                ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True)
                if other_eye:
                    ch.counted = {"other_eye": other_eye}
            else:
                a = np.array(rows, dtype=object).reshape(-1, 6)
                t = a[:, 1].astype(float)
                nf = ~np.isfinite(t)
                if nf.any():
                    q = pd.concat([q, quarantine_frame(a[nf, 0].astype(np.int64), "non_finite_time",
                                                       np.full(int(nf.sum()), subject, object))], ignore_index=True)
                    a, t = a[~nf], t[~nf]
                per_eye = [a[:, k].astype(float) for k in (2, 3, 4, 5)]
                for e, (ex, ey) in (("left", per_eye[:2]), ("right", per_eye[2:])):
                    n_valid[e] += int((np.isfinite(ex) & np.isfinite(ey)).sum())
                x, y = combine_eyes(*per_eye, eye)
                trial, stim = timeline.assign(t)
                valid = np.isfinite(x) & np.isfinite(y)
                ch = Chunk("samples", "screen", pd.DataFrame({
                    "subject": np.full(len(a), subject, object), "stimulus": stim, "trial": trial,
                    "time_ms": t, "x": x, "y": y, "valid": valid,
                    "line": a[:, 0].astype(np.int64)}), q)
            ch.quarantine = ch.quarantine.sort_values("line", kind="stable").reset_index(drop=True)
            ch.rows_read = n_rows
            rows, bad, short, other_eye = [], [], [], 0
            said.clear()
            return ch

        def num(tok):
            return np.nan if tok in (".", "") else float(tok)

        fh = open_input(path, "r", encoding="utf-8-sig", errors=DECODE_ERRORS)
        with fh:
            for ln, line in enumerate(fh, start=1):
                if not _is_structure(line):
                    if tracker_events:
                        continue
                    tok = line.split()
                    try:
                        t = float(tok[0])
                        # 2000 Hz, integer stamps (manual 4.9.2): the second row of a shared stamp is 0.5 ms later
                        moved = rate == 2000.0 and t == prev_t and not prev_moved and t.is_integer()
                        prev_t, prev_moved = t, moved
                        if moved:
                            t += 0.5
                        if layout is not None and sample_shape(tok) not in (None, layout):
                            short.append(ln)  # the other shape than the stretch's: not guessed
                            continue
                        if len(tok) < need:  # cut short (a recording cut off mid-line): no field guessed
                            short.append(ln)
                            continue
                        if binocular:
                            row = (ln, t, num(tok[1]), num(tok[2]), num(tok[4]), num(tok[5]))
                        else:
                            x, y = num(tok[1]), num(tok[2])
                            nan = np.nan
                            # the one eye in its place; an eye not named goes to both (its own average)
                            row = (ln, t, x, y, nan, nan) if eyes == {"left"} else (ln, t, nan, nan, x, y) \
                                if eyes == {"right"} else (ln, t, x, y, x, y)
                    except (ValueError, IndexError):
                        bad.append(ln)
                        continue
                    rows.append(row)
                elif line.startswith("EFIX"):
                    if not tracker_events:
                        continue
                    tok = line.split()
                    if eye != "average" and len(tok) > 1 and tok[1] in ("L", "R") and tok[1] != eye[0].upper():
                        other_eye += 1  # the other eye's fixation (binocular recording), by design
                    elif len(tok) < _EFIX_FIELDS:  # cut short: the pupil (or more) missing
                        short.append(ln)
                        said[ln] = _efix_said(tok)
                    else:
                        try:
                            e, t0, dur = tok[1], float(tok[2]), float(tok[4])
                            x, y = num(tok[5]), num(tok[6])
                        except (ValueError, IndexError):
                            bad.append(ln)
                            said[ln] = _efix_said(tok)
                            continue
                        rows.append((ln, x, y, t0, dur, e))
                elif line.startswith("SAMPLES") or line.startswith("START"):
                    eyes = line_eyes(line)
                    layout = None if eyes else shapes.get(ln)
                    binocular = eyes == {"left", "right"} or layout == "binocular"
                    need = sample_fields(line, binocular)
                    m = _RATE.search(line) if line.startswith("SAMPLES") else None
                    rate = float(m.group(1)) if m else None
                    prev_t, prev_moved = None, False
                if len(rows) + len(bad) + len(short) + other_eye >= block:
                    yield flush()
        yield flush()
        if eye in ("left", "right") and not tracker_events:
            other = "right" if eye == "left" else "left"
            if not n_valid[eye] and n_valid[other]:  # a binocular block whose chosen eye never tracked
                raise one_eye_only(path, eye, n_valid[other])

    rd = LogReader(path, "eyelink-asc", "fixations" if tracker_events else "samples", chunks,
                   screen_px=screen_px, notes=notes, trials=True)
    # where each IMGLOAD drew its image: the ingest checks it against the `display` placement (one mapping for all)
    placements: dict[str, list[dict]] = {}
    for _, ln, text in info["messages"]:
        pl = imgload_placement(text) if "IMGLOAD" in text else None
        if pl is not None:
            placements.setdefault(pl["name"], []).append({**pl, "line": ln, "message": " ".join(text.split())})
    rd.placements = placements
    # the names taken from messages (free text): the ingest's resolve may match them by their last image word
    rd.message_names = {nm for t, _, nm in timeline.stim_msgs}
    return rd


def _efix_said(tok: list[str]) -> tuple[str | None, float]:
    """The eye (``L``/``R``; None: not one) and start time (NaN: not a number) an unreadable EFIX line says."""
    eye = tok[1] if len(tok) > 1 and tok[1] in ("L", "R") else None
    try:
        t0 = float(tok[2]) if eye is not None and len(tok) > 2 else np.nan
    except ValueError:
        t0 = np.nan
    return eye, t0


def _example_head(n_trials: int) -> list[str]:
    head = ["** CONVERTED FROM sub01.edf using edf2asc", "** DATE: Mon Jan  1 10:00:00 2024", "**",
            "MSG\t900 DISPLAY_COORDS 0 0 1919 1079", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00"]
    for k in range(n_trials):
        t0 = 1000 + 1000 * k
        head += [f"MSG\t{t0} TRIALID {k + 1}", f"MSG\t{t0 + 1} !V IMGLOAD FILL images/img{k}.jpg"]
    head += ["START\t1000 \tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tRIGHT\tRATE\t 500.00\tTRACKING\tCR"]
    return head


def example_file(path: Path, rng, n: int) -> int:
    """A small valid ASC file whose last ``n`` lines are monocular samples (row-accounting tests)."""
    t = 1000 + 2 * np.arange(n)
    # gaze rests 150 samples (300 ms) at a time, with 1 px noise: fixations for a detector to find
    cx, cy = rng.uniform(100, 1820, n // 150 + 1), rng.uniform(100, 980, n // 150 + 1)
    rows = [f"{v}\t{cx[k // 150] + rng.normal():.1f}\t{cy[k // 150] + rng.normal():.1f}\t1000.0\t..."
            for k, v in enumerate(t)]
    path.write_text("\n".join(_example_head(n // 500 + 1) + rows) + "\n")
    return n


def example_events_file(path: Path, rng, n: int) -> int:
    """A small valid ASC file whose last ``n`` lines are EFIX events (row-accounting tests)."""
    rows = [f"EFIX\tR\t{1000 + 250 * k}\t{1200 + 250 * k}\t200\t{rng.uniform(0, 1920):.1f}\t"
            f"{rng.uniform(0, 1080):.1f}\t1000" for k in range(n)]
    path.write_text("\n".join(_example_head(n // 4 + 1) + rows) + "\n")
    return n
