"""The classifier job: prepared data -> every model family trained, calibrated and evaluated on the same rows
-> the best on validation registered -> MLflow.

Called by ``training/train_classifier.py`` inside an open MLflow run; everything it logs goes through
``hotline_ml.tracking``. With ``classifier.cv_folds > 1`` (small data such as TipDM) it cross-validates
instead: every family per fold, the family chosen per fold on its inner validation split, mean and spread.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from hotline_ml import tracking
from hotline_ml.classify.compete import Competition, compete
from hotline_ml.classify.evaluate import markdown_report
from hotline_ml.classify.features import model_texts, subsample, task_values
from hotline_ml.classify.inference import InferenceSettings
from hotline_ml.classify.linear import LinearClassifier
from hotline_ml.config import Family, PrepareDataConfig, TrainClassifierConfig
from hotline_ml.data.label_tree import label_descriptions
from hotline_ml.data.prepare import prepare_data

log = logging.getLogger(__name__)
# the registered model is the whole predictor (mask -> model -> route -> trace), named here, not imported
LOADER = "hotline_ml.predict.pyfunc:load_predictor"


@dataclass
class ClassifierResult:
    """What the job produced: metrics, the saved model, the winning family and the registry outcome."""

    metrics: dict[str, float]
    checkpoint: Path | None
    model_version: str | None
    promoted: bool
    report: str
    family: str | None = None

    def summary(self) -> str:
        lines = [self.report]
        if self.model_version:
            lines.append(f"registered {self.family} as version {self.model_version}"
                         + (" -> champion" if self.promoted else ""))
        return "\n".join(lines)


def run_classifier_job(cfg: TrainClassifierConfig) -> ClassifierResult:
    """Run the whole job in the active MLflow run (see module docstring)."""
    out = Path(cfg.output_dir)
    prepared = prepare_data(PrepareDataConfig(data=cfg.data, split=cfg.split, desensitize=cfg.desensitize,
                                              output_dir=str(out / "data")))
    tracking.log_dict(prepared.summary(), "data/summary.json")
    tracking.log_artifact(prepared.files["rejects"], "data")
    frames = {name: ds.to_pandas() for name, ds in prepared.splits.items()}
    if cfg.classifier.cv_folds > 1:
        return _cross_validate(cfg, pd.concat(frames.values(), ignore_index=True), out)
    c = cfg.classifier
    train = frames["train"]
    # evaluation subsets depend on the split's seed only, so models trained with other seeds or settings are
    # compared on the same test set (promotion requires it)
    val = subsample(frames["validation"], c.max_eval_samples, task_values(frames["validation"], c.primary_task),
                    cfg.split.seed)
    test = subsample(frames["test"], c.max_eval_samples, task_values(frames["test"], c.primary_task), cfg.split.seed)
    tracking.set_tags({"data_digest": prepared.digest, "test_digest": test_digest(test)})
    tracking.log_metrics({"data_train_rows": len(train), "data_validation_rows": len(val), "data_test_rows": len(test)})
    comp = compete(cfg, train, val, test, out, with_figures=True, log_fn=tracking.log_metrics)
    for family, model in comp.models.items():  # every family stays loadable for comparison and review
        model.save(out / "families" / family)
    checkpoint = comp.model.save(out / "model")
    report = family_report(comp, f"{cfg.model.name} / linear / ensemble on {cfg.data.name}", c.primary_task)
    _log_competition(comp, report)
    version, promoted = _register(cfg, comp, checkpoint, test, comp.metrics)
    return ClassifierResult(comp.metrics, checkpoint, version, promoted, report, comp.winner)


def family_report(comp: Competition, title: str, primary_task: str) -> str:
    """Every family side by side, the winner and why, then the winner's calibration and hand-off tables."""
    lines = [f"# {title}", "", f"Registered family: **{comp.winner}** (best validation {primary_task} macro-F1: "
             + ", ".join(f"{n} {s:.4f}" for n, s in comp.validation_scores.items()) + ").", "",
             "| task | family | accuracy | macro-F1 | weighted-F1 | 紧急 recall |", "|---|---|---|---|---|---|"]
    for task in comp.labels.tasks:
        for name, ev in comp.evaluations.items():
            m = ev.metrics
            rec = m.get(f"test_{task}_emergency_recall")
            lines.append(f"| {task} | {name}{' (registered)' if name == comp.winner else ''} | "
                         f"{m[f'test_{task}_accuracy']:.4f} | {m[f'test_{task}_macro_f1']:.4f} | "
                         f"{m[f'test_{task}_weighted_f1']:.4f} | {'' if rec is None else f'{rec:.3f}'} |")
    if "ensemble" in comp.models:
        weights = comp.models["ensemble"].weights
        lines += ["", "Ensemble weight of the BERT per task (validation log-loss): "
                  + ", ".join(f"{t} {w:.2f}" for t, w in weights.items())]
    winner = markdown_report(comp.evaluation, comp.labels.tasks, f"The registered family: {comp.winner}")
    return "\n".join(lines) + "\n\n" + _winner_sections(winner)


