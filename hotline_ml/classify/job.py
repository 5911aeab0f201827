"""The classifier job: loaded and split orders -> every model family trained, calibrated and evaluated on the same
rows -> the best on validation is the model to register -> one run record.

It never talks to MLflow: the entry script opens the run and logs the returned record with
``hotline_ml.tracking.log_record``, which registers the model under the classifier promotion rule. With
``classifier.cv_folds > 1`` (small data such as TipDM) it cross-validates instead: every family per fold, the
family chosen per fold on its inner validation split, mean and spread.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from hotline_ml.classify.compete import BASELINE, Competition, compete
from hotline_ml.classify.corrections import CorrectedOrders, apply_corrections, correction_accuracy, read_corrections
from hotline_ml.classify.evaluate import markdown_report
from hotline_ml.classify.families import SERVING_DIR
from hotline_ml.classify.families.linear import LinearClassifier
from hotline_ml.classify.features import model_texts, subsample, task_values
from hotline_ml.config import Family, TrainClassifierConfig
from hotline_ml.config_files import write_config_files
from hotline_ml.data.label_tree import label_descriptions
from hotline_ml.data.prepared import dataset_inputs, prepared_orders, prepared_splits
from hotline_ml.data.splits import group_summary, grouped_folds, repost_groups
from hotline_ml.drift import PROFILE_ARTIFACT, PROFILE_FILE, DriftProfile, build_profile
from hotline_ml.markdown import markdown_table
from hotline_ml.record import ModelToRegister, RunRecord
from hotline_ml.registry import classifier_rule
from hotline_ml.triage import Router, route_probabilities

log = logging.getLogger(__name__)
# the registered model is the whole predictor (mask -> model -> route -> trace), named here, not imported
LOADER = "hotline_ml.predict.pyfunc:load_predictor"


@dataclass(frozen=True)
class TrainedOn:
    """The rows the registered model was trained and validated on (``record.result`` of the job)."""

    train: pd.DataFrame
    validation: pd.DataFrame


def run_classifier_job(cfg: TrainClassifierConfig) -> RunRecord:
    """Run the whole job (see module docstring) and return its record."""
    out = Path(cfg.output_dir)
    splits = prepared_splits(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared)
    record = RunRecord(dicts={"data/summary.json": splits.summary()}, tables={"data/rejects.csv": splits.rejects},
                       datasets=dataset_inputs(cfg.data, cfg.paths.prepared, splits))
    frames = splits.frames
    if cfg.classifier.cv_folds > 1:
        return _cross_validate(cfg, pd.concat(frames.values(), ignore_index=True), out, record)
    c = cfg.classifier
    train = frames["train"]
    corrected = None
    if cfg.corrections is not None:
        corrected = _corrected_orders(cfg, frames)
        train = learn_from(train, corrected)
        record.tables["data/correction_rejects.csv"] = corrected.rejects
    # evaluation subsets depend on the split's seed only, so models trained with other seeds or settings are
    # compared on the same test set (promotion requires it)
    val = subsample(frames["validation"], c.max_eval_samples, task_values(frames["validation"], c.primary_task),
                    cfg.split.seed)
    test = subsample(frames["test"], c.max_eval_samples, task_values(frames["test"], c.primary_task), cfg.split.seed)
    record.tags |= {"data_digest": splits.digest, "test_digest": test_digest(test)}
    record.metrics |= {"data_train_rows": len(train), "data_validation_rows": len(val), "data_test_rows": len(test)}
    comp = compete(cfg, train, val, test, out, with_figures=True,
                   log_fn=lambda metrics, step: record.history.append((step, dict(metrics))))
    for family, model in comp.models.items():  # every family stays loadable for comparison and review
        model.save(out / "families" / family)
    checkpoint = comp.model.save(out / "model")
    report = family_report(comp, f"{cfg.model.name} / linear / ensemble on {cfg.data.name}", c.primary_task)
    _record_competition(record, comp, report)
    if corrected is not None:
        before_after = _correction_report(cfg, comp, corrected)
        record.metrics |= before_after[0]
        report += before_after[1]
    record.texts["reports/report.md"] = report
    record.model = _model_to_register(cfg, checkpoint, test)
    profile = _drift_profile(cfg, comp, train, val)
    record.model.artifacts[PROFILE_ARTIFACT] = str(profile.save(checkpoint / SERVING_DIR / PROFILE_FILE))
    record.dicts["drift_profile.json"] = {k: v for k, v in asdict(profile).items() if k != "vocabulary"}
    record.summary = report
    record.result = TrainedOn(train, val)
    return record


def _drift_profile(cfg: TrainClassifierConfig, comp: Competition, train: pd.DataFrame,
                   val: pd.DataFrame) -> DriftProfile:
    """The drift profile of the registered model, from the validation probabilities the competition computed,
    routed as the served predictor routes them."""
    routed = route_probabilities(Router(cfg.routing), model_texts(val, cfg.classifier.use_title),
                                 comp.validation_probs[comp.winner], comp.labels.tasks)
    predicted = pd.DataFrame({"appeal_type": routed.appeal_types, "route": [d.route for d in routed.decisions]})
    return build_profile(routed.type_task, task_values(train, routed.type_task), train["text"], val["text"],
                         predicted)


def _corrected_orders(cfg: TrainClassifierConfig, frames: dict[str, pd.DataFrame]) -> CorrectedOrders:
    k = cfg.corrections
    corrections = read_corrections(k.path, cfg.data.taxonomy, cfg.data.urgency_levels)
    pool = pd.concat(frames.values(), ignore_index=True)
    if k.orders is not None:
        extra = prepared_orders(k.orders, cfg.split, cfg.desensitize, cfg.paths.prepared).orders
        pool = pd.concat([pool, extra[~extra["order_id"].isin(pool["order_id"])]], ignore_index=True)
    corrected = apply_corrections(pool, corrections, k.holdout_frac)
    log.info("corrections %s: %d learned, %d held out, %d rejected", k.path, len(corrected.learn),
             len(corrected.check), len(corrected.rejects))
    return corrected


def learn_from(train: pd.DataFrame, corrected: CorrectedOrders) -> pd.DataFrame:
    """The training rows with the corrections learned: every corrected order's original row out (held-out ones
    too, so they measure what training on the others taught), the learned ones in with their corrected
    labels."""
    ids = set(corrected.learn["order_id"]) | set(corrected.check["order_id"])
    return pd.concat([train[~train["order_id"].isin(ids)], corrected.learn[train.columns.intersection(
        corrected.learn.columns)]], ignore_index=True)


def _correction_report(cfg: TrainClassifierConfig, comp: Competition,
                       corrected: CorrectedOrders) -> tuple[dict[str, float], str]:
    """Accuracy on the held-out corrected orders: the model that served them (the batch predictions) and the
    new one."""
    check = corrected.check
    model = comp.model
    probs = model.predict_proba(model_texts(check, model.settings.use_title)) if len(check) else {}
    after = pd.DataFrame({"order_id": check["order_id"]})
    for task, column in (("type_l1", "appeal_type"), ("urgency", "urgency")):
        if task in probs:
            after[column] = np.array(comp.labels.tasks[task])[probs[task].argmax(axis=1)]
    rows = {"after (this model)": correction_accuracy(after, check)}
    path = cfg.corrections.predictions
    if path:
        rows = {"before (the predictions corrected)": correction_accuracy(_read_predictions(path), check), **rows}
    metrics = {f"corrections_{when.split()[0]}_{k}": v for when, r in rows.items() for k, v in r.items()}
    metrics |= {"corrections_learned": float(len(corrected.learn)), "corrections_held_out": float(len(check)),
                "corrections_rejected": float(len(corrected.rejects))}
    table = pd.DataFrame([{"model": when, **r} for when, r in rows.items()])
    text = ("\n## Operator corrections\n\n"
            f"{len(corrected.learn)} corrected orders learned, {len(check)} held out to measure (by a hash of the "
            f"id), {len(corrected.rejects)} corrections rejected (data/correction_rejects.csv). Accuracy on the "
            "held-out corrected orders:\n\n" + markdown_table(table) + "\n")
    return metrics, text


def _read_predictions(path: str) -> pd.DataFrame:
    frame = pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path, dtype=str)
    return frame[[c for c in ("order_id", "appeal_type", "urgency") if c in frame]]


def family_report(comp: Competition, title: str, primary_task: str) -> str:
    """Every family side by side, the winner and why, then the winner's calibration and hand-off tables."""
    lines = [f"# {title}", "", f"Registered family: **{comp.winner}** (best validation {primary_task} macro-F1: "
             + ", ".join(f"{n} {s:.4f}" for n, s in comp.validation_scores.items()) + ").", "",
             "| task | family | accuracy | macro-F1 | weighted-F1 | 紧急 recall |", "|---|---|---|---|---|---|"]
    for task in comp.labels.tasks:
        for name, ev in comp.evaluations.items():
            m = ev.metrics
            if f"test_{task}_accuracy" not in m:  # the baseline is trained on the primary task only
                continue
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


