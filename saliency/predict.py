"""Batched inference behind ``saliency predict``.

Each image is decoded with OpenCV (in DataLoader workers when ``workers > 0``),
resized to the network input size the checkpoint was trained at, run in
batches, optionally averaged with its horizontal flip (test-time
augmentation: the flipped prediction is flipped back and averaged in map
space), and the map is resized back to the image's own size and written as
an 8-bit grey PNG named by the image's stem -- the prediction folder format
``saliency eval`` reads. SOD maps are ``sigmoid(logits)``, resized
bilinearly; fixation maps are the predicted density, resized by
:func:`saliency.validate.resize_map` (area averaging along an axis that
shrinks, bilinear along one that grows) and then scaled to a maximum of 1
(255 in the PNG, at any image size); a fixation model can also write its
log-density (float32 ``.npy``, natural log, normalised over the image's
pixels), resized the same way, so that a pixel keeps the mass it covers.
Classic models and centre biases (:mod:`saliency.eval.baselines`) are
written the same way by :func:`predict_baseline_folder`.

An image that cannot be decoded is listed and skipped; the others are still
written (each file atomically), so a bad file never costs the finished work.
Files of ``images`` whose extension is not an image extension are left out
and counted (``PredictResult.left_out``), never errors.

The checkpoint is read by :func:`saliency.models.registry.read_checkpoint`
(the one reader of checkpoint files); workers start with
:func:`saliency.runtime.worker_init`, and torch's process-wide settings are
restored after the run (:func:`saliency.runtime.torch_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError, cli_flag
from saliency.base.images import NETWORK_SIZE_RANGE


@dataclass
class PredictResult:
    """What :func:`predict_folder` did."""

    written: list = field(default_factory=list)
    skipped: list = field(default_factory=list)   # (path, reason); options in the reason spelled as on the CLI
    unmatched: list = field(default_factory=list)  # ids of ``only`` (``--list``) that name no image
    left_out: str | None = None  # the line counting the files of ``images`` left out (eval.io.left_out_note)
    comments: str | None = None  # the line counting the '#' lines of ``only`` skipped as comments (comment_note)
    seconds: float = 0.0
    multi_frame: list = field(default_factory=list)  # (path, frames) of the images of several frames (first used)


def read_photo(path, orientation: int | None = None):
    """An image as prediction reads it: 8-bit BGR (``IMREAD_COLOR``), the one decode check of ``saliency predict``
    (and of ``saliency crop``, which skips an image without a map only when this check refuses it).

    UserError naming the file when it cannot be read (:func:`saliency.eval.io.read_image`: a TIFF whose samples
    are floating point or signed integers, which OpenCV's colour decoding refuses, is named as such rather than as
    corrupt). ``orientation``: the file's tag as :func:`saliency.base.images.read_header` read it (None: a TIFF's
    is read while decoding).
    """
    import cv2

    from saliency.eval.io import read_image

    return read_image(str(path), cv2.IMREAD_COLOR, orientation=orientation)


def several_frames_note(multi_frame) -> str | None:
    """One line naming the images of several frames of which only the first was used, or None.

    ``multi_frame``: ``(path, frames)`` pairs (:attr:`PredictResult.multi_frame`); the words of
    :func:`saliency.eval.io.several_frames_note`, which eval and training say of their files too.
    """
    from saliency.eval.io import several_frames_note as note

    return note(multi_frame)


def load_model(checkpoint: str | Path, device):
    """(model in eval mode on ``device``, training config or None) from a checkpoint file.

    Reads it with :func:`saliency.models.registry.read_checkpoint`, the one
    reader of checkpoint files; errors name ``checkpoint`` and the file.
    """
    from saliency.models.registry import model_from_checkpoint, read_checkpoint

    ck = read_checkpoint(checkpoint, map_location="cpu")
    model = model_from_checkpoint(ck, checkpoint)
    return model.to(device).eval(), ck.get("train_config")


class ListIds(set):
    """The ids of a ``--list`` file (:func:`read_list`), in Unicode NFC; ``comments``: its lines that start with
    ``#`` (stripped, NFC, in file order), each also an id: an entry when an image has that name, else a comment
    (:func:`comment_note`); ``path``: the file."""

    def __init__(self, ids=(), comments=(), path=None):
        super().__init__(ids)
        self.comments: list[str] = list(comments)
        self.path = path


def read_list(path: str | Path) -> ListIds:
    """Stems to predict: a text file (one per line) or a run's ``split.json`` (its ``val`` ids).

    Names are taken in Unicode NFC, as the image keys are (a list written on
    macOS holds ``café`` decomposed). In a text file blank lines are skipped;
    a line starting with ``#`` is an id when an image has that name
    (``#x`` for ``#x.png``), else a comment, skipped and counted
    (:func:`comment_note`). A leading UTF-8 BOM is skipped; a folder, a
    list without an id, a NUL byte or a JSON nested too deep is refused.
    Errors name the file as ``list`` (``saliency predict --list``).
    """
    import json

    from saliency.base.names import nfc

    from saliency.base.images import shown_path

    p = Path(path)
    shown = shown_path(p)  # a name holding a newline is quoted: the message stays one line
    if p.is_dir():
        raise UserError(f"`list` {shown}: is a folder; give a text file (one image stem per line) or a split.json")
    if not p.exists():  # a pipe (--list /dev/stdin) or another special file is read as it is
        raise UserError(f"`list` {shown}: file not found")
    try:
        text = p.read_text(encoding="utf-8-sig")  # a leading BOM (Windows editors) is no part of the first id
    except OSError as exc:
        raise UserError(f"`list` {shown}: cannot be read ({exc.strerror or exc}); give a readable text file "
                        "or split.json") from None
    if "\x00" in text:  # an id holding NUL names no file: refused, never printed raw as "not predicted"
        line = text[:text.index("\x00")].count("\n") + 1
        raise UserError(f"`list` {shown}: line {line} holds a NUL byte; a list is text, one image stem per line")
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
            if not isinstance(data["val"], list) or not all(isinstance(i, str) for i in data["val"]):
                raise TypeError("'val' is not a list of text ids")  # a string was read letter by letter
            ids = {nfc(i) for i in data["val"]}
        except RecursionError:
            raise UserError(f"`list` {shown}: JSON nested too deep; expected a split.json with a 'val' list "
                            "of ids") from None
        except (ValueError, KeyError, TypeError):
            raise UserError(f"`list` {shown}: expected a split.json with a 'val' list of ids") from None
        if any(isinstance(i, str) and "\x00" in i for i in ids):  # "\u0000" written as an escape
            raise UserError(f"`list` {shown}: an id of 'val' holds a NUL character; ids are image stems")
        if not ids:
            raise UserError(f"`list` {shown}: holds no id ('val' is empty)")
        return ListIds(ids, path=path)
    ids = [nfc(ln.strip()) for ln in text.splitlines() if ln.strip()]
    if not ids:
        raise UserError(f"`list` {shown}: holds no id (the file is empty or blank); give one image stem per line")
    return ListIds(ids, [i for i in ids if i.startswith("#")], path=path)


def none_decoded(images, skipped) -> UserError:
    """The error when no image of the folder ``images`` decoded (``predict``, ``crop``): one line.

    ``skipped``: ``(path, reason)`` pairs; the count and the first reason are shown.
    """
    from saliency.base.images import shown_path

    first = f"; the first: {' '.join(str(skipped[0][1]).split())}" if skipped else ""
    return UserError(f"`images` {shown_path(images)}: no image could be decoded ({len(skipped)} skipped{first})")


def _named(only, items) -> set:
    """The names an id of ``only`` may give for ``items``: each stem key and each file's bare stem."""
    return {k for k, _ in items} | {Path(k).name for k, _ in items}


def _comments(only, items) -> list[str]:
    """The ``#`` lines of ``only`` (a :class:`ListIds`) that name no image of ``items``: comments, in file order."""
    names = _named(only, items)
    return [c for c in dict.fromkeys(getattr(only, "comments", ())) if c not in names]


def comment_note(only, items) -> str | None:
    """One line counting the ``#`` lines of the ``--list`` file ``only`` skipped as comments (no image of
    ``items`` has that name), or None."""
    skipped = _comments(only, items)
    if not skipped:
        return None
    from saliency.base.images import shown_path

    n = len(skipped)
    ex = ", ".join(shown_path(c) for c in skipped[:5]) + (", ..." if n > 5 else "")
    lst = shown_path(str(getattr(only, "path", "")))
    if n == 1:
        return f"1 line of --list {lst} starts with '#' and names no image here: skipped as a comment ({ex})"
    return f"{n} lines of --list {lst} start with '#' and name no image here: skipped as comments ({ex})"


def unmatched_ids(only: set | None, items: list[tuple[str, Path]]) -> list[str]:
    """The ids of ``only`` that name none of ``items`` (by stem key or file stem), sorted; a ``#`` line
    naming none is a comment (:func:`comment_note`), not among them."""
    if only is None:
        return []
    names = _named(only, items)
    comments = set(getattr(only, "comments", ()))
    return sorted(str(i) for i in only if i not in names and i not in comments)


def list_images(folder: str | Path, only: set | None = None, notes: list | None = None) -> list[tuple[str, Path]]:
    """(stem key, path) of the images under ``folder`` (recursive; ``eval.io`` conventions).

    ``notes``, when given, receives the line counting the files left out for their extension, if any.
    """
    from saliency.base.images import IMAGE_EXTS, shown_path
    from saliency.eval.io import index_folder, left_out_note, own_keys, refuse_output_twins

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():  # as the command line says it, not "folder not found"
        raise UserError(f"`images` {shown_path(folder)}: is a file, not a folder; give a folder path")
    idx = index_folder(folder, IMAGE_EXTS, param="images")
    note = left_out_note(idx, folder)
    if notes is not None and note:
        notes.append(note)
    items = [(k, idx[k]) for k in own_keys(idx, folder)]  # bare-stem aliases skipped
    if only is not None:
        items = [(k, p) for k, p in items if k in only or Path(k).name in only]
        if not items:
            k = len(set(getattr(only, "comments", ())))  # no image: every '#' line is a comment
            said = f"; its {k} line(s) starting with '#' were skipped as comments" if k else ""
            if len(only) == k:  # nothing but comments: no id to name
                raise UserError(f"`list`: holds no id, only {k} line(s) starting with '#', which name no image in "
                                f"`images` {shown_path(folder)} and were skipped as comments")
            raise UserError(f"`list`: none of its {len(only) - k} ids is an image in `images` {shown_path(folder)}"
                            f"{said}")
    # maps are named by key: keys whose maps are one file where case is ignored, among the images it will write
    # (a `list` that leaves a twin out writes one map of the two: nothing to refuse)
    refuse_output_twins(items, folder, f"`images` {shown_path(str(folder))}")
    return sorted(items)


class _Images:
    """Decoded, resized images; a failure is returned as its message, not raised."""

    def __init__(self, items, size):
        self.items = items
        self.size = size

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        import cv2
        import torch

        from saliency.base.images import read_header
        from saliency.transforms import resize_image

        key, path = self.items[i]
        header = read_header(path)  # its frame count and tag (a TIFF's, applied by the decoder): one header read
        try:
            img = read_photo(path, header.orientation)
        except UserError as exc:
            return {"key": key, "path": str(path), "error": exc.render(cli_flag)}
        frames = header.frames
        h, w = img.shape[:2]
        # resized first, then BGR -> RGB (resizing is per channel: the same pixels as converting first),
        # so that no second full-size copy of a large image is made
        small = resize_image(img, self.size)
        del img
        x = torch.from_numpy(np.ascontiguousarray(small[..., ::-1])).permute(2, 0, 1).float().div_(255)
        return {"key": key, "path": str(path), "image": x, "hw": (h, w), "frames": frames}


def full_size_u8(m: np.ndarray, hw, density: bool = False) -> np.ndarray:
    """A network-size [0, 1] map at the image's size as 8-bit: bilinear, clipped, rounded.

    The same values as ``to_u8(np.clip(upsample(m, hw), 0, 1))`` of
    :mod:`saliency.validate`, computed in place: one float32 copy of the
    image's size (4 bytes per pixel) instead of five. ``density`` (a fixation
    map): resized by :func:`saliency.validate.resize_map` instead (area
    averaging along an axis that shrinks) and scaled to a maximum of 1 once
    at the image's size, so the PNG's maximum is 255 however small the image
    (a 2x3 image's map peaked at 156).
    """
    from saliency.validate import resize_map, upsample

    up = (resize_map if density else upsample)(m.astype(np.float32), hw)
    if up is m or not up.flags.writeable:
        up = up.copy()
    if density:
        top = float(up.max()) if up.size else 0.0
        if np.isfinite(top) and top > 0:
            up *= np.float32(1.0 / top)
    np.clip(up, 0.0, 1.0, out=up)
    up *= np.float32(255.0)
    np.rint(up, out=up)
    return up.astype(np.uint8)


def _collate(batch):
    return batch


SIZE_RANGE = NETWORK_SIZE_RANGE
"""The sides a network input ``size`` may have, in pixels (the command line's ``--size``: 16x16 to 4096x4096);
the smallest keeps a coarse-to-fine model's coarse branch at least 2 pixels a side at every ``coarse_scale``
down to 1/8."""


def check_size(size) -> tuple[int, int]:
    """``size`` as ``(height, width)``: two whole numbers in :data:`SIZE_RANGE`, else UserError naming ``size``."""
    import numbers

    lo, hi = SIZE_RANGE
    sides = tuple(size) if isinstance(size, (tuple, list)) else None
    if (sides is None or len(sides) != 2
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in sides)):
        raise UserError(f"`size` {size!r}: expected (height, width), two whole numbers, e.g. (288, 384)")
    h, w = (int(v) for v in sides)
    if not (lo <= h <= hi and lo <= w <= hi):
        raise UserError(f"`size` {size!r}: height and width must be between {lo} and {hi}")
    return h, w