def _winner_sections(report: str) -> str:
    """The calibration and hand-off sections of the winner's own report (its first table repeats the above)."""
    at = report.find("## Calibration")
    return report[at:] if at >= 0 else report


def _log_competition(comp: Competition, report: str) -> None:
    tracking.log_metrics(comp.metrics)
    tracking.set_tags({"family": comp.winner})
    for family, ev in comp.evaluations.items():
        for name, table in ev.tables.items():
            tracking.log_table(table, f"reports/{family}/{name}")
        for name, fig in ev.figures.items():
            tracking.log_figure(fig, f"plots/{family}/{name}")
            plt.close(fig)
    for name, table in comp.evaluation.tables.items():  # the registered family's tables at the usual place
        tracking.log_table(table, f"reports/{name}")
    tracking.log_text(report, "reports/report.md")
    tracking.log_dict(comp.labels.tasks, "model_labels.json")


def test_digest(test: pd.DataFrame) -> str:
    """Identity of a test set (ids, texts, labels): promotion compares models only on the same test set."""
    cols = test[["order_id", "text", "appeal_type", "urgency"]].astype(str)
    return hashlib.sha256(pd.util.hash_pandas_object(cols, index=False).to_numpy().tobytes()).hexdigest()[:16]


def _register(cfg: TrainClassifierConfig, fitted: Competition, checkpoint: Path, test: pd.DataFrame,
              metrics: dict[str, float]) -> tuple[str, bool]:
    example = test[["order_id", "text", "title"]].head(3).reset_index(drop=True).assign(human=False)
    # routing and masking travel with the model, so every serving path answers as the job's config says
    configs = tracking.write_predictor_configs(checkpoint.parent / "predictor_config", routing=cfg.routing,
                                               desensitize=cfg.desensitize)
    _, version = tracking.log_predictor_model(LOADER, {"checkpoint": str(checkpoint), **configs}, example,
                                              registered_name=cfg.registry.model_name,
                                              pip_requirements=_requirements())
    name = cfg.registry.model_name
    tracking.set_alias(name, "candidate", version)
    promoted, reason = _should_promote(cfg, metrics, test_digest(test))
    if promoted:
        tracking.set_alias(name, "champion", version)
    tracking.set_tags({"promotion": reason})
    log.info("registered %s version %s (candidate); champion: %s", name, version, reason)
    return version, promoted


def _should_promote(cfg: TrainClassifierConfig, metrics: dict[str, float], digest: str) -> tuple[bool, str]:
    mode, name = cfg.registry.promote, cfg.registry.model_name
    if mode not in ("never", "if_better", "always"):
        raise ValueError(f"registry.promote: {mode!r} is not one of never, if_better, always")
    if mode != "if_better":
        return mode == "always", f"promote={mode}"
    champion = tracking.alias_version(name, "champion")
    if champion is None:
        return True, "no champion yet"
    run_id = tracking.version_run_id(name, champion)
    if tracking.run_tags(run_id).get("test_digest") != digest:
        return False, f"champion v{champion} was tested on other data; not comparable, kept"
    key = f"test_{cfg.classifier.primary_task}_macro_f1"
    theirs, ours = tracking.run_metrics(run_id).get(key, float("-inf")), metrics[key]
    if ours > theirs:
        return True, f"{key} {ours:.4f} > champion v{champion} {theirs:.4f}"
    return False, f"{key} {ours:.4f} <= champion v{champion} {theirs:.4f}, kept"


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("torch", "transformers", "pandas", "numpy", "scikit-learn")]