def _record_competition(record: RunRecord, comp: Competition, report: str) -> None:
    record.metrics |= comp.metrics
    record.tags["family"] = comp.winner
    for family, ev in comp.evaluations.items():
        record.tables |= {f"reports/{family}/{name}": table for name, table in ev.tables.items()}
        record.figures |= {f"plots/{family}/{name}": fig for name, fig in ev.figures.items()}
    # the registered family's tables at the usual place
    record.tables |= {f"reports/{name}": table for name, table in comp.evaluation.tables.items()}
    record.texts["reports/report.md"] = report
    record.dicts["model_labels.json"] = comp.labels.tasks


def test_digest(test: pd.DataFrame) -> str:
    """Identity of a test set (ids, texts, labels): promotion compares models only on the same test set."""
    cols = test[["order_id", "text", "appeal_type", "urgency"]].astype(str)
    return hashlib.sha256(pd.util.hash_pandas_object(cols, index=False).to_numpy().tobytes()).hexdigest()[:16]


def _model_to_register(cfg: TrainClassifierConfig, checkpoint: Path, test: pd.DataFrame) -> ModelToRegister:
    example = test[["order_id", "text", "title"]].head(3).reset_index(drop=True).assign(human=False)
    configs = write_serving_configs(cfg, checkpoint)
    return ModelToRegister(cfg.registry.model_name, LOADER, {"checkpoint": str(checkpoint), **configs}, example,
                           classifier_rule(cfg.classifier.primary_task, cfg.registry.promote),
                           optional_inputs=("order_id", "title", "human"), pip_requirements=_requirements())