def check_amp(amp) -> None:
    """Refuse an ``amp`` that is none of training's ``amp`` choices (auto, bf16, off; ``saliency.config``)."""
    from saliency.config import CHOICES

    choices = CHOICES["train.amp"]
    if not isinstance(amp, str) or amp not in choices:
        raise UserError(f"`amp` {amp!r}: must be one of {', '.join(choices)}")


def _out_stages(out, log_density_out, overwrite: bool, inputs: dict, staged: bool = False):
    """The staging of ``out`` (and ``log_density_out``), checked as ``saliency predict`` checks ``--out``.

    Refused before anything is written (:func:`saliency.base.fsutil.check_out_dir`): an output that is, holds
    or lies inside one of ``inputs``; a non-empty folder unless ``overwrite`` (then only one a saliency command
    wrote); ``out`` and ``log_density_out`` on one path or one inside the other. A context manager yielding
    ``(stage, log-density stage or None)``; the folders are swapped in whole on success
    (:func:`saliency.base.fsutil.staged_dirs`), so a failed run leaves them as they were. ``staged``: the
    folders are already the caller's own empty stages (``saliency predict`` passes those of its ``--out`` and
    ``--log-density``, which it checked and swaps in itself): written as they are.
    """
    import contextlib

    from saliency.base.fsutil import check_apart, check_out_dir, staged_dir, staged_dirs

    inputs = {k: v for k, v in inputs.items() if v is not None}
    out = check_out_dir(out, overwrite, inputs=inputs)
    ld = None
    if log_density_out is not None:
        ld = check_out_dir(log_density_out, overwrite, "log_density", inputs=inputs)
        check_apart(ld, {"out": str(out)}, "log_density", outputs=True)
    if staged:
        return contextlib.nullcontext((out, ld))
    if ld is None:
        @contextlib.contextmanager
        def one():
            with staged_dir(out, inputs=inputs) as stage:
                yield stage, None

        return one()
    return staged_dirs([(out, "out"), (ld, "log_density")], inputs=inputs)


