"""A benchmark run: which ground truth, which methods, which metrics, and their results.

What ``saliency eval`` does, as plain values in and results out
(PySODEvalToolkit's workflow: datasets x methods, one table per dataset):

- ground truth from a folder (``gt``, with ``task``), published layouts
  (``dataset`` names under ``root``, see :data:`saliency.eval.datasets.PUBLISHED`)
  and a benchmark config (``config``, YAML or JSON; schema below);
- methods as ``[NAME=]DIR`` specs (``pred``), where DIR may contain
  ``{dataset}``, and from the config;
- the task resolved from the ground truth when not given, and metric names
  resolved case-insensitively against :func:`saliency.eval.metrics.keys_for`.

Config schema (paths relative to the config file)::

    task: sod                                     # optional: sod or fixation
    datasets:                                     # name -> GT folder, or a mapping
      ECSSD: {root: data}                         #   published layout (dataset: NAME to rename)
      mine: {gt: data/mine/masks, task: sod}      #   a folder (gt or mask; task if not global)
    methods:                                      # name -> folder (may hold {dataset}) or {dataset: folder}
      U2Net: "preds/u2net/{dataset}"
      BASNet: {ECSSD: preds/bas}                  #   each key a dataset of the benchmark (else refused)

Errors are :class:`saliency.base.errors.UserError` naming the parameters of
:func:`evaluate` in backticks (``pred``, ``gt``, ``dataset``, ``root``,
``config``, ``task``, ``metrics``, ``plot_dir``, ``center_bias``), which the
command line renders as its flags.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from saliency.base.errors import UserError
from saliency.base.fsutil import folder_identity
from saliency.base.names import nfc

from saliency.eval import datasets as D
from saliency.eval import runner, tables
from saliency.eval.fixation import baseline_readers, reads_baseline
from saliency.eval.metrics import GOLD_STANDARD, METRICS, families, keys_for

TASKS = ("sod", "fixation")
# the keys of a config and of one of its datasets, in the order a refusal of an unknown key lists them
_CONFIG_KEYS = ("task", "datasets", "methods")
_DATASET_KEYS = ("gt", "mask", "root", "dataset", "task")


def _unknown_keys(where: str, bad, valid) -> UserError:
    """The refusal of a config mapping's unknown keys ``bad`` at ``where``: their names (quoted only when not
    printable), a close spelling of one among ``valid`` when there is one, and the keys to use."""
    import difflib

    from saliency.base.images import shown_path

    names = sorted(bad, key=str)
    close = next((c[0] for k in names if isinstance(k, str)
                  for c in [difflib.get_close_matches(k, sorted(valid), n=1)] if c), None)
    return UserError(f"{where}: unknown key(s) {', '.join(shown_path(k) for k in names)}"
                     + (f"; did you mean {close}?" if close else "") + f"; use {', '.join(valid)}")


@dataclass
class Benchmark:
    """A resolved benchmark: the task, the metric keys, the ground-truth datasets and the methods."""

    task: str
    keys: tuple[str, ...]
    datasets: list = field(default_factory=list)   # GTDataset
    methods: list = field(default_factory=list)    # (name, folder | {dataset: folder})
    results: list = field(default_factory=list)    # runner.MethodResult, filled by run()
    gold_standard: bool = False                    # add the leave-one-subject-out "gold standard" row
    metric_maps: bool = False                      # score the metric-specific maps of each density (ECCV 2018)
    config: str | None = None                      # the config file, named in errors about its methods
    config_methods: tuple = ()                     # the names of the methods the config gave (not `pred`)
    unnamed: tuple = ()                            # the names of the `pred` methods given as DIR, without NAME=
    seed: int | None = None                        # the seed of AUC-Borji/sAUC negatives, set by run()
    # id(dataset) -> its inputs as plan() indexed them (runner.folder_source: the ground truth's folders, the
    # centre-bias file), checked after its last read by run(): a folder replaced meanwhile is refused, not mixed
    sources: dict = field(default_factory=dict)


def parse_pred(spec) -> tuple[str, str]:
    """A ``[NAME=]DIR`` method spec as (name, folder); the name defaults to the folder's name.

    The one rule for every reader of a spec (the command's output checks too): NAME=DIR splits at the first
    ``=``. A spec that is itself an existing folder (``sr=itti``) is refused as ambiguous, whether or not DIR
    (``itti``) exists: it is written ``NAME=sr=itti``. An :class:`os.PathLike` (``Path("runs/lr=0.1")``) is a
    folder, never split: its name is the folder's.
    """
    from saliency.base.images import shown_path

    if isinstance(spec, os.PathLike):
        folder = os.fsdecode(spec)
        name = Path(folder).name or folder
        if not name.strip():
            raise UserError(f"`pred` {shown_path(folder)}: method name {name!r} is empty; give the method a name "
                            "(NAME=DIR)")
        return name, folder
    shown = shown_path(spec)  # a spec holding a newline is quoted: the message stays one line
    if "=" in spec and _is_dir(spec):
        name, folder = spec.split("=", 1)
        read = (f"method {name!r} from the folder {shown_path(folder)}" if name and folder and _exists(folder) else
                f"method {name!r} from a folder {folder!r} that does not exist" if name and folder else
                "no method name or no folder")
        raise UserError(f"`pred` {shown}: ambiguous: a folder of that name exists, but NAME=DIR splits at the "
                        f"first '=' ({read}); for the folder named {shown} write NAME={shown}")
    if "=" in spec:
        name, folder = spec.split("=", 1)
        if not name or not folder:
            raise UserError(f"`pred` {shown}: expected NAME=DIR or DIR")
    else:
        folder = spec.rstrip("/\\")
        if not folder:
            raise UserError("`pred`: empty folder name")
        name = Path(folder).name or folder
    if not name.strip():  # a blank row and curve legend; refused as a config's method name is
        raise UserError(f"`pred` {shown}: method name {name!r} is empty; give the method a name (NAME=DIR)")
    return name, folder


def _spec_named(spec) -> bool:
    """Whether a ``pred`` spec was written NAME=DIR (:func:`parse_pred`'s rule); a bare DIR or a Path is named by
    its folder, and messages name it as typed, without NAME=."""
    return isinstance(spec, str) and "=" in spec


def _listed(value, param: str, kinds: tuple, what: str) -> list:
    """``value`` as a list of ``kinds``: one item (a str, or an :class:`os.PathLike`) is one entry, None is none.

    A lone ``"Judd=preds/judd"`` was iterated by character (``pred =: expected NAME=DIR``) and a lone Path
    was a TypeError; a mapping, bytes, a number or an entry of another type is refused naming ``param``
    (``what``: what to give instead).
    """
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    items = None
    if not isinstance(value, (bytes, bytearray, Mapping)):  # iterated, they give ints and keys: misread
        try:
            items = list(value)
        except TypeError:
            pass
    bad = [value] if items is None else [v for v in items if not isinstance(v, kinds)]
    if bad:
        held = "" if items is None else " holds"
        raise UserError(f"`{param}`{held} {repr(bad[0])[:80]}: {what}")
    return items


def _is_dir(path: str) -> bool:
    """Whether ``path`` is a folder; a path the system cannot look up (a name too long: ``NAME=DIR`` with a
    long NAME) is none."""
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):
        return False


def _exists(path: str) -> bool:
    """Whether ``path`` exists; a path the system cannot look up is taken as absent."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def _twin_forms(names) -> dict[str, list[str]]:
    """The names of ``names`` given more than once, compared in one Unicode form (:func:`nfc`: a composed and a
    decomposed ``café`` are one name): NFC form -> the spellings given."""
    forms: dict[str, list[str]] = {}
    for n in names:
        forms.setdefault(nfc(n), []).append(n)
    return {k: v for k, v in forms.items() if len(v) > 1}


def _twins(names) -> str:
    """The names of ``names`` given more than once (:func:`_twin_forms`), joined for a refusal; "" when none."""
    from saliency.base.images import shown_path

    forms = _twin_forms(names)
    two = " (in two Unicode forms, NFC and NFD, which show alike)"
    return ", ".join(shown_path(k) + (two if len(set(forms[k])) > 1 else "") for k in sorted(forms))


def _twice(path, key, first: str, second: str):
    """A key given twice in one mapping of a config: the parsers keep the last value and drop the first unsaid."""
    return UserError(f"`config` {path}: key {key!r} given twice in one mapping ({first}, then {second}); the "
                     "second would replace the first: keep one")


def _json_unique(pairs, path) -> dict:
    """A JSON object of ``pairs`` (``json.loads``'s ``object_pairs_hook``), refusing a key given twice."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise _twice(path, k, json.dumps(out[k]), json.dumps(v))
        out[k] = v
    return out


def _yaml_unique(text: str, path):
    """``yaml.safe_load`` of ``text``, refusing a mapping key given twice (merge keys ``<<`` keep their meaning)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                seen = {}
                for key_node, value_node in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        first = seen.get(key)
                    except TypeError:  # an unhashable key: the base constructor refuses it
                        continue
                    if first is not None:
                        raise _twice(path, key, _yaml_at(self, *first), _yaml_at(self, key_node, value_node))
                    seen[key] = (key_node, value_node)
            return super().construct_mapping(node, deep)

    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def _yaml_at(loader, key_node, value_node) -> str:
    """A YAML key's value and line, as a refusal names it: ``line 6: '../preds/blur/{dataset}'``."""
    value = loader.construct_object(value_node, deep=True)
    return f"line {key_node.start_mark.line + 1}: {json.dumps(value, default=str)}"


def load_config(path: str | Path) -> tuple[Path, dict]:
    """Read a YAML (``.yaml``/``.yml``) or JSON benchmark config; returns (its folder, the mapping)."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"`config` {p}: file not found")
    text = p.read_text(encoding="utf-8-sig")  # a BOM (Windows Notepad) skipped, as in every JSON file read
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            cfg = _yaml_unique(text, p)
        else:
            cfg = json.loads(text, object_pairs_hook=lambda pairs: _json_unique(pairs, p))
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure is the file's fault
        raise UserError(f"`config` {p}: cannot parse ({str(exc).splitlines()[0]})") from None
    if not isinstance(cfg, dict):
        raise UserError(f"`config` {p}: expected a mapping with 'datasets' and 'methods'")
    unknown = set(cfg) - set(_CONFIG_KEYS)
    if unknown:
        raise _unknown_keys(f"`config` {p}", unknown, _CONFIG_KEYS)
    return p.parent, cfg


def _folder_text(value, where: str, path) -> str:
    """A folder of a config as text; YAML's ``true``, ``5`` or a list is refused (it was read as a folder 'True')."""
    if isinstance(value, str) and value.strip():
        return value
    shown = "null" if value is None else json.dumps(value, default=str)
    raise UserError(f"`config` {path}: {where}: {shown} is not a folder; write the folder as text")


def _method_path(value, where: str, path):
    """A method's ``{path: DIR}`` entry (PySODEvalToolkit's spelling) as DIR; refused with keys that do nothing."""
    if isinstance(value, dict) and "path" in value:
        extra = [k for k in value if k != "path"]
        if extra:
            raise UserError(f"`config` {path}: {where}: key {extra[0]!r} has no effect (only 'path' is read; "
                            "predictions are matched by file stem); leave it out")
        value = value["path"]
    return _folder_text(value, where, path)


def _resolve(base: Path, value) -> str:
    q = Path(str(value)).expanduser()
    return str(q if q.is_absolute() else base / q)


def _config_name(value, what: str, path) -> str:
    """A dataset or method name of a config as text: a string, or an integer (YAML ``2012:``); else UserError.

    YAML reads ``null:``/``~:`` as None, ``yes:``/``on:`` as True and ``1.10:`` as the float 1.1: such a
    name is refused (its text is not what the file shows) with the advice to quote it.
    """
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        raise UserError(f"`config` {path}: {what} name {value!r} is empty; give the {what} a name")
    shown = "null" if value is None else f"{value!r} ({type(value).__name__})"
    raise UserError(f"`config` {path}: {what} name {shown} is not text; write the name in quotes as it should read")


@contextlib.contextmanager
def _entry_errors(path, name: str, key: str = ""):
    """A dataset entry's bad folder named as the config file's entry (``--config F: dataset N: gt X: ...``).

    The layouts name their folder as the ``--gt``/``--root`` option they are usually given by; from a config
    file that named options the user never typed, and not the file. ``key``: the entry's spelling of its
    folder (``mask`` is also read as ``gt``).
    """
    try:
        yield
    except UserError as exc:
        spell = {"gt": key or "gt", "list_datasets": "`list_datasets`"}  # a command's option: left to render
        raise UserError(f"`config` {path}: dataset {name}: {exc.render(lambda p: spell.get(p, p))}") from None


def config_entries(base: Path, cfg: dict, path, sources: dict | None = None) -> tuple[list, list]:
    """The datasets (GTDataset) and methods ((name, folder or {dataset: folder})) of a config mapping.

    ``base``: the folder relative paths start from; ``path``: the config file
    (named in errors); ``cfg["task"]`` is the task of ``gt`` datasets that do
    not give their own; ``sources``: given, each dataset's folders as indexed are
    put there (:attr:`Benchmark.sources`).
    """
    dss = []
    raw = cfg.get("datasets") or {}
    if not isinstance(raw, dict) or not raw:
        raise UserError(f"`config` {path}: 'datasets' must map names to a GT folder or {{root: DIR}}")
    for name, spec in raw.items():
        name = _config_name(name, "dataset", path)
        if isinstance(spec, str):
            spec = {"gt": spec}
        if not isinstance(spec, dict):
            raise UserError(f"`config` {path}: dataset {name}: expected a folder or a mapping")
        bad = set(spec) - set(_DATASET_KEYS)
        if bad:
            raise _unknown_keys(f"`config` {path}: dataset {name}", bad, _DATASET_KEYS)
        unused = ([k for k in ("gt", "mask", "task") if k in spec] if "root" in spec else
                  ["mask"] if "gt" in spec and "mask" in spec else ["dataset"] if "dataset" in spec else [])
        if unused:  # read as nothing: a gt beside root, a task beside root (the layout's), mask beside gt
            why = {"gt": "root's published layout is read instead", "task": "the published layout gives the task",
                   "mask": "root's published layout is read instead" if "root" in spec else "'gt' is read instead",
                   "dataset": "it names the published layout read under a 'root', and there is none"}
            raise UserError(f"`config` {path}: dataset {name}: key {unused[0]!r} has no effect "
                            f"({why[unused[0]]}); leave it out" + (" or give 'root'" if unused[0] == "dataset"
                                                                   else ""))
        if "root" in spec:
            published = spec.get("dataset", name)
            if not isinstance(published, str):
                raise UserError(f"`config` {path}: dataset {name}: 'dataset' {published!r} is not a published "
                                f"dataset name; choose from {', '.join(D.PUBLISHED)}")
            root = _folder_text(spec["root"], f"dataset {name}: root", path)
            top = folder_identity(_resolve(base, root))  # before it is indexed (run() checks it after reading)
            with _entry_errors(path, name):
                ds = D.published(published, _resolve(base, root))
            ds.name = name
        elif "gt" in spec or "mask" in spec:
            task = spec.get("task", cfg.get("task"))
            key = "gt" if "gt" in spec else "mask"  # named in errors as the file spells it
            gt = _resolve(base, _folder_text(spec[key], f"dataset {name}: {key}", path))
            top = folder_identity(gt)
            if task in ("fixation", "sod"):
                with _entry_errors(path, name, key):
                    ds = D.fixation_folder(gt, name) if task == "fixation" else D.sod_folder(gt, name)
            else:
                raise UserError(f"`config` {path}: dataset {name}: set 'task: sod' or 'task: fixation'")
        else:
            raise UserError(f"`config` {path}: dataset {name}: give 'gt' (a folder) or 'root' (published layout)")
        if sources is not None:
            sources[id(ds)] = [runner.folder_source(top, runner.gt_files(ds), "config", f"{path}: dataset {name}")]
        dss.append(ds)
    methods = []
    raw = cfg.get("methods") or {}
    if not isinstance(raw, dict) or not raw:
        raise UserError(f"`config` {path}: 'methods' must map names to a folder or to {{dataset: folder}}")
    for name, spec in raw.items():
        name = _config_name(name, "method", path)
        if spec is None:
            raise UserError(f"`config` {path}: method {name}: give its folder (may hold {{dataset}}) "
                            "or a mapping {dataset: folder}")
        if isinstance(spec, dict) and not spec:  # dropped from every table unsaid
            raise UserError(f"`config` {path}: method {name}: empty mapping; give {name}'s folder (may hold "
                            "{dataset}) or {dataset: folder}")
        if isinstance(spec, dict) and "path" not in spec:
            per = {}
            for k, v in spec.items():
                k = _config_name(k, f"method {name}: dataset", path)
                per[k] = _resolve(base, _method_path(v, f"method {name}: dataset {k}", path))
            methods.append((name, per))
        else:
            methods.append((name, _resolve(base, _method_path(spec, f"method {name}", path))))
    return dss, methods


def resolve_metrics(task: str, metrics=None, task_said: str = "`task`") -> tuple[str, ...]:
    """The metric keys of ``task`` named by ``metrics`` (a comma-separated string or a list; any case).

    Empty or None: every metric of the task, in table order. A key named twice
    (``NSS,nss``) is kept once, where it first appears: the CSV and markdown
    tables had two columns of it, the JSON one. ``task_said``: where the task
    came from, as an unknown key's message names it (the option, a config's
    ``task``, or the ground truth's).
    """
    all_keys = keys_for(task)
    if not metrics:
        return all_keys
    text = metrics if isinstance(metrics, str) else ",".join(metrics)
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    lower = {k.lower(): k for k in all_keys}
    bad = [k for k in keys if k.lower() not in lower]
    if bad or not keys:
        raise UserError(f"`metrics` {text}: unknown for {task_said} {task}: {', '.join(bad) or '(empty)'}; "
                        f"choose from {','.join(all_keys)}")
    return tuple(dict.fromkeys(lower[k.lower()] for k in keys))  # repeats dropped, first order kept


def plan(*, task: str | None = None, pred=(), gt=None, name: str | None = None, dataset=(), root=None,
         config=None, metrics=None, center_bias=None, plot_dir=None, split: str | None = None,
         gold_standard: bool = False, metric_maps: bool = False) -> Benchmark:
    """Resolve what to evaluate, checking every input before any image is read.

    ``task``: "sod" or "fixation" (default: from the config or the ground
    truth; required with ``gt``); ``pred``: ``[NAME=]DIR`` method specs, one
    or a list (a Path is a folder, named by its name: :func:`parse_pred`);
    ``gt``/``name``: a ground-truth folder and its shown name; ``dataset``:
    published dataset names under ``root``, one or a list; ``config``: a benchmark config file;
    ``metrics``: the keys to compute (see :func:`resolve_metrics`);
    ``center_bias``: an IG baseline map for every image; ``plot_dir``: checked
    only (curves need the SOD task and an F-measure key); ``split``: "train"
    or "test" of the ``dataset``'s documented split (OSIE); ``gold_standard``:
    add the leave-one-subject-out human row (datasets with per-observer
    fixations); ``metric_maps``: score each density by its metric-specific
    maps (fixation task).
    """
    if task not in (None, *TASKS):
        raise UserError(f"`task` {task}: choose sod or fixation")
    if name and not name.strip():  # a blank heading and curve files "__pr.png"; refused as a config's name is
        raise UserError(f"`name`: dataset name {name!r} is empty; give the dataset a name")
    pred = _listed(pred, "pred", (str, os.PathLike), "give a method as a [NAME=]DIR spec (str) or a folder "
                   "(Path), or a list of them")
    dataset = _listed(dataset, "dataset", (str,), "give a published dataset name (str) or a list of them")
    datasets, methods = [], [parse_pred(s) for s in pred]
    # a method given as DIR (or a Path) is named by its folder: messages name it as typed, without NAME=
    unnamed = tuple(m[0] for s, m in zip(pred, methods) if not _spec_named(s))
    sources: dict = {}  # id(dataset) -> its inputs as indexed (Benchmark.sources)
    cms = []
    task_said = "`task`"  # where the task came from, named when a dataset holds the other one
    if config:
        base, cfg = load_config(config)
        if cfg.get("task") not in (None, *TASKS):
            raise UserError(f"`config` {config}: task must be sod or fixation")
        if not task and cfg.get("task"):
            task_said = f"`config` {config}: task"
        task = task or cfg.get("task")
        cfg.setdefault("task", task)
        dss, cms = config_entries(base, cfg, config, sources)
        datasets += dss
        methods += cms
    if dataset:
        if not root:
            raise UserError("`dataset` needs `root` DIR (the folder holding the dataset)")
        for n in dataset:
            top = folder_identity(root)  # before it is indexed: run() refuses a folder replaced while it reads
            datasets.append(D.published(n, root, split))
            sources[id(datasets[-1])] = [runner.folder_source(top, runner.gt_files(datasets[-1]), "root", root)]
    elif root:
        raise UserError("`root` is used with `dataset` NAME")
    if split is not None and not dataset:
        raise UserError(f"`split` {split}: used with `dataset` NAME (a dataset with a documented split, e.g. OSIE)")
    if gt:
        if task is None:
            raise UserError("`gt` needs `task` sod or `task` fixation")
        top = folder_identity(gt)
        datasets.append(D.fixation_folder(gt, name) if task == "fixation" else D.sod_folder(gt, name))
        sources[id(datasets[-1])] = [runner.folder_source(top, runner.gt_files(datasets[-1]), "gt", gt)]
    if not datasets:
        raise UserError("no ground truth: give `gt` DIR, `dataset` NAME `root` DIR or `config` FILE")
    if not methods and not gold_standard:
        raise UserError("no predictions: give `pred` [NAME=]DIR (repeatable) or methods in `config`")
    tasks = {d.task for d in datasets}
    if task is None:
        if len(tasks) > 1:
            raise UserError("the datasets mix SOD and fixation ground truth; evaluate one task at a time")
        task = tasks.pop()
        task_said = "the ground truth's task"
    wrong = [f"{d.name} ({d.task})" for d in datasets if d.task != task]
    if wrong:
        raise UserError(f"{task_said} {task}: dataset(s) {', '.join(wrong)} hold ground truth of the other task; "
                        "evaluate one task at a time")
    names = [m[0] for m in methods]
    if GOLD_STANDARD in names:  # the ceiling row's name: a model of that name would be shown but never ranked
        given = names.index(GOLD_STANDARD) < len(pred)  # by `pred`, else by the config
        where, how = ("`pred`", " (NAME=DIR)") if given else (f"`config` {config}", "")
        raise UserError(f"{where}: method name {GOLD_STANDARD!r} is reserved for the human gold-standard row "
                        f"(shown, never ranked); give the method another name{how}")
    dup = _twins(names)
    if dup:
        twins = _twin_forms(names)
        # each twin of `pred` written NAME=DIR already (a config's methods are named by their keys): renamed, not named
        named = all(i >= len(pred) or _spec_named(pred[i]) for i, n in enumerate(names) if nfc(n) in twins)
        raise UserError(f"`pred`: method name(s) {dup} given twice; "
                        + ("give each a different NAME" if named else "use NAME=DIR to name them"))
    dnames = [d.name for d in datasets]
    known = {nfc(n) for n in dnames}  # a key typed in NFC names a dataset saved in NFD (macOS), and the reverse
    for mname, spec in methods:  # a {dataset: folder} key naming no dataset (a typo) would drop the method unsaid
        twice = _twins(spec) if isinstance(spec, dict) else ""
        if twice:  # one dataset, two folders: which one is scored would be chosen unsaid
            raise UserError(f"`config` {config}: method {mname}: dataset(s) {twice} given twice; keep one folder "
                            "per dataset")
        unknown = [k for k in spec if nfc(k) not in known] if isinstance(spec, dict) else []
        if unknown:
            raise UserError(f"`config` {config}: method {mname}: dataset {unknown[0]!r} is not a dataset of the "
                            f"benchmark ({', '.join(dnames)}); correct the name or add the dataset")
    dup = _twins(dnames)
    if dup:  # one table, one set of curves and one row key per dataset name: two would be merged unsaid
        raise UserError(f"dataset name(s) {dup} given twice; every dataset needs its own name (the "
                        "`gt` folder's is `name`, a config's its entry's name)")
    keys = resolve_metrics(task, metrics, task_said)
    if (gold_standard or metric_maps) and task != "fixation":
        raise UserError(f"`{'gold_standard' if gold_standard else 'metric_maps'}` is for `task` fixation")
    if center_bias and task != "fixation":  # the IG baseline: SOD has none, so the map would be ignored unsaid
        raise UserError(f"`center_bias` {center_bias}: is for `task` fixation (the IG baseline); leave it out")
    if center_bias:  # accepted unused, a note even said "IG baseline = centre bias from ..."
        _check_baseline_used(center_bias, keys, datasets, gold_standard, metric_maps)
    if gold_standard:
        flat = [d.name for d in datasets if not d.has_subjects]
        if flat:
            raise UserError(f"`gold_standard` is computed for `dataset` OSIE only (its fixations are read per "
                            f"observer); those of {', '.join(flat)} are not: leave the option out for "
                            f"{'it' if len(flat) == 1 else 'them'} (saliency ingest prints the inter-observer "
                            "consistency of the fixations it reads)")
    if plot_dir and task != "sod":
        raise UserError("`plot_dir`: curves are drawn for `task` sod only")
    if plot_dir and "f" not in families(keys):  # the curves are those of the F-measure family
        f_names = [m.name for m in METRICS.values() if m.family == "f"]
        raise UserError(f"`plot_dir` needs an F-measure metric in `metrics` "
                        f"({', '.join(f_names[:-1])} or {f_names[-1]})")
    if plot_dir:
        from saliency.eval.plots import curve_stem

        stems = {}  # keyed ignoring case: ECSSD_pr.png and ecssd_pr.png are one file on macOS and Windows
        for d in datasets:
            stems.setdefault(curve_stem(d.name).casefold(), []).append(d.name)
        clash = [v for v in stems.values() if len(v) > 1]
        if clash:
            files = ", ".join(" and ".join(dict.fromkeys(f"{curve_stem(n)}_pr.png" for n in v)) for v in clash)
            case = (": names that differ only in case are one file on a file system that ignores case, as macOS's "
                    "and Windows'") if any(len({curve_stem(n) for n in v}) > 1 for v in clash) else ""
            raise UserError(f"`plot_dir`: datasets {'; '.join(' and '.join(v) for v in clash)} would write the same "
                            f"curve files ({files}){case}; rename one")
    if center_bias:
        if Path(center_bias).is_dir():
            raise UserError(f"`center_bias` {center_bias}: is a folder; give the file of a centre-bias map")
        if not Path(center_bias).is_file():
            raise UserError(f"`center_bias` {center_bias}: file not found")
        # the file (and its folder) before it is read: one renamed onto it meanwhile is refused by run()
        cb_source = runner.folder_source(folder_identity(center_bias), [center_bias], "center_bias", center_bias)
        try:  # read once here: a bad file is the option's fault, not each image's (nor the gold standard's)
            runner.read_prediction(center_bias)
        except UserError as exc:
            raise UserError(f"`center_bias` {exc.render(lambda p: f'`{p}`')}") from None  # names: left to render
        for d in datasets:
            d.baseline, d.baseline_note = center_bias, f"centre bias from {center_bias}"
            d.items = [D.GTItem(**{**it.__dict__, "baseline": None}) for it in d.items]
            sources.setdefault(id(d), []).append(cb_source)
    return Benchmark(task, keys, datasets, methods, gold_standard=gold_standard, metric_maps=metric_maps,
                     config=str(config) if config else None, config_methods=tuple(m[0] for m in cms),
                     unnamed=unnamed, sources=sources)


def _reads_baseline(bench: Benchmark, ds) -> bool:
    """Whether a score of ``bench`` reads the IG baseline on dataset ``ds`` (one with fixation points)."""
    return reads_baseline(bench.keys, bench.metric_maps, bench.gold_standard, ds)


def _check_baseline_used(center_bias, keys, datasets, gold_standard: bool, metric_maps: bool) -> None:
    """Refuse a ``center_bias`` that no score of the run reads, as ``saliency eval`` refuses an unused ``--seed``.

    The IG baseline is read by IG, by sAUC's metric-specific map
    (``metric_maps``) and by the gold standard's density, and only on images
    with fixation points: a dataset of human maps only scores CC, KLD and SIM.
    """
    users = baseline_readers(keys, metric_maps)
    if not users and not gold_standard:
        # the gold standard named where it can be asked for: every dataset read per observer (OSIE)
        readers = ("sAUC with `metric_maps` and the `gold_standard` row" if datasets
                   and all(d.has_subjects for d in datasets) else "and sAUC with `metric_maps`")
        raise UserError(f"`center_bias` {center_bias}: not used: no metric of this run reads the IG baseline (only IG "
                        f"does, {readers}); leave it out")
    if not any(d.has_points for d in datasets):
        raise UserError(f"`center_bias` {center_bias}: not used: no dataset of this run has fixation points for "
                        f"{' and '.join(users) or 'the gold standard'} (human maps only: CC, KLD and SIM are "
                        "scored); leave it out")


@contextlib.contextmanager
def _config_method_errors(bench: Benchmark):
    """A config method's bad folder named as the file's method (``--config F: method G: DIR: ...``).

    The runner names a method's folder as the ``pred`` option (``--pred G=DIR``), which the user did not type
    for a method of the config file. Which method a refusal is about is read from its mark
    (:func:`saliency.eval.runner.method_of`), never from its words: a ``--pred`` folder whose text starts as a
    config method's name is not that method.
    """
    try:
        yield
    except UserError as exc:
        name = runner.method_of(exc)
        text = str(exc.args[0]) if exc.args else ""
        head = f"`pred` {name}="  # a config's method is never a bare DIR (Benchmark.unnamed): NAME=DIR
        if name in bench.config_methods and text.startswith(head):
            raise UserError(f"`config` {bench.config}: method {name}: {text[len(head):]}") from None
        raise


def run(bench: Benchmark, *, workers: int = 1, allow_missing: bool = False, seed: int = 0,
        progress: bool = True, pool=None) -> Benchmark:
    """Score every method on every dataset of ``bench`` (see :func:`saliency.eval.runner.evaluate_dataset`).

    Fills and returns ``bench`` with ``results``: one
    :class:`~saliency.eval.runner.MethodResult` per (dataset, method), in
    dataset then method order. With ``workers > 1`` one pool of ``workers - 1``
    processes serves every dataset: ``pool`` when given (the caller's, started
    early and shut down by the caller), else one started here
    (:func:`saliency.eval.runner.start_pool`).
    """
    results = []
    with contextlib.ExitStack() as stack:
        if workers > 1 and pool is None:
            pool = stack.enter_context(runner.start_pool(workers))
        for ds in bench.datasets:
            folders = runner.method_folders(bench.methods, ds.name)
            if not folders and not bench.gold_standard:
                raise UserError(f"{ds.name}: no method has predictions for this dataset in the config")
            with _config_method_errors(bench):
                results += runner.evaluate_dataset(ds, folders, metrics=bench.keys, workers=workers,
                                                   allow_missing=allow_missing, seed=seed, progress=progress,
                                                   gold_standard=bench.gold_standard,
                                                   metric_maps=bench.metric_maps, pool=pool,
                                                   sources=bench.sources.get(id(ds)), unnamed=bench.unnamed)
    bench.results = results
    bench.seed = seed
    return bench


def evaluate(*, task: str | None = None, pred=(), gt=None, name: str | None = None, dataset=(), root=None,
             config=None, metrics=None, center_bias=None, plot_dir=None, workers: int = 1,
             allow_missing: bool = False, seed: int = 0, progress: bool = True, split: str | None = None,
             gold_standard: bool = False, metric_maps: bool = False) -> Benchmark:
    """Resolve a benchmark (:func:`plan`) and score it (:func:`run`): what ``saliency eval`` computes."""
    bench = plan(task=task, pred=pred, gt=gt, name=name, dataset=dataset, root=root, config=config,
                 metrics=metrics, center_bias=center_bias, plot_dir=plot_dir, split=split,
                 gold_standard=gold_standard, metric_maps=metric_maps)
    return run(bench, workers=workers, allow_missing=allow_missing, seed=seed, progress=progress)


def note_lines(bench: Benchmark) -> list[str]:
    """The notes printed under the tables (without the ``- `` bullet), also recorded in ``--json``'s ``notes``:
    the fixation task's IG-baseline (on a dataset where a score reads it), resizing and unit notes, and each
    dataset's own notes."""
    lines = []
    if bench.task == "fixation":
        for d in bench.datasets:  # the baseline is said where a score reads it (not of human maps only, nor CC)
            said = f"IG baseline = {d.baseline_note}; " if _reads_baseline(bench, d) else ""
            lines.append(f"{d.name}: {said}predictions resized to the fixation map by bilinear interpolation (a "
                         "log-density shrunk by area averaging, its mass kept)")
            lines += [f"{d.name}: {n}" for n in _dataset_notes(bench, d)]
        if any(k in bench.keys for k in ("LL", "IG")):
            lines.append("LL and IG in bits per fixation; a plain map is a density after min-max and sum-to-1 "
                         "(MIT InfoGain.m conversion, eps 2.2e-16); a .npy log-density is used as is")
        if bench.gold_standard:
            lines.append("gold standard: each observer against the other observers' fixations (leave one "
                         f"subject out): Gaussian density of the dataset's sigma mixed {runner.GOLD_UNIFORM_WEIGHT:g} "
                         "with the IG baseline; mean over observers, then images")
        if bench.metric_maps:
            lines.append("metric-specific maps (Kümmerer et al., ECCV 2018): AUCs on the equalised density, "
                         "sAUC on its ratio to the IG baseline, NSS/IG/LL on the density, CC/KLD/SIM on it "
                         "blurred by the dataset's sigma (SIM: not numerically optimised)")
            for d in (d for d in bench.datasets if not d.sigma_px):  # the dataset's note says why, if it knows
                lines.append(f"{d.name}: CC/KLD/SIM metric maps use the unblurred density (no one sigma of its human "
                             "maps)" if any(n.startswith("the blur of its human maps") for n in d.notes) else
                             f"{d.name}: the blur of its human maps is not known; CC/KLD/SIM maps are the unblurred "
                             "density")
    else:  # SOD: a dataset's own notes (e.g. files of its folder left out for their extension)
        lines = [f"{d.name}: {n}" for d in bench.datasets for n in _dataset_notes(bench, d)]
    return lines


def _no_points(bench: Benchmark, dataset: str | None = None) -> str | None:
    """Why no AUC-Borji/sAUC negatives can be drawn whatever the images hold: neither metric scored, or no dataset
    with fixation points (the dataset named ``dataset``, else any); None otherwise. ``--json``'s ``seed`` keeps
    this rule (:func:`json_seed`)."""
    if not set(tables.RANDOM_NEGATIVES) & set(bench.keys):
        return "no metric of this run draws random negatives (only AUC_Borji and sAUC of the fixation task do)"
    if not any(d.has_points for d in _named(bench, dataset)):
        return "no dataset of this run has fixation points for AUC_Borji and sAUC"
    return None


def _named(bench: Benchmark, dataset: str | None) -> list:
    return [d for d in bench.datasets if dataset is None or d.name == dataset]


def negatives_unused(bench: Benchmark, dataset: str | None = None) -> str | None:
    """Why the benchmark's scoring draws no AUC-Borji/sAUC negatives, as words for a message; None when it may draw
    them: neither metric is scored, no dataset has fixation points (the dataset named ``dataset``, else any), or
    sAUC is scored without AUC_Borji and no such dataset has two images with fixation points (sAUC's negatives
    are the other images' fixations). Known from :func:`plan` on: ``saliency eval`` refuses a ``--seed`` by it
    before scoring. Whether a fixation file holds a fixation is known only once it is read: what was drawn is
    :func:`seed_drawn`'s (from the results)."""
    if (why := _no_points(bench, dataset)) is not None:
        return why
    if "AUC_Borji" not in bench.keys and not any(
            d.fixated_count(2) >= 2 for d in _named(bench, dataset)):
        return ("no dataset of this run has two images with fixation points, which sAUC needs (its negatives are "
                "the other images' fixations)")
    return None


def seed_drawn(bench: Benchmark, dataset: str | None = None) -> int | None:
    """The seed of the AUC-Borji/sAUC negatives (:func:`run`'s ``seed``) when they were drawn: one of them defined
    in a result of the dataset named ``dataset``, else of any (:func:`saliency.eval.tables.negatives_drawn`; sAUC
    n/a on a dataset with one image with fixations drew none); else None (also before run)."""
    rows = [r.metrics for r in bench.results if dataset is None or r.dataset == dataset]
    return None if bench.seed is None or not tables.negatives_drawn(bench.keys, rows) else bench.seed


def json_seed(bench: Benchmark) -> int | None:
    """``--json``'s ``seed``, as it was recorded before the CSV and the table said the seed: :func:`run`'s seed
    where AUC_Borji or sAUC is scored on a dataset with fixation points, else None. (The table's note and the CSV
    say only the negatives drawn: :func:`seed_drawn`; ``saliency report`` reads them from the JSON's results.)"""
    return None if bench.seed is None or _no_points(bench) is not None else bench.seed


def seed_note(bench: Benchmark) -> str | None:
    """The line under the tables that gives the seed of the negatives when they were drawn (else None):
    ``sAUC, AUC_Borji: negatives drawn with seed 5 (`seed`)``, the metrics in the table's order that are defined
    in a result (:func:`saliency.eval.tables.seed_note`, which ``saliency report`` shows too)."""
    return tables.seed_note(bench.keys, bench.seed, [r.metrics for r in bench.results])


def csv_text(bench: Benchmark) -> str:
    """The scored benchmark as ``saliency eval --csv`` writes it (:func:`saliency.eval.tables.csv_text`): each
    row with the seed of its AUC-Borji/sAUC negatives where they were drawn (:func:`seed_drawn`), empty where not
    (a dataset of human maps only, no such metric, or each of them n/a in the row)."""
    seeds = {d.name: seed_drawn(bench, d.name) for d in bench.datasets}
    return tables.csv_text(bench.results, bench.keys, metric_maps=bench.metric_maps, seed=seeds)


def _dataset_notes(bench: Benchmark, d) -> list[str]:
    """The dataset's own notes, then those its scoring left with its results (each once, in order)."""
    out = list(d.notes)
    for r in bench.results:
        if r.dataset == d.name:
            out += [n for n in getattr(r, "notes", ()) if n not in out]
    return out


def markdown(bench: Benchmark, digits: int = 3) -> str:
    """The benchmark tables as markdown, then the notes of :func:`note_lines` as a bullet list, and last the seed
    of the AUC-Borji/sAUC negatives when they were drawn (:func:`seed_note`; ``--json`` records it as ``seed``,
    not among its ``notes``)."""
    text = tables.markdown(bench.results, bench.keys, digits)
    lines = note_lines(bench)
    if bench.task == "fixation":  # each note shown as written: a name's * or # is no markup
        text += "\n".join(f"- {tables.markdown_line(n)}" for n in lines) + "\n"
    else:
        text += "".join(f"- {tables.markdown_line(n)}\n" for n in lines)
    if (seeded := seed_note(bench)) is not None:  # its own words, no name in them: its `seed` stays code
        text += f"- {seeded}\n"
    return text