def write_serving_configs(cfg: TrainClassifierConfig, checkpoint: Path) -> dict[str, str]:
    """Routing and masking travel with the model, inside its directory (``serving/``), so every serving path
    answers as the job's config says: a registered model logs them as artifacts, and ``Predictor.load`` reads
    them from a model directory."""
    return write_config_files(checkpoint / SERVING_DIR, routing=cfg.routing, desensitize=cfg.desensitize)


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("torch", "transformers", "pandas", "numpy", "scikit-learn")]


def _cross_validate(cfg: TrainClassifierConfig, frame: pd.DataFrame, out: Path, record: RunRecord) -> RunRecord:
    """Grouped, stratified k-fold over all labelled rows (small or undated data): reposts of one incident stay in
    one fold (``classifier.cv_groups``); every family and the baseline per fold, every choice (``C``, tree
    weight, ensemble weight, temperature, family) made on the fold's inner validation rows; per fold, mean and
    spread, and each family against the baseline paired by fold."""
    c = cfg.classifier
    y = task_values(frame, c.primary_task)
    frame, y = frame[y.notna()].reset_index(drop=True), y[y.notna()].reset_index(drop=True)
    g = c.cv_groups
    groups = repost_groups(frame, g.jaccard, g.containment, g.same_caller)
    record.dicts["reports/cv_groups.json"] = group_summary(groups)
    record.tables["reports/cv_assignments.csv"] = pd.DataFrame({"order_id": frame["order_id"], "group": groups})
    per_fold, chosen, fold_models = [], [], []
    key = f"test_{c.primary_task}_macro_f1"
    for k, (fit_idx, val_idx, test_idx) in enumerate(grouped_folds(y, groups, c.cv_folds, cfg.seed)):
        record.tables["reports/cv_assignments.csv"].loc[test_idx, "fold"] = k

        def fold_log(metrics, step, k=k):
            record.history.append((step + k * 100_000, dict(metrics)))

        comp = compete(cfg, frame.iloc[fit_idx], frame.iloc[val_idx], frame.iloc[test_idx], out / f"fold{k}",
                       with_figures=False, log_fn=fold_log)
        per_fold.append(comp.metrics | {"rows_fit": len(fit_idx), "rows_validation": len(val_idx),
                                        "rows_test": len(test_idx)})
        chosen.append(comp.winner)
        fold_models.append(comp)
        record.history.append((k, {f"cv_{m}": v for m, v in comp.metrics.items()}))
        log.info("fold %d/%d: %s; chosen %s", k + 1, c.cv_folds,
                 ", ".join(f"{n} {comp.metrics[f'{key}/{n}']:.4f}" for n in comp.models), comp.winner)
    table = pd.DataFrame(per_fold).assign(fold=range(len(per_fold)), chosen=chosen)
    numeric = table.drop(columns=["fold", "chosen"])
    record.metrics |= {**{m: float(v) for m, v in numeric.mean().items()},
                       **{f"{m}_std": float(v) for m, v in numeric.std(ddof=1).items()}}
    record.tables["reports/cv_folds.csv"] = table
    coverage = pd.concat([f.evaluation.tables[f"coverage_{c.primary_task}.csv"] for f in fold_models])
    coverage = coverage.groupby("threshold", as_index=False).mean()
    record.tables[f"reports/cv_coverage_{c.primary_task}.csv"] = coverage
    paired = paired_metrics(table, key)
    record.metrics |= paired
    report = cv_report(cfg, table, paired, coverage, record.dicts["reports/cv_groups.json"])
    final = Counter(chosen).most_common(1)[0][0]
    report += (f"\nFamily chosen on the folds' inner validation rows most often: **{final}** "
               f"({dict(Counter(chosen))}); the CV figure of that procedure is the `chosen` row.\n")
    if c.final_fit:
        checkpoint = _final_fit(cfg, frame, groups, final, fold_models, out / "champion")
        report += (f"\nFinal {final} model trained on all {len(frame)} labelled rows, servable with "
                   f"`Predictor.load(\"{checkpoint}\")`.\n")
        record.add_artifact(checkpoint, "final_model")
    record.tags["family"] = final
    record.texts["reports/report.md"] = report
    record.summary = report
    return record