def predict_folder(checkpoint, images, out, *, size=None, batch_size: int = 8, device: str = "auto",
                   tta: bool = False, workers: int = 0, only: set | None = None, progress: bool = True,
                   amp: str = "auto", runtime: str = "torch", log_density_out=None,
                   overwrite: bool = False, staged: bool = False) -> PredictResult:
    """Predict every image of ``images`` into ``out`` as ``<stem>.png``; see the module docstring.

    ``runtime="onnx"`` runs the network with ONNX Runtime on the CPU
    (:mod:`saliency.onnx_runtime`: folded batch norm, decoding of the next
    batch overlapped with the current one); the maps agree with PyTorch's
    within float32 rounding.

    ``size`` is the network input size ``(height, width)`` (the command line's
    ``--size`` is ``WxH``); None takes the size the checkpoint was trained at,
    and a checkpoint without a training config then needs ``size``. Errors
    name the parameters in backticks (``saliency predict`` and ``saliency
    crop`` both spell them ``--checkpoint``, ``--size``, ``--images``).
    ``log_density_out``: a folder that also receives each fixation map's
    log-density, ``<stem>.npy`` (:func:`write_log_density`). ``size`` is two
    whole numbers from 16 to 4096 (:func:`check_size`, as ``--size``);
    ``amp``: auto (bf16 on a GPU that computes it natively), bf16 or off.

    ``out`` (and ``log_density_out``) are checked as ``saliency predict``
    checks ``--out``, before anything is read or written: one that is, holds
    or lies inside ``images`` or ``checkpoint`` is refused, and so is a
    non-empty folder unless ``overwrite`` (then only one a saliency command
    wrote: it is replaced whole). The maps are built in a staging folder and
    swapped in once the run is done (:func:`_out_stages`); ``staged=True``:
    ``out`` (and ``log_density_out``) are the caller's own empty staging
    folders, written directly (the caller swaps them in).
    """
    import time

    import cv2
    import torch
    from torch.utils.data import DataLoader

    from saliency.base.fsutil import atomic_path
    from saliency.base.progress import progress as progress_bar
    from saliency.runtime import inference_bf16, open_files_for, resolve_device, torch_settings, worker_init
    from saliency.validate import resize_map

    check_amp(amp)
    if runtime not in ("torch", "onnx"):
        raise UserError(f"`runtime` {runtime!r}: choose torch or onnx")
    if size is not None:
        size = check_size(size)
    open_files_for(workers, batch_size)  # room for the workers' open files (per-image tensors), or refused, first
    staging = _out_stages(out, log_density_out, overwrite,
                          {"images": images, "checkpoint": checkpoint, "list": getattr(only, "path", None)}, staged)
    dev = resolve_device(device)
    model, tcfg = load_model(checkpoint, dev)
    if log_density_out is not None and model.task != "fixation":
        raise UserError(f"`log_density` {log_density_out}: only fixation models predict a density; "
                        f"`checkpoint` {checkpoint} is a {model.task} model")
    size_given = size is not None
    if size is None:
        if not tcfg:
            raise UserError(f"`checkpoint` {checkpoint}: no training config inside; give `size` WxH")
        size = tuple(tcfg["data"]["size"])
    notes: list = []
    items = list_images(images, only, notes)
    if runtime == "onnx":
        from saliency.onnx_runtime import OnnxModel

        if dev.type != "cpu" and device != "auto":
            raise UserError(f"`device` {device}: the onnx `runtime` runs on the CPU; use `device` cpu")
        dev, amp = torch.device("cpu"), "off"
        try:
            model = OnnxModel(model.cpu(), tuple(size))
        except UserError as exc:  # the size is the checkpoint's training size: no `size` the user gave (review R8)
            text, head = str(exc.args[0]) if exc.args else "", "`size` "
            if size_given or not text.startswith(head):
                raise
            body = text[len(head):].replace("; give a larger size (e.g. ", "; give a larger `size` (e.g. ")
            raise UserError(f"`checkpoint` {checkpoint}: its training size {body}, or use the torch `runtime`") \
                from None
    use_amp = (amp == "bf16") or (amp == "auto" and inference_bf16(dev))  # validation uses the same rule
    cl = dev.type == "cuda"
    if cl:
        model = model.to(memory_format=torch.channels_last)
    loader = DataLoader(_Images(items, tuple(size)), batch_size=batch_size, shuffle=False, num_workers=workers,
                        collate_fn=_collate, worker_init_fn=worker_init if workers > 0 else None)
    res = PredictResult(unmatched=unmatched_ids(only, items), left_out="; ".join(notes) or None,
                        comments=comment_note(only, items) if only is not None else None)
    t0 = time.perf_counter()
    bar = progress_bar(total=len(items), desc="predict", unit="img", enabled=progress)
    if runtime == "onnx":
        from saliency.onnx_runtime import prefetch

        loader = prefetch(loader)
    fixation = model.task == "fixation"
    with staging as (stage, ld_stage), torch_settings(), torch.no_grad():
        for batch in loader:
            good = [b for b in batch if "error" not in b]
            res.skipped += [(b["path"], b["error"]) for b in batch if "error" in b]
            res.multi_frame += [(b["path"], b["frames"]) for b in good if b["frames"] > 1]
            if good:
                x = torch.stack([b["image"] for b in good]).to(dev)
                if cl:
                    x = x.contiguous(memory_format=torch.channels_last)
                maps = _run(model, x, tta, use_amp, dev).cpu().numpy()
                for b, m in zip(good, maps):
                    if ld_stage is not None:  # each pixel keeps the mass it covers; renormalised there
                        write_log_density(ld_stage / f"{b['key']}.npy",
                                          resize_map(np.asarray(m, dtype=np.float32), b["hw"]))
                    u8 = full_size_u8(m, b["hw"], density=fixation)
                    ok, buf = cv2.imencode(".png", u8)
                    with atomic_path(stage / f"{b['key']}.png") as tmp:
                        tmp.write_bytes(buf.tobytes())
                    res.written.append(str(Path(out) / f"{b['key']}.png"))
            bar.update(len(batch))
    bar.close()
    res.seconds = time.perf_counter() - t0
    return res