def _cross_validate(cfg: TrainClassifierConfig, frame: pd.DataFrame, out: Path) -> ClassifierResult:
    """Stratified k-fold over all labelled rows (small data): every family per fold, the family chosen on the
    fold's inner validation split; mean and spread of each family and of the chosen one."""
    c = cfg.classifier
    y = task_values(frame, c.primary_task)
    frame, y = frame[y.notna()].reset_index(drop=True), y[y.notna()].reset_index(drop=True)
    folds = StratifiedKFold(n_splits=c.cv_folds, shuffle=True, random_state=cfg.seed)
    per_fold, chosen, fold_models = [], [], []
    for k, (train_idx, test_idx) in enumerate(folds.split(frame, y)):
        # an inner validation split of the training folds drives early stopping, calibration and the choice
        inner = StratifiedKFold(n_splits=max(2, c.cv_folds - 1), shuffle=True, random_state=cfg.seed + k)
        fit_idx, val_idx = next(inner.split(train_idx, y.iloc[train_idx]))

        def fold_log(metrics, step, k=k):
            tracking.log_metrics(metrics, step=step + k * 100_000)

        comp = compete(cfg, frame.iloc[train_idx[fit_idx]], frame.iloc[train_idx[val_idx]], frame.iloc[test_idx],
                       out / f"fold{k}", with_figures=False, log_fn=fold_log)
        per_fold.append(comp.metrics)
        chosen.append(comp.winner)
        fold_models.append(comp)
        tracking.log_metrics({f"cv_{m}": v for m, v in comp.metrics.items()}, step=k)
        key = f"test_{c.primary_task}_macro_f1"
        log.info("fold %d/%d: %s; chosen %s", k + 1, c.cv_folds,
                 ", ".join(f"{n} {comp.metrics[f'{key}/{n}']:.4f}" for n in comp.models), comp.winner)
    table = pd.DataFrame(per_fold)
    metrics = {**{m: float(v) for m, v in table.mean().items()},
               **{f"{m}_std": float(v) for m, v in table.std(ddof=1).items()}}
    tracking.log_metrics(metrics)
    tracking.log_table(table.assign(fold=range(len(table)), chosen=chosen), "reports/cv_folds.csv")
    key = f"test_{c.primary_task}_macro_f1"
    families = [n for n in ("bert", "linear", "ensemble") if f"{key}/{n}" in metrics]
    rows = [f"| {n} | {metrics[f'{key}/{n}']:.4f} | {metrics[f'{key}/{n}_std']:.4f} |" for n in families]
    report = (f"# {cfg.model.name} / linear / ensemble on {cfg.data.name}: {c.cv_folds}-fold CV\n\n"
              f"| family | {c.primary_task} macro-F1 mean | std |\n|---|---|---|\n" + "\n".join(rows) + "\n"
              f"| chosen per fold on validation ({dict(Counter(chosen))}) | {metrics[key]:.4f} | "
              f"{metrics[key + '_std']:.4f} |\n")
    best = max(families, key=lambda n: (metrics[f"{key}/{n}"], -families.index(n)))
    report += f"\nBest family by mean CV {c.primary_task} macro-F1: **{best}**.\n"
    checkpoint = None
    if c.final_fit:
        checkpoint = _final_fit(cfg, frame, best, fold_models, out / "champion")
        report += f"\nFinal {best} model trained on all {len(frame)} labelled rows: `{checkpoint}`.\n"
        tracking.log_artifact(checkpoint, "final_model")
    tracking.set_tags({"family": best})
    tracking.log_text(report, "reports/report.md")
    return ClassifierResult(metrics, checkpoint, None, False, report, best)


def _final_fit(cfg: TrainClassifierConfig, frame: pd.DataFrame, family: str, folds: list[Competition],
               directory: Path) -> Path:
    """The CV's best family trained on every labelled row, servable from ``directory``.

    The linear family reuses what the folds chose: the most frequent ``C`` and the median temperature per
    task (fitted on each fold's validation rows), so no row is held back. A BERT or the ensemble needs
    validation rows for early stopping and its weights: a stratified ``classifier.final_val_frac`` slice.
    """
    c = cfg.classifier
    if family == "linear":
        labels = folds[0].labels
        lin = copy.deepcopy(c.linear)
        chosen = Counter((f.models["linear"].info["C"], f.models["linear"].info["tree_weight"]) for f in folds)
        (lin.C_grid, weight), = [([c], w) for (c, w), _ in chosen.most_common(1)]
        lin.label_tree_weights = [weight] if weight else []
        lin.max_train_samples = None
        texts = model_texts(frame, c.use_title)
        ids = {t: labels.encode(frame, t) for t in labels.tasks}
        model = LinearClassifier.fit(lin, labels.tasks, InferenceSettings(cfg.model.max_length, c.use_title),
                                     texts, ids, texts, ids, c.primary_task, cfg.seed, label_descriptions(cfg.data))
        model.set_temperatures({t: float(np.median([f.evaluations["linear"].temperatures[t] for f in folds]))
                                for t in labels.tasks})
        return model.save(directory)
    y = task_values(frame, c.primary_task)
    fit, val = train_test_split(frame, test_size=c.final_val_frac, stratify=y, random_state=cfg.seed)
    final = copy.deepcopy(cfg)
    final.classifier.families = [Family(f) for f in (["bert", "linear", "ensemble"] if family == "ensemble"
                                                     else [family])]
    comp = compete(final, fit, val, val, directory.parent / "final", with_figures=False)
    return comp.models[family].save(directory)