def paired_metrics(table: pd.DataFrame, key: str) -> dict[str, float]:
    """Each family (and the chosen one) minus the baseline, fold by fold: mean, spread, folds won."""
    out = {}
    base = table[f"{key}/{BASELINE}"]
    for name in [*_families_in(table, key), "chosen"]:
        if name == BASELINE:
            continue
        diff = (table[key] if name == "chosen" else table[f"{key}/{name}"]) - base
        out |= {f"cv_paired_{key}/{name}_minus_baseline": float(diff.mean()),
                f"cv_paired_{key}/{name}_minus_baseline_std": float(diff.std(ddof=1)),
                f"cv_paired_{key}/{name}_folds_won": float((diff > 0).sum())}
    return out


def _families_in(table: pd.DataFrame, key: str) -> list[str]:
    return [n for n in ("bert", "linear", "ensemble", BASELINE) if f"{key}/{n}" in table]


def cv_report(cfg: TrainClassifierConfig, table: pd.DataFrame, paired: dict[str, float], coverage: pd.DataFrame,
              groups: dict[str, int]) -> str:
    """The CV report: how folds were grouped, each family per fold, mean +/- spread, paired against the baseline,
    calibration and the hand-off coverage of the chosen family."""
    c = cfg.classifier
    task = c.primary_task
    key = f"test_{task}_macro_f1"
    names = _families_in(table, key)
    lines = [f"# {cfg.model.name} / linear / ensemble on {cfg.data.name}: grouped {c.cv_folds}-fold CV", "",
             f"{groups['orders']} labelled orders in {groups['groups']} groups: {groups['groups_of_2_or_more']} "
             f"groups of reposts or near-duplicates hold {groups['orders_in_such_groups']} orders (largest "
             f"{groups['largest_group']}); a group never crosses a fold or its inner validation split "
             f"(char 3-gram Jaccard >= {c.cv_groups.jaccard} or containment >= {c.cv_groups.containment}, equal "
             f"texts or titles{', the same caller' if c.cv_groups.same_caller else ''}). Every choice is made on "
             "the fold's inner validation rows; the test fold only scores.", "",
             f"## {task} macro-F1 per fold", "",
             "| fold | test rows | " + " | ".join(names) + " | chosen (family) |",
             "|---|---|" + "---|" * len(names) + "---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['fold']} | {int(r['rows_test'])} | "
                     + " | ".join(f"{r[f'{key}/{n}']:.4f}" for n in names) + f" | {r[key]:.4f} ({r['chosen']}) |")
    numeric = table.drop(columns=["fold", "chosen"])
    mean, std = numeric.mean(), numeric.std(ddof=1)
    lines.append("| mean +/- std | | " + " | ".join(f"{mean[f'{key}/{n}']:.4f} +/- {std[f'{key}/{n}']:.4f}"
                                                  for n in names) + f" | {mean[key]:.4f} +/- {std[key]:.4f} |")
    lines += ["", "## Paired by fold against the baseline (plain char TF-IDF + LinearSVC, same rows)", "",
              "| family | mean difference | spread of the difference | folds won |", "|---|---|---|---|"]
    for name in [n for n in names if n != BASELINE] + ["chosen"]:
        p = f"cv_paired_{key}/{name}_minus_baseline"
        won = int(paired[f"cv_paired_{key}/{name}_folds_won"])
        lines.append(f"| {name} | {paired[p]:+.4f} | {paired[p + '_std']:.4f} | {won} of {len(table)} |")
    lines += ["", "## Calibration (temperature fitted on each fold's validation rows; test-fold ECE)", "",
              "| family | accuracy | ECE before | ECE after |", "|---|---|---|---|"]
    for name in names:
        lines.append(f"| {name} | {mean[f'test_{task}_accuracy/{name}']:.4f} | "
                     f"{mean[f'test_{task}_ece_before/{name}']:.4f} | {mean[f'test_{task}_ece_after/{name}']:.4f} |")
    reach = coverage[coverage["automated_accuracy"] >= 0.95]
    share = f"{reach['automated_share'].max():.1%}" if len(reach) else "none of the thresholds"
    lines += ["", f"## Human hand-off, chosen family, mean over folds: {share} of appeals are handled at type "
              "accuracy >= 0.95", "", markdown_table(coverage)]
    return "\n".join(lines) + "\n"