def write_log_density(path, density) -> None:
    """Write a non-negative map as a log-density: float32 ``.npy``, natural log, normalised over pixels.

    The density is divided by its sum (pixels below 1e-30 of the total are
    clipped there, so the log is finite); ``logsumexp`` of the file is 0,
    which is how ``saliency eval`` recognises a log-density
    (:mod:`saliency.eval.probabilistic`). Written atomically.
    """
    import io

    from saliency.base.fsutil import atomic_path
    from saliency.eval.probabilistic import log_density_from_density

    logp = log_density_from_density(np.asarray(density, dtype=np.float64)).astype(np.float32)
    buf = io.BytesIO()
    np.save(buf, logp, allow_pickle=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def predict_baseline_folder(name: str, images, out, *, only: set | None = None, progress: bool = True,
                            log_density_out=None, dataset: str | None = None, root=None,
                            overwrite: bool = False, staged: bool = False) -> PredictResult:
    """Maps of the classic model or centre bias ``name`` (:mod:`saliency.eval.baselines`) for every image.

    Writes ``out/<stem>.png`` (8-bit grey, the map min-max scaled to 0..255;
    the format ``saliency eval`` reads) and, with ``log_density_out``, the
    map as a log-density ``<stem>.npy`` (:func:`write_log_density`; for the
    classic models their map taken as a density, for the centre biases their
    real density). ``centre-bias`` is fitted to the training split of
    ``dataset`` under ``root`` (OSIE). Unreadable images are listed and skipped.
    ``out``, ``log_density_out``, ``overwrite`` and ``staged`` as in :func:`predict_folder`
    (an output that is, holds or lies inside ``images`` or ``root`` is refused).
    """
    import time

    import cv2

    from saliency.base.fsutil import atomic_path
    from saliency.base.progress import progress as progress_bar
    from saliency.base.images import read_header
    from saliency.eval import baselines as B

    if name not in B.BASELINES:
        raise UserError(f"`baseline` {name}: unknown; choose from {', '.join(B.BASELINES)}")
    staging = _out_stages(out, log_density_out, overwrite,
                          {"images": images, "root": root, "list": getattr(only, "path", None)}, staged)
    cb = None
    if name == "centre-bias":
        if not dataset or root is None:
            raise UserError("`baseline` centre-bias is fitted to a dataset's training split: give `dataset` NAME "
                            "and `root` DIR (e.g. OSIE)")
        from saliency.eval.datasets import SPLITS, canonical_name, published

        key = canonical_name(dataset)
        if key is not None and key not in SPLITS:  # an unknown name: published() lists the known ones
            raise UserError(f"`dataset` {dataset}: centre-bias is fitted to a documented training split; only "
                            f"{' and '.join(SPLITS)} {'has' if len(SPLITS) == 1 else 'have'} one")
        ds = published(dataset, root, "train")
        if ds.baseline_logp is None:
            raise UserError(f"`dataset` {dataset}: has no fixations to fit a centre bias to")
        cb = B.CentreBias(np.asarray(ds.baseline_logp), 0.0, 0.0, 0, 0)
    notes: list = []
    items = list_images(images, only, notes)
    res = PredictResult(unmatched=unmatched_ids(only, items), left_out="; ".join(notes) or None,
                        comments=comment_note(only, items) if only is not None else None)
    t0 = time.perf_counter()
    bar = progress_bar(total=len(items), desc=name, unit="img", enabled=progress)
    with staging as (stage, ld_stage):
        for key, path in items:
            header = read_header(path)  # its frame count and tag (a TIFF's, applied by the decoder): one read
            try:
                img = cv2.cvtColor(read_photo(path, header.orientation), cv2.COLOR_BGR2RGB)
            except UserError as exc:
                res.skipped.append((str(path), exc.render(cli_flag)))
                bar.update(1)
                continue
            if (frames := header.frames) > 1:
                res.multi_frame.append((str(path), frames))
            m = B.compute_baseline(name, img, centre_bias=cb)
            mn, mx = float(m.min()), float(m.max())
            u8 = (np.zeros(m.shape, np.uint8) if mx <= mn
                  else np.rint((m - mn) / (mx - mn) * 255).astype(np.uint8))
            ok, buf = cv2.imencode(".png", u8)
            target = stage / f"{key}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                tmp.write_bytes(buf.tobytes())
            if ld_stage is not None:
                write_log_density(ld_stage / f"{key}.npy", m)
            res.written.append(str(Path(out) / f"{key}.png"))
            bar.update(1)
    bar.close()
    res.seconds = time.perf_counter() - t0
    return res


def _run(model, x, tta: bool, use_amp: bool, dev):
    import contextlib

    import torch

    from saliency.validate import to_map

    ctx = torch.autocast(dev.type, dtype=torch.bfloat16) if use_amp else contextlib.nullcontext()
    with ctx:
        m = to_map(model(x), model.task)
        if tta:
            mf = to_map(model(torch.flip(x, dims=[3])), model.task)
            m = 0.5 * (m + torch.flip(mf, dims=[2]))
    return m.float()
