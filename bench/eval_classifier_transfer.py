"""A servable classifier scored on real appeals it has never seen, where cross-validation cannot reach.

Both data sets go through the data door (validated and masked); every order of ``--test-data`` that is a repost or
near-duplicate of a training order (the grouped CV's groups, ``classifier.cv_groups``) is left out, so the figure
is the one a new, unseen appeal gets. Example: the 493-row TipDM champion on the 5,508 tipdm2020c_more messages:

    .venv/bin/python training/train_classifier.py +experiment=tipdm2020c_full classifier.families=[linear]
    .venv/bin/python bench/eval_classifier_transfer.py --model artifacts/classifier/tipdm2020c_full/champion \\
        --train-data tipdm2020c --test-data tipdm2020c_more
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from hotline_ml.classify.families import load_model
from hotline_ml.classify.features import model_texts, task_values
from hotline_ml.classify.metrics import classification_metrics
from hotline_ml.cli import compose
from hotline_ml.data.prepared import prepared_orders
from hotline_ml.data.splits import repost_groups


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a model directory of any family")
    ap.add_argument("--train-data", required=True, help="the data config the model was trained on (conf/data/)")
    ap.add_argument("--test-data", required=True, help="the data config to score (conf/data/)")
    ap.add_argument("--train-path", help="the file the model was trained on, when not its data config's path")
    args = ap.parse_args()
    cfg = compose("train_classifier")
    path = [f"data.path={args.train_path}"] if args.train_path else []
    train = _prepared(compose("prepare_data", [f"data={args.train_data}", "split=stratified", *path]))
    test = _prepared(compose("prepare_data", [f"data={args.test_data}", "split=stratified"]))
    g = cfg.classifier.cv_groups
    both = pd.concat([train.assign(part="train"), test.assign(part="test")], ignore_index=True)
    groups = repost_groups(both, g.jaccard, g.containment, g.same_caller)
    seen = set(groups[(both["part"] == "train").to_numpy()])
    unseen = test[~np.isin(groups[(both["part"] == "test").to_numpy()], list(seen))].reset_index(drop=True)
    model = load_model(args.model)
    labels = model.labels["type_l1"]
    y = task_values(unseen, "type_l1")
    known = y.isin(labels).to_numpy()
    probs = model.predict_proba(model_texts(unseen[known], model.settings.use_title))["type_l1"]
    ids = np.array([labels.index(v) for v in y[known]])
    metrics, per_class = classification_metrics(ids, probs.argmax(1), labels)
    print(f"{args.model} on {args.test_data}: {len(test)} orders, {len(test) - len(unseen)} reposts or "
          f"near-duplicates of {args.train_data} left out, {int((~known).sum())} with a label the model lacks; "
          f"{int(known.sum())} scored")
    print(f"type_l1 macro-F1 {metrics['macro_f1']:.4f}, accuracy {metrics['accuracy']:.4f}")
    print(per_class.to_string(index=False))


def _prepared(cfg) -> pd.DataFrame:
    return prepared_orders(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared, progress=False).orders


if __name__ == "__main__":
    main()
