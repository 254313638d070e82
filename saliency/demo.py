"""``saliency demo``: the whole path, from raw gaze to benchmark table, on the synthetic study.

Every stage is the subcommand a user would type, called in-process with the
same arguments (so the figures the demo prints are exactly those of
``saliency eval`` on the same files). The command line hands :class:`Demo`
the function that runs a subcommand (``call``: ``saliency.commands.demo.call``),
so this layer never imports the command line:

1. ``saliency synth``                    a free-viewing study (scenes, masks, three tracker exports);
2. ``saliency ingest`` three times       the raw samples (nh), the EyeLink fixation report and the
                                          Tobii Pro Lab TSV, each to a fixation dataset; their maps are
                                          compared (Pearson CC per stimulus) as a check that they agree;
3. ``saliency train`` twice               the small SOD model on the scenes and masks, the small fixation
                                          model on the ingested raw samples (CPU, or the GPU when present);
                                          both hold out the same 20 % of the scenes (train's fixed split,
                                          data.split_seed 0: --seed reseeds the study and the training);
4. ``saliency predict`` twice             maps for the held-out scenes;
5. ``saliency eval`` twice                SOD metrics (PySODMetrics conventions) and fixation metrics (MIT
                                          benchmark definitions) on the held-out scenes, the dataset's
                                          centre-bias map scored alongside as the baseline;
6. ``saliency report``                    report.md + a self-contained report.html.

The folder ``DIR/demo.json`` records the settings and each finished stage with
its wall time; a stage's output is built in a temporary place and moved into
place when complete. Interrupting the demo (Ctrl-C) keeps the finished stages,
and an interrupted training run keeps its ``last.pt``: running the same command
again skips what is done and resumes training where it stopped. ``--fresh``
starts over; it refuses, removing nothing, when the demo's folders hold
anything the demo did not write (:func:`foreign_entries`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError

#: Written to ``DIR/demo.json``; a folder written with another layout version is not reused.
LAYOUT_VERSION = 1
INTERRUPT_CODES = (130, 143)
#: Stages that report progress unless given ``--quiet`` (predict and eval always run quietly in the demo).
QUIET_STAGES = ("synth", "ingest", "train")


@dataclass(frozen=True)
class Profile:
    """The size of the demo: the study and the training budget."""

    scenes: int
    subjects: int
    width: int
    height: int
    epochs: int
    seed: int = 1


#: Full demo: under 10 minutes on 2 CPU cores (docs/BENCHMARKS.md, section Demo).
FULL = Profile(scenes=200, subjects=12, width=640, height=480, epochs=8)
#: ``--quick``: a first look in under 2 minutes: 64 scenes of 400x300 and 7 epochs (80 scenes of 480x360 and 10
#: epochs took 123-127 s on 2 idle cores; the smaller profile cut the training and the map building by about
#: 40 %, docs/BENCHMARKS.md, section Performance).
QUICK = Profile(scenes=64, subjects=8, width=400, height=300, epochs=7)
#: The held-out split is 20 % of the scenes: fewer than this many leaves too few to score.
MIN_SCENES = 10
#: What the demo writes into its folder; ``fresh`` removes these and nothing else.
OWN_ENTRIES = ("demo.json", "study", "fix_samples", "fix_eyelink", "fix_tobii", "runs", "heldout", "preds", "eval",
               "report")
_SCENES = {r"s\d{4,}\.png": None}  # a scene's picture (saliency synth names scenes s0001, s0002, ...)
_FIX = {"dataset.json": None, "fixations.csv": None, "quarantine.csv": None, "qc.csv": None, "center_bias.png": None,
        "center_bias.npy": None,
        "maps": _SCENES, "fixations": _SCENES, "stimuli": _SCENES}
_RUN = {"config.yaml": None, "split.json": None, "metrics.csv": None, r"\.saliency-train\.lock": None,
        "checkpoints": {r"(best|last)\.pt": None}, "grids": {r"epoch_\d{3,}\.png": None},
        "tensorboard": {r"events\.out\.tfevents\..+": None}}
#: What the demo and the commands it runs write under :data:`OWN_ENTRIES` (a name pattern per entry; a folder's
#: entries as a dict, a file's as None, ``"assets"``: the report's, listed in its mark). ``fresh`` refuses a folder
#: holding anything else (:func:`foreign_entries`).
LAYOUT = {
    "study": {"study.json": None, "screen.json": None, "stimuli": _SCENES, "masks": _SCENES,
              "logs": {"samples.csv": None, "eyelink_fixations.csv": None, "tobii.tsv": None, "trials.csv": None},
              "truth": {"fixations.csv": None, "objects.csv": None}},
    "fix_samples": _FIX, "fix_eyelink": _FIX, "fix_tobii": _FIX,
    "runs": {"sod": _RUN, "fixation": _RUN},
    "heldout": {"images": _SCENES, "masks": _SCENES, "center_bias": _SCENES,
                "fixation": {"center_bias.png": None, "center_bias.npy": None, "maps": _SCENES, "fixations": _SCENES}},
    "preds": {"sod": _SCENES, "fixation": _SCENES},
    "eval": {r"(sod|fixation)\.json": None, "curves": {r"heldout_(pr|fm)\.(png|pdf)": None}},
    "report": {r"report\.(md|html)": None, "assets": "assets"},
}


def make_profile(quick: bool = False, *, scenes: int | None = None, subjects: int | None = None,
                 epochs: int | None = None, seed: int | None = None) -> Profile:
    """:data:`QUICK` or :data:`FULL` with the given sizes changed (None: the profile's own).

    ``scenes`` must be at least :data:`MIN_SCENES` (the 20 % held-out split
    needs scenes to score); errors name the parameter in backticks.
    """
    from dataclasses import replace

    changes = {k: v for k, v in dict(scenes=scenes, subjects=subjects, epochs=epochs, seed=seed).items()
               if v is not None}
    profile = replace(QUICK if quick else FULL, **changes)
    if profile.scenes < MIN_SCENES:
        raise UserError(f"`scenes` {profile.scenes}: the demo needs at least {MIN_SCENES} scenes "
                        f"(a 20 % held-out split)")
    from saliency.data_tools.synth import MAX_SAMPLES, SynthConfig, study_samples

    # the demo runs saliency synth with its default viewing time and rate; refused here, before anything is written
    per, total = study_samples(SynthConfig(scenes=profile.scenes, subjects=profile.subjects))
    if total > MAX_SAMPLES:
        raise UserError(f"`scenes` {profile.scenes} x `subjects` {profile.subjects}: "
                        f"{total:,} raw samples ({per:,} per scene and observer), "
                        f"more than the {MAX_SAMPLES:,} a synthetic study may hold in memory; with "
                        f"{profile.subjects} observers give at most {MAX_SAMPLES // (profile.subjects * per)} "
                        f"`scenes`, or fewer `subjects`")
    return profile


class Interrupted(Exception):
    """A stage was interrupted (Ctrl-C or SIGTERM); finished stages are kept."""

    def __init__(self, stage: str, code: int = 130):
        super().__init__(stage)
        self.stage, self.code = stage, code


# ------------------------------------------------------------------ helpers


def map_agreement(datasets: dict[str, Path]) -> dict:
    """Pearson CC (``eval``'s CC, MATLAB ``corr2``) between the maps of several ingested datasets,
    per pair of datasets over their common stimuli."""
    from saliency.eval.fixation import cc
    from saliency.eval.io import read_map

    names = list(datasets)
    maps = {n: {p.stem: p for p in (datasets[n] / "maps").glob("*.png")} for n in names}
    pairs = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            common = sorted(set(maps[a]) & set(maps[b]))
            ccs = [cc(read_map(maps[a][s]), read_map(maps[b][s])) for s in common]
            pairs[f"{a}~{b}"] = {"stimuli": len(ccs), "mean_cc": float(np.mean(ccs)) if ccs else None,
                                 "min_cc": float(np.min(ccs)) if ccs else None}
    return pairs


# ------------------------------------------------------------------ the demo


class Demo:
    """The demo folder and its stages; :meth:`run` does what is not done yet."""

    def __init__(self, out: str | Path, profile: Profile, device: str = "auto", fresh: bool = False,
                 log=print, *, call, quiet: bool = False, claim: bool = False):
        """``call(command, argv) -> exit code`` runs ``saliency COMMAND ARGV`` (``saliency.commands.demo.call``);
        ``quiet`` passes ``--quiet`` to the stages that report progress; ``claim`` takes the folder's lock
        (:meth:`_claim`) before anything in it is changed, until :meth:`release`."""
        self.out = Path(out)
        self.claimed = False
        self.call = call
        self.quiet = quiet
        self.profile = profile
        self.device = device
        self.log = log
        self.state_path = self.out / "demo.json"
        self.run_id = time.strftime("%Y-%m-%dT%H:%M:%S")  # which invocation finished a stage
        from saliency.runtime import resolve_device

        resolve_device(device)  # a device this machine lacks stops here, not at training minutes later
        self._open(fresh, claim)

    # -- state

    def _settings(self) -> dict:
        return {"layout": LAYOUT_VERSION, "profile": asdict(self.profile)}

    def _open(self, fresh: bool, claim: bool = False) -> None:
        from saliency.base.fsutil import check_not_link, holds_user_entries
        from saliency.base.runlock import LOCK_NAME

        out = check_not_link(self.out)  # never written, cleared or replaced through a link (issue 16)
        if out.exists() and not out.is_dir():
            raise UserError(f"`out` {out}: exists and is not a folder; choose another path")
        # a folder Finder opened is still empty; a lock alone: a demo killed before its demo.json, or one starting
        if out.is_dir() and not self.state_path.is_file() and holds_user_entries(out, ignore=(LOCK_NAME,)):
            raise UserError(f"`out` {out}: folder is not empty and holds no demo (no demo.json); choose another `out`")
        if claim:
            out.mkdir(parents=True, exist_ok=True)
            self._claim()
        try:
            self._open_state(fresh)
        except BaseException:
            self.release()
            raise

    def _claim(self) -> None:
        """Claim the demo folder with the lock file ``saliency train`` claims a run with (``OUT/.saliency-train.lock``:
        pid, host, start time, command; :func:`saliency.base.runlock.claim`: the name an older demo's folder holds
        too), or refuse in one line while another live process holds it (a demo or a train, named as such).

        A second demo into the same folder removed the first one's staging folders as a killed run's
        (:func:`clear_partials`) and wrote its ``demo.json``; a lock whose process is gone is stale, taken over.
        """
        from saliency.base.runlock import claim

        claim(self.out, "out", "demo")
        self.claimed = True

    def release(self) -> None:
        """Give up the folder's lock taken by ``claim`` (a no-op without one)."""
        if self.claimed:
            from saliency.base.runlock import release

            release(self.out)
            self.claimed = False

    def _open_state(self, fresh: bool) -> None:
        out = self.out
        has_state = self.state_path.is_file()
        if has_state:
            try:
                state = json.loads(self.state_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                state = None
            if not (isinstance(state, dict) and isinstance(state.get("settings"), dict)
                    and isinstance(state.get("stages"), dict)):
                # not written by a demo: `fresh` would remove folders (runs, eval, ...) that are not the demo's
                raise UserError(f"{self.state_path}: unreadable or not a demo's record, so `out` {out} may hold "
                                "files that are not the demo's; nothing was removed: choose another `out`")
            if fresh:
                self._clear_own()
                state = None
            elif state.get("settings") != self._settings():
                raise UserError(f"`out` {out}: holds a demo made with other settings "
                                f"({state.get('settings', {}).get('profile')}); pass `fresh` to start over or "
                                "choose another `out`")
        else:
            state = None
        self.state = state or {"settings": self._settings(), "stages": {}}
        out.mkdir(parents=True, exist_ok=True)
        self._save()

    def _clear_own(self) -> None:
        """``fresh``: remove what the demo writes (:data:`OWN_ENTRIES`), never a file the user put beside it.

        A folder holding anything the demo did not write (:func:`foreign_entries`)
        is refused before anything is removed.
        """
        import shutil

        from saliency.base.fsutil import check_not_link

        foreign = foreign_entries(self.out)
        if foreign:
            first = foreign[0]
            top = self.out / first.relative_to(self.out).parts[0]
            n = len(foreign) - 1
            more = f" (and {n} more {'entry' if n == 1 else 'entries'})" if n else ""
            raise UserError(f"`out` {first}{more}: not written by saliency demo, which removes {top} whole with "
                            f"`fresh`; nothing was removed: move it out of {top} (or choose another `out`)")
        for name in OWN_ENTRIES:
            p = self.out / name
            if p.is_symlink():
                p.unlink()
            elif p.is_dir():
                check_not_link(p)
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()

    def _save(self) -> None:
        from saliency import __version__
        from saliency.base.fsutil import write_json

        self.state["version"] = __version__
        write_json(self.state_path, self.state)

    def done(self, stage: str) -> bool:
        """Whether ``stage`` finished in an earlier (or this) run."""
        return stage in self.state["stages"]

    def _stage(self, stage: str, title: str, fn) -> None:
        if self.done(stage):
            self.log(f"== {title}: done earlier, reused")
            return
        self.log(f"== {title}")
        t0, c0 = time.perf_counter(), cpu_seconds()
        try:
            info = fn() or {}
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (fsutil.Terminated: exit 143)
            raise Interrupted(stage, getattr(exc, "exit_code", 130)) from None
        self.state["stages"][stage] = {"seconds": round(time.perf_counter() - t0, 1),
                                       "cpu_seconds": round(cpu_seconds() - c0, 1), "run": self.run_id, **info}
        self._save()

    def _cmd(self, stage: str, command: str, argv: list[str]) -> None:
        if self.quiet and command in QUIET_STAGES and "--quiet" not in argv:
            argv = [*argv, "--quiet"]
        self.log("$ saliency " + command + " " + shlex.join(argv))
        rc = self.call(command, argv)
        if rc in INTERRUPT_CODES:
            raise Interrupted(stage, rc)
        if rc != 0:
            raise UserError(f"stage {stage}: saliency {command} exited with code {rc}")

    def p(self, *parts: str) -> Path:
        """A path inside the demo folder."""
        return self.out.joinpath(*parts)

    # -- stages

    def _synth(self) -> dict:
        pr = self.profile
        self._cmd("study", "synth", ["--out", str(self.p("study")), "--scenes", str(pr.scenes), "--subjects",
                                     str(pr.subjects), "--size", f"{pr.width}x{pr.height}", "--seed", str(pr.seed),
                                     "--overwrite"])
        return {}

    def _ingest(self, name: str, logs: list[str], extra: list[str]) -> dict:
        st = self.p("study")
        out = self.p(f"fix_{name}")
        self._cmd(f"ingest_{name}", "ingest", [*logs, *extra, "--stimuli", str(st / "stimuli"), "--geometry",
                                               str(st / "screen.json"), "--out", str(out), "--overwrite"])
        m = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
        c = m["counts"]
        info = {"stimuli": c["stimuli"], "subjects": c["subjects"], "fixations": c["fixations"],
                "quarantined": c["quarantined"]}
        from saliency.report import quarantined_split

        split = quarantined_split(m)
        if split is not None and sum(split) == c["quarantined"]:
            info["rows_quarantined"], info["fixations_quarantined"] = split
        io = m.get("inter_observer") or {}
        if io:
            info["ioc_nss"] = io["nss"]["mean"]
            info["ioc_auc_judd"] = io["auc_judd"]["mean"]
        return info

    def _agree(self) -> dict:
        pairs = map_agreement({n: self.p(f"fix_{n}") for n in ("samples", "eyelink", "tobii")})
        for k, v in pairs.items():
            self.log(f"  maps {k}: mean CC {v['mean_cc']:.4f} (min {v['min_cc']:.4f}) over {v['stimuli']} stimuli")
        worst = min(v["mean_cc"] for v in pairs.values())
        verdict = "agree" if worst >= 0.99 else "DISAGREE"
        self.log(f"  the three exports {verdict} (lowest mean CC {worst:.4f}; expected >= 0.99)")
        return {"pairs": pairs, "lowest_mean_cc": worst}

    def _train(self, task: str, data: Path) -> dict:
        run = self.p("runs", task)
        epochs = str(self.profile.epochs)
        if (run / "checkpoints" / "last.pt").is_file() and (run / "config.yaml").is_file():
            self.log(f"  resuming the interrupted run {run}")
            self._cmd(f"train_{task}", "train", ["--resume", str(run), "--epochs", epochs, "--device", self.device])
        else:
            self._cmd(f"train_{task}", "train", ["--data", str(data), "--task", task, "--out", str(run),
                                                 "--epochs", epochs, "--device", self.device, "--seed",
                                                 str(self.profile.seed), "--overwrite"])
        rows = (run / "metrics.csv").read_text(encoding="utf-8").splitlines()
        return {"epochs": len(rows) - 1}

    def _heldout(self) -> dict:
        """Copy the held-out scenes (the validation split of both runs) into DIR/heldout and a centre-bias baseline."""
        from saliency.base.fsutil import staged_dir

        sod = json.loads(self.p("runs", "sod", "split.json").read_text(encoding="utf-8"))["val"]
        fix = json.loads(self.p("runs", "fixation", "split.json").read_text(encoding="utf-8"))["val"]
        ids = sorted(set(sod) & set(fix))
        if not ids:
            raise UserError("the SOD and fixation runs hold out no common scene; run with `fresh`")
        st, ds = self.p("study"), self.p("fix_samples")
        with staged_dir(self.p("heldout")) as stage:
            for sub in ("images", "masks", "fixation/maps", "fixation/fixations", "center_bias"):
                (stage / sub).mkdir(parents=True)
            shutil.copy2(ds / "center_bias.png", stage / "fixation" / "center_bias.png")
            if (ds / "center_bias.npy").is_file():  # eval's IG baseline; a demo begun before it existed has none
                shutil.copy2(ds / "center_bias.npy", stage / "fixation" / "center_bias.npy")
            for s in ids:
                shutil.copy2(st / "stimuli" / f"{s}.png", stage / "images" / f"{s}.png")
                shutil.copy2(st / "masks" / f"{s}.png", stage / "masks" / f"{s}.png")
                shutil.copy2(ds / "maps" / f"{s}.png", stage / "fixation" / "maps" / f"{s}.png")
                shutil.copy2(ds / "fixations" / f"{s}.png", stage / "fixation" / "fixations" / f"{s}.png")
                # the baseline "prediction": the dataset's centre-bias map, the same for every scene
                shutil.copy2(ds / "center_bias.png", stage / "center_bias" / f"{s}.png")
        self.log(f"  {len(ids)} held-out scenes (the fixed split, data.split_seed 0; never trained on) in "
                 f"{self.p('heldout')}/")
        return {"scenes": len(ids)}

    def _predict(self, task: str) -> dict:
        # predict builds its --out in a staging folder of its own and swaps it in complete: the command
        # printed is the one a user would type
        self._cmd(f"predict_{task}", "predict", ["--checkpoint", str(self.p("runs", task, "checkpoints", "best.pt")),
                                                 "--images", str(self.p("heldout", "images")),
                                                 "--out", str(self.p("preds", task)), "--overwrite",
                                                 "--device", self.device, "--quiet"])
        return {}

    def eval_argv(self, task: str) -> list[str]:
        """The ``saliency eval`` arguments of the demo's evaluation of ``task`` (what the summary reproduces)."""
        model = self.model_name(task)
        gt = self.p("heldout", "masks") if task == "sod" else self.p("heldout", "fixation")
        argv = ["--task", task, "--pred", f"{model}={self.p('preds', task)}",
                "--pred", f"CenterBias={self.p('heldout', 'center_bias')}", "--gt", str(gt), "--name", "heldout"]
        if task == "sod":
            argv += ["--plot-dir", str(self.p("eval", "curves"))]
        return argv

    def model_name(self, task: str) -> str:
        """The model the demo's run of ``task`` trained (from its resolved config)."""
        import yaml

        cfg = yaml.safe_load(self.p("runs", task, "config.yaml").read_text(encoding="utf-8"))
        return cfg.get("model") or f"unet_tiny_cbam_{task}"

    def _eval(self, task: str) -> dict:
        js = self.p("eval", f"{task}.json")
        self._cmd(f"eval_{task}", "eval", [*self.eval_argv(task), "--json", str(js), "--quiet"])
        data = json.loads(js.read_text(encoding="utf-8"))
        return {"results": {r["method"]: {**r["metrics"], "n_images": r["n_images"]} for r in data["results"]}}

    def summary_lines(self) -> list[str]:
        """The key figures, one line each (printed at the end and shown first in the report)."""
        s = self.state["stages"]
        lines = []
        ing = s.get("ingest_samples", {})
        if ing:
            # counts.quarantined is rows and detected fixations together (a demo.json of an older demo: only that)
            quarantined = (f"{ing['rows_quarantined']:,} sample rows and {ing['fixations_quarantined']:,} detected "
                           "fixations quarantined" if "rows_quarantined" in ing else
                           f"{ing['quarantined']:,} quarantined (rows and detected fixations)")
            lines.append(f"Study: {self.profile.scenes} synthetic scenes, {ing['subjects']} observers; "
                         f"{ing['fixations']:,} fixations detected by nh (Nystrom & Holmqvist 2010) in the raw "
                         f"samples, {quarantined}.")
            if "ioc_nss" in ing:
                lines.append(f"Inter-observer consistency: NSS {ing['ioc_nss']:.3f}, "
                             f"AUC-Judd {ing['ioc_auc_judd']:.3f}.")
        if "agree" in s:
            pr = s["agree"]["pairs"]
            lines.append("Samples / EyeLink / Tobii maps agree: mean CC " + ", ".join(
                f"{k.replace('~', '-')} {v['mean_cc']:.4f}" for k, v in pr.items()) + ".")
        for task, keys in (("sod", ("Fmax", "MAE", "Smeasure", "Emax")),
                           ("fixation", ("CC", "NSS", "KLD", "AUC_Judd"))):
            ev = s.get(f"eval_{task}")
            if not ev:
                continue
            for method, m in ev["results"].items():
                label = "centre-bias baseline" if method == "CenterBias" else method
                shown = ", ".join(f"{k} {m[k]:.3f}" for k in keys if m.get(k) is not None)
                lines.append(f"{'SOD' if task == 'sod' else 'Fixation'}, {m['n_images']} held-out scenes, "
                             f"{label}: {shown}.")
        return lines

    def _report(self) -> dict:
        from saliency.base.fsutil import staged_dir
        from saliency.report import ReportInputs, build, gallery_items

        out = self.p("report")
        with staged_dir(out) as stage:
            gallery = gallery_items(self.p("heldout", "images"), self.p("preds", "sod"), self.p("heldout", "masks"),
                                    self.p("fix_samples"), limit=6)
            for item in gallery:
                fix = self.p("preds", "fixation", f"{item.name}.png")
                item.pred_density = fix if fix.is_file() else None
            build(stage, ReportInputs(
                title="saliency demo: the synthetic free-viewing study", summary_lines=self.summary_lines(),
                dataset_json=self.p("fix_samples", "dataset.json"),
                runs=[self.p("runs", "sod"), self.p("runs", "fixation")],
                eval_jsons=[self.p("eval", "sod.json"), self.p("eval", "fixation.json")],
                curve_pngs=sorted(self.p("eval", "curves").glob("*.png")), gallery=gallery,
                gallery_from=self.p("heldout", "images"), gallery_by_pred=True))
        return {}

    def run(self) -> dict:
        """Run every stage not done yet; return the state (settings, and the stages with their timings)."""
        st = self.p("study")
        logs = st / "logs"
        self._stage("study", "1/7 synthetic study (saliency synth)", self._synth)
        self._stage("ingest_samples", "2/7 ingest the raw samples, nh detector (saliency ingest)",
                    lambda: self._ingest("samples", [str(logs / "samples.csv")], ["--workers", "2"]))
        self._stage("ingest_eyelink", "2/7 ingest the EyeLink fixation report",
                    lambda: self._ingest("eyelink", [str(logs / "eyelink_fixations.csv")],
                                         ["--trials", str(logs / "trials.csv"), "--no-ioc"]))
        self._stage("ingest_tobii", "2/7 ingest the Tobii Pro Lab export",
                    lambda: self._ingest("tobii", [str(logs / "tobii.tsv")], ["--no-ioc"]))
        self._stage("agree", "2/7 do the three exports give the same maps?", self._agree)
        self._stage("train_sod", "3/7 train the SOD model (saliency train)", lambda: self._train("sod", st))
        self._stage("train_fixation", "3/7 train the fixation model",
                    lambda: self._train("fixation", self.p("fix_samples")))
        self._stage("heldout", "4/7 held-out scenes", self._heldout)
        self._stage("predict_sod", "4/7 predict the held-out scenes (saliency predict)", lambda: self._predict("sod"))
        self._stage("predict_fixation", "4/7 predict fixations on the held-out scenes",
                    lambda: self._predict("fixation"))
        self._stage("eval_sod", "5/7 SOD metrics (saliency eval)", lambda: self._eval("sod"))
        self._stage("eval_fixation", "6/7 fixation metrics", lambda: self._eval("fixation"))
        self._stage("report", "7/7 report (saliency report)", self._report)
        return self.state


def foreign_entries(out: str | Path) -> list[Path]:
    """The entries inside the demo's own folders (:data:`OWN_ENTRIES`) that it did not write, in walking order.

    An entry is the demo's when :data:`LAYOUT` names it (a folder where a
    folder is written, not a link), or it is a killed write's hidden staging
    file, or the mark of a folder a command staged
    (:data:`saliency.base.fsutil.OUTPUT_MARK`); a file browser's own file (Finder's
    .DS_Store in its format: :func:`saliency.base.fsutil.os_metadata_file`) is nobody's; the report's ``assets/``
    holds what its mark lists (:func:`saliency.report.foreign_assets`). A link in place of an own folder
    is not looked into (``fresh`` removes the link, never what it points to).
    Nothing is changed.
    """
    import re

    # a killed write's hidden names: the demo's own; a file browser's own file: nobody's, removed with its folder
    from saliency.base.fsutil import OUTPUT_MARK, STAGING_NAME, os_metadata_file

    def walk(folder: Path, spec) -> list[Path]:
        if spec == "assets":
            from saliency.report import foreign_assets

            return [folder / name for name in foreign_assets(folder)]
        found = []
        for name in sorted(os.listdir(folder)):
            path = folder / name
            if STAGING_NAME.fullmatch(name) or name == OUTPUT_MARK:  # a staged folder's mark: the command's
                continue
            if os_metadata_file(path):  # Finder's .DS_Store in its format (Finder opened the folder)
                continue
            sub = next((v for k, v in spec.items() if re.fullmatch(k, name)), False)
            if sub is None and not path.is_dir():
                continue
            if sub not in (None, False) and path.is_dir() and not path.is_symlink():
                found += walk(path, sub)
                continue
            found.append(path)
        return found

    out = Path(out)
    found = []
    for name in OWN_ENTRIES:
        path = out / name
        if name in LAYOUT and path.is_dir() and not path.is_symlink():
            found += walk(path, LAYOUT[name])
    return found


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished child processes (worker pools), in seconds.

    Beside each stage's wall time in ``demo.json``: on a machine shared with
    other jobs the wall time grows with their load, the CPU time much less.
    """
    t = os.times()  # Windows: children_user/children_system are always 0 there, so worker processes are left out
    return t.user + t.system + t.children_user + t.children_system


def device_label(device: str) -> str:
    """What ``--device`` resolves to, in words."""
    if device != "auto":
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except Exception:  # pragma: no cover - torch is a dependency
        return "cpu"


#: The random part ``tempfile`` puts into a staging name (``mkstemp``, ``mkdtemp``): 8 of a-z, 0-9 and ``_``.
_STAGING_RANDOM = r"[a-z0-9_]{8}"
#: Staging folders a command makes inside one of the demo's folders (by its path in the demo folder), under a name
#: that is no entry of :data:`LAYOUT`: the report builds in ``report/.report.XXXXXXXX.partial``
#: (:func:`saliency.report.write_report`, ``mkdtemp(prefix=".report.", suffix=".partial")``). Only these exact
#: names, and only folders, are cleared there.
_INNER_STAGING = {("report",): rf"\.report\.{_STAGING_RANDOM}\.partial"}


def clear_partials(out: Path) -> None:
    """Remove the staging folders and files a killed run may have left (``.NAME.XXXXXXXX.partial``,
    ``.NAME.XXXXXXXX.tmp``), where NAME is an entry the demo writes and only in the folder it writes it to,
    and the report's own staging folder inside ``report/`` (:data:`_INNER_STAGING`).

    The walk follows :data:`OWN_ENTRIES` and :data:`LAYOUT` (never a link): a
    hidden ``.tmp`` file or ``.partial`` folder of the user's, beside the demo's
    folders, in a folder of theirs or named after nothing the demo writes, is kept.
    """
    import contextlib
    import re

    from saliency.base.fsutil import short_name

    def clear(folder: Path, spec: dict, where: tuple = ()) -> None:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return
        staged = [re.compile(rf"\.(?:{k})\.{_STAGING_RANDOM}\.(?P<kind>partial|tmp)") for k in spec]
        inner = _INNER_STAGING.get(where)
        for name in names:
            path = folder / name
            if path.is_symlink():
                continue
            kind = next((m["kind"] for m in (rx.fullmatch(name) for rx in staged) if m), None)
            if kind is None and inner is not None and re.fullmatch(inner, name):
                kind = "partial"
            if kind == "partial" and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif kind == "tmp" and path.is_file():
                with contextlib.suppress(OSError):
                    os.unlink(path)
            elif kind is None and path.is_dir():
                sub = next((v for k, v in spec.items() if re.fullmatch(k, name)), None)
                if isinstance(sub, dict):
                    clear(path, sub, (*where, name))

    out = Path(out)
    if out.is_dir() and not out.is_symlink():
        clear(out, {re.escape(short_name(name)): LAYOUT.get(name) for name in OWN_ENTRIES})
