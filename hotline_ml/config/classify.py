"""Schemas of the classifier and pre-training jobs: model, families, cross-validation, corrections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING

from hotline_ml.config.common import (
    ClassWeighting,
    Family,
    LinearLoss,
    PathsConfig,
    Pooling,
    RegistryConfig,
    Task,
    TrackingConfig,
)
from hotline_ml.config.data import DataConfig, DesensitizeConfig, SplitConfig
from hotline_ml.config.serving import RoutingConfig


@dataclass
class ModelConfig:
    """Which Chinese BERT checkpoint to start from.

    Attributes:
        name: Preset name (``hotline-bert-mini``, ``bert-base-chinese``, ``chinese-roberta-wwm-ext``, ``rbt3``).
        pretrained: Hub id (``hfl/chinese-roberta-wwm-ext``) or local directory. With ``HF_HUB_OFFLINE=1``, or
            when it is a directory, loading never touches the network.
        max_length: Tokens per appeal (longer appeals are truncated; Chinese BERTs take one token per character).
        pooling: ``mean`` (average of the token states; learns fast even from a weakly pre-trained encoder
            such as the compact model) or ``cls`` (BERT's pooler over [CLS]).
    """

    name: str = MISSING
    pretrained: str = MISSING
    max_length: int = MISSING
    pooling: Pooling = MISSING


@dataclass
class LinearConfig:
    """The linear family: char n-gram TF-IDF + logistic regression, one head per task.

    Attributes:
        ngram_min: Shortest character n-gram.
        ngram_max: Longest character n-gram.
        min_df: N-grams in fewer training texts are dropped.
        max_features: Vocabulary cap (most frequent n-grams).
        C_grid: Inverse regularisation strengths tried; the best on the validation primary macro-F1 is kept.
        loss: ``hinge`` (linear SVM, liblinear: fast on large splits; its scores are calibrated by the
            temperature like every family's) or ``logistic`` (logistic regression, lbfgs: slower).
        balanced: Class-balanced loss (inverse class frequency).
        max_iter: Solver iterations.
        max_train_samples: Subsample the training split for this family; ``None`` = the whole split (it
            costs seconds).
        title_block: Give the title a vectorizer of its own beside the title+text one (the title names the
            problem; on TipDM +0.04 macro-F1 over one concatenated field).
        word_block: Add jieba words of title+text as a block of their own (costs about 1 ms a text).
        label_tree_weights: Weights tried (with each ``C``) for the label-tree features: per first-level
            class, the max and mean cosine similarity of the appeal to that class's tree-node names
            (``data.label_tree``, else the taxonomy's second levels). Empty = no such features.
        nb_weighting: Options tried (with each ``C`` and tree weight) for NB-SVM weighting: with ``true`` each
            class's one-vs-rest model reads the features scaled by their naive-Bayes log-count ratio for that
            class (Wang and Manning, 2012); the scaling folds into the saved weights. ``[false, true]`` lets the
            validation rows choose.
    """

    ngram_min: int = MISSING
    ngram_max: int = MISSING
    min_df: int = MISSING
    max_features: int | None = MISSING
    C_grid: list[float] = MISSING
    loss: LinearLoss = MISSING
    balanced: bool = MISSING
    max_iter: int = MISSING
    max_train_samples: int | None = MISSING
    title_block: bool = MISSING
    word_block: bool = MISSING
    label_tree_weights: list[float] = MISSING
    nb_weighting: list[bool] = MISSING


@dataclass
class RepostConfig:
    """Which orders are one incident for grouped cross-validation (:func:`hotline_ml.data.splits.repost_groups`):
    a group never crosses folds, nor a fold's inner validation split.

    Attributes:
        jaccard: Char 3-gram Jaccard of the normalised texts at or above which two orders are linked.
        containment: Share of the smaller text's 3-grams found in the other at or above which they are linked.
        same_caller: Link orders of the same caller (TipDM's 留言用户): a caller's reposts of one problem.
    """

    jaccard: float = MISSING
    containment: float = MISSING
    same_caller: bool = MISSING


@dataclass
class ClassifierConfig:
    """What the classifier learns and how it is evaluated.

    Attributes:
        tasks: Heads to train: ``type_l1`` (first level of the appeal type), ``type_l2`` (full ``一级/二级``
            path), ``urgency``. A task without labels in the data is skipped (its loss masked, its metrics not
            reported); rows missing one task's label still train the others.
        primary_task: Task whose validation macro-F1 selects the best checkpoint and decides promotion.
        use_title: Prepend the order title to the text (``title。text``).
        class_weighting: ``none``, ``balanced`` (inverse frequency) or ``sqrt`` (inverse square root).
        max_train_samples: Subsample the training split (stratified by the primary task); ``None`` = all.
        max_eval_samples: Subsample validation and test the same way; ``None`` = all.
        early_stopping_patience: Evaluations without improvement of the primary macro-F1 before stopping.
        cv_folds: 0 uses the train/validation/test split; k > 1 runs grouped, stratified k-fold over all
            labelled rows (for small or undated data such as TipDM), reporting every family per fold, mean and
            spread and paired differences, and registers nothing.
        cv_groups: What keeps reposts of one incident in one fold.
        coverage_thresholds: Confidence thresholds for the human hand-off table.
        ece_bins: Bins for expected calibration error.
        families: Families trained and evaluated on the same splits; the best on the validation primary
            macro-F1 is registered. ``ensemble`` needs ``bert`` and ``linear``.
        linear: The linear family's settings.
        refit_linear: After ``C``, tree weight and temperature are chosen on validation (and the ensemble's
            weights and the family), the linear family and the baseline learn again from training + validation
            rows with those choices: small real data leaves no labelled row unused. The test rows stay unseen.
        baseline: A plain linear model (no extras) trained and evaluated beside the families on the same rows
            and never registered: the registered family must beat it; the report compares them fold by fold.
        ensemble_weights: Grid of BERT weights tried for the ensemble (validation log-loss picks one per task).
        final_fit: With ``cv_folds > 1``: after the CV, train the family chosen most often on the folds' inner
            validation rows (the choice the CV measured) on all labelled rows and save it, servable, to
            ``<output_dir>/champion``.
        final_val_frac: Share of rows a final BERT or ensemble holds back for early stopping and weights (the
            linear family reuses the folds' choices and holds nothing back).
    """

    tasks: list[Task] = MISSING
    primary_task: Task = MISSING
    use_title: bool = MISSING
    class_weighting: ClassWeighting = MISSING
    max_train_samples: int | None = MISSING
    max_eval_samples: int | None = MISSING
    early_stopping_patience: int = MISSING
    cv_folds: int = MISSING
    cv_groups: RepostConfig = MISSING
    coverage_thresholds: list[float] = MISSING
    ece_bins: int = MISSING
    families: list[Family] = MISSING
    linear: LinearConfig = MISSING
    refit_linear: bool = MISSING
    baseline: LinearConfig = MISSING
    ensemble_weights: list[float] = MISSING
    final_fit: bool = MISSING
    final_val_frac: float = MISSING


@dataclass
class CorrectionsConfig:
    """Operator corrections to learn from (:mod:`hotline_ml.classify.corrections`).

    Attributes:
        path: The corrections file: ``order_id`` and the corrected ``appeal_type`` and/or ``urgency``.
        orders: Where the corrected orders are, besides the job's own data (a day's export); ``None``: only
            the job's own data is searched.
        predictions: The batch predictions the operators corrected (``predictions.parquet``): the model
            *before*; ``None`` reports the new model only.
        holdout_frac: Share of the corrected orders kept out of training to measure before and after.
    """

    path: str = MISSING
    orders: DataConfig | None = None
    predictions: str | None = None
    holdout_frac: float = MISSING


@dataclass
class TrainClassifierConfig:
    """Entry config of ``training/train_classifier.py``.

    ``trainer`` holds ``transformers.TrainingArguments`` fields by their own names (checked against
    TrainingArguments when the job starts: a misspelt key is an error naming the closest field).
    ``routing`` and ``desensitize`` are logged with the registered model, which serves with them.
    """

    data: DataConfig = MISSING
    split: SplitConfig = MISSING
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
    routing: RoutingConfig = MISSING
    model: ModelConfig = MISSING
    trainer: dict[str, Any] = MISSING
    classifier: ClassifierConfig = MISSING
    tracking: TrackingConfig = MISSING
    registry: RegistryConfig = MISSING
    output_dir: str = MISSING
    seed: int = MISSING
    corrections: CorrectionsConfig | None = None


@dataclass
class MlmArchitecture:
    """Shape of a BERT built from scratch (the compact ``hotline-bert-mini``)."""

    num_hidden_layers: int = MISSING
    hidden_size: int = MISSING
    num_attention_heads: int = MISSING
    intermediate_size: int = MISSING
    max_position_embeddings: int = MISSING


@dataclass
class TokenizerConfig:
    """Character vocabulary for a BERT built from scratch.

    Attributes:
        common_chars: How many of the most frequent characters of jieba's dictionary to include, besides
            every character of the corpus seen at least ``min_char_count`` times.
        min_char_count: Corpus characters rarer than this are left to [UNK].
    """

    common_chars: int = MISSING
    min_char_count: int = MISSING


@dataclass
class TextSource:
    """A file of unlabelled text (CSV/Parquet/JSONL/Excel) and the column that holds the text."""

    path: str = MISSING
    column: str = MISSING


@dataclass
class PretrainMlmConfig:
    """Entry config of ``training/pretrain_mlm.py``: domain-adaptive masked-LM pre-training.

    Attributes:
        init_from: ``scratch`` builds a new BERT (``architecture``) with a character tokenizer built from the
            corpus; otherwise a checkpoint (hub id or directory) to continue pre-training.
        whole_word_masking: Mask whole jieba words instead of single characters.
        mlm_probability: Share of tokens masked.
        max_texts: Use at most this many texts (``None`` = all).
        extra_texts: More unlabelled text files and their text columns, e.g. the unlabelled TipDM messages.
        holdout: Labelled data kept for evaluation: texts equal to any of its texts are left out of
            pre-training (the texts of ``data`` are taken from its training split only, for the same reason).
        output_dir: Where the HF checkpoint is written (``model.pretrained`` accepts it).
        tracking: MLflow run of the pre-training (experiment ``hotline-pretraining``).
    """

    data: DataConfig = MISSING
    split: SplitConfig = MISSING
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
    tracking: TrackingConfig = MISSING
    holdout: DataConfig | None = MISSING
    init_from: str = MISSING
    architecture: MlmArchitecture = MISSING
    tokenizer: TokenizerConfig = MISSING
    trainer: dict[str, Any] = MISSING
    whole_word_masking: bool = MISSING
    mlm_probability: float = MISSING
    max_length: int = MISSING
    max_texts: int | None = MISSING
    extra_texts: list[TextSource] = MISSING
    output_dir: str = MISSING
    seed: int = MISSING