def _final_fit(cfg: TrainClassifierConfig, frame: pd.DataFrame, groups: np.ndarray, family: str,
               folds: list[Competition], directory: Path) -> Path:
    """The CV's chosen family trained on every labelled row, servable from ``directory`` (its routing and masking
    inside it: ``Predictor.load(directory)``).

    The linear family reuses what the folds chose: the most frequent ``C``, tree weight and NB weighting
    together, and the median temperature per task (fitted on each fold's validation rows), so no row is held
    back. A BERT or the ensemble needs validation rows for early stopping and its weights: a grouped, stratified
    ``classifier.final_val_frac`` slice.
    """
    c = cfg.classifier
    if family == "linear":
        fold_models = [f.models["linear"] for f in folds]

        def choice(m: LinearClassifier) -> tuple[float, float, bool]:
            return m.info["C"], m.info["tree_weight"], m.info.get("nb_weighting", False)

        common = Counter(map(choice, fold_models)).most_common(1)[0][0]
        labels = folds[0].labels
        model = next(m for m in fold_models if choice(m) == common).refit(
            c.linear, model_texts(frame, c.use_title), {t: labels.encode(frame, t) for t in labels.tasks},
            c.primary_task, cfg.seed, label_descriptions(cfg.data))
        model.set_temperatures({t: float(np.median([f.evaluations["linear"].temperatures[t] for f in folds]))
                                for t in labels.tasks})
        model.save(directory)
    else:
        y = task_values(frame, c.primary_task)
        fit_idx, val_idx = next(StratifiedGroupKFold(n_splits=max(2, round(1 / c.final_val_frac)), shuffle=True,
                                                     random_state=cfg.seed).split(frame, y, groups))
        fit, val = frame.iloc[fit_idx], frame.iloc[val_idx]
        final = copy.deepcopy(cfg)
        final.classifier.families = [Family(f) for f in (["bert", "linear", "ensemble"] if family == "ensemble"
                                                         else [family])]
        comp = compete(final, fit, val, val, directory.parent / "final", with_figures=False)
        comp.models[family].save(directory)
    write_serving_configs(cfg, directory)
    return directory
