"""Typed configuration schemas.

The YAML files under ``conf/`` hold values only; these dataclasses hold the shape. Entry scripts register
them with Hydra's ConfigStore (:func:`register_configs`), so a typo or a wrong type fails when the config is
composed, and then convert the composed config once with ``OmegaConf.to_object`` and pass these typed objects
down. The library itself never imports Hydra at import time and never takes a raw ``DictConfig``.

Every value has one home. A field the YAML sets is ``MISSING`` here (no second default that could disagree);
a field keeps a default only where no YAML sets it, or where code builds the dataclass without YAML (a fallback
for old models, tests). A choice from a fixed set is a :class:`Choice` enum, so a bad value fails at compose
time, naming the key and the allowed values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from omegaconf import MISSING

URGENCY_LEVELS = ["紧急", "加急", "一般"]


class Choice(str, Enum):
    """Base of the config's string choices. A member is a ``str`` equal to its value (``Pooling.mean == "mean"``),
    prints as its value (``f"{Pooling.mean}"`` is ``mean``, not ``Pooling.mean``) and serialises as it in JSON.
    ``SomeChoice(value)`` converts (and checks) a plain string from code. Members' names equal their values:
    OmegaConf looks string values up by name."""

    def __str__(self) -> str:
        return str(self.value)


class PiiKind(Choice):
    """Personal information the desensitizer masks (``hotline_ml/data/desensitize.py``: ``ALL_KINDS``)."""

    id_card = "id_card"
    bank_card = "bank_card"
    email = "email"
    phone = "phone"
    plate = "plate"
    name = "name"


class DataFormat(Choice):
    """Work-order file formats (``hotline_ml/data/io.py``)."""

    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"
    excel = "excel"


class SplitMethod(Choice):
    """``time``: the test period is the most recent; ``stratified``: random, stratified by a field."""

    time = "time"
    stratified = "stratified"


class Pooling(Choice):
    """How the BERT encoder's token states become one vector per appeal."""

    mean = "mean"  # average of the token states over real tokens
    cls = "cls"  # BERT's pooler over [CLS]


class Task(Choice):
    """What the classifier learns (``hotline_ml/classify/features.py``)."""

    type_l1 = "type_l1"  # first level of the appeal type
    type_l2 = "type_l2"  # the full 一级/二级 path
    urgency = "urgency"


class ClassWeighting(Choice):
    """Class weights of the BERT's loss: none, inverse frequency, or inverse square root of the frequency."""

    none = "none"
    balanced = "balanced"
    sqrt = "sqrt"


class Promote(Choice):
    """When a newly registered version becomes ``champion`` (``hotline_ml/registry.py``)."""

    never = "never"
    if_better = "if_better"
    always = "always"


class HolidayCalendar(Choice):
    """Public holidays of the place the series come from (``hotline_ml/forecast/smoothing.py``: ``day_slots``)."""

    cn = "cn"  # China: statutory holidays and make-up workdays (chinesecalendar, with a fallback for later years)
    us = "us"  # United States: federal holidays


class SeriesSource(Choice):
    """Where the forecaster's daily counts come from."""

    orders = "orders"  # count the work orders of the `data` config
    daily_counts = "daily_counts"  # a table with one count per day and series


class Reconcile(Choice):
    """How parent series relate to the bottom series of the hierarchy."""

    bottom_up = "bottom_up"  # parents are sums of the bottom series
    none = "none"  # every series forecast on its own


class Engine(Choice):
    """Where a batch job runs: ``local`` (this process, chunked or with a process pool) or ``spark``
    (``hotline_ml/spark.py``: pyspark, ``local[N]`` or a cluster)."""

    local = "local"
    spark = "spark"


@dataclass
class SparkConfig:
    """A Spark session for the ``spark`` engine (``conf/spark/``).

    Attributes:
        master: ``local[N]`` (N worker threads on this machine), ``local[*]``, or a cluster master URL
            (``spark://host:7077``, ``yarn``, ``k8s://...``).
        app_name: The application name shown in Spark's UI and logs.
        shuffle_partitions: ``spark.sql.shuffle.partitions`` (Spark's 200 is far too many for one machine).
        partitions: Partitions the orders are spread over for prediction; ``None``: Spark's default
            parallelism (the cores of ``local[N]``, the executors' cores of a cluster).
        worker_threads: torch threads per Python worker (``None``: torch's default). With ``local[N]`` on an
            N-core machine, 1 avoids N workers x N threads fighting over the cores.
        conf: Further Spark settings, passed as they are (``spark.driver.memory: 4g``, ...).
    """

    master: str = MISSING
    app_name: str = MISSING
    shuffle_partitions: int = MISSING
    partitions: int | None = MISSING
    worker_threads: int | None = MISSING
    conf: dict[str, str] = MISSING


class Precision(Choice):
    """Arithmetic of the encoder at inference: ``fp32``, or autocast to ``fp16`` / ``bf16``."""

    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"


class OutputFormat(Choice):
    """File format of batch predictions."""

    parquet = "parquet"
    csv = "csv"


@dataclass
class DesensitizeConfig:
    """How personal information is masked before text is used or written anywhere.

    Attributes:
        enabled: Turn masking off only for data that is already desensitized upstream.
        salt: Secret salt for hashing caller phone numbers. Set it through the ``HOTLINE_PII_SALT``
            environment variable in production; the default dev salt is logged as a warning.
        kinds: Which PII kinds to mask (``phone``, ``id_card``, ``bank_card``, ``email``, ``plate``, ``name``).
    """

    # Defaults kept: hotline_ml/predict/loading.py builds DesensitizeConfig(salt=...) for a model logged
    # without masking settings ("mask every kind"), and tests build it in code.
    enabled: bool = True
    salt: str = MISSING
    kinds: list[PiiKind] = field(default_factory=lambda: list(PiiKind))


@dataclass
class SurgeConfig:
    """Injected surge events (e.g. a water-main break in one district), written to a ground-truth table."""

    n_events: int = MISSING
    min_days: int = MISSING
    max_days: int = MISSING
    # multiplier on the expected daily count of the affected category x district while the event lasts
    min_multiplier: float = MISSING
    max_multiplier: float = MISSING
    # extra orders per day at full strength at least, so an incident shows even in a quiet series
    min_extra_per_day: float = MISSING


@dataclass
class SyntheticConfig:
    """The embedded synthetic 12345 corpus: volumes, calendar effects, text generation knobs.

    Attributes:
        seed: Everything generated is a function of this seed.
        n_orders: Expected number of orders over the whole period (the realised count is Poisson around it).
        start: First day (inclusive), ISO date.
        end: Last day (inclusive), ISO date.
        districts: District name -> relative volume (e.g. resident population in millions).
        weights: ``一级/二级`` appeal type -> relative daily volume; types not listed get 1.0.
        seasonality: ``一级/二级`` appeal type -> named seasonal profile (see ``synthetic.volume.PROFILES``).
        channels: Intake channel -> share.
        trend_per_year: Relative growth of volume per year (0.08 = +8 %/year).
        urgent_rate: Share of orders written with content that makes them 加急 (within 24 h).
        emergency_rate: Share of true emergencies (紧急: transfer to 110/119/120 now).
        pii_rate: Share of orders whose text contains personal information to be masked.
        typo_rate: Share of orders with a homophone typo.
        two_topic_rate: Share of orders that also mention a second, unrelated topic.
        label_noise: Share of orders whose appeal-type label is replaced by a random other type.
        neighbours: First level -> first levels whose letters overlap with it (城乡建设 -> 住房保障, ...).
        neighbour_share: Share of two-topic orders whose second topic comes from a neighbouring first level.
        hesitation_rate: Share of two-topic orders filed under their second topic, as a person hesitating
            between the two would (real labels carry such cases; a model cannot tell them from the text).
    """

    seed: int = MISSING
    n_orders: int = MISSING
    start: str = MISSING
    end: str = MISSING
    districts: dict[str, float] = MISSING
    weights: dict[str, float] = MISSING
    seasonality: dict[str, str] = MISSING
    channels: dict[str, float] = MISSING
    trend_per_year: float = MISSING
    urgent_rate: float = MISSING
    emergency_rate: float = MISSING
    pii_rate: float = MISSING
    typo_rate: float = MISSING
    two_topic_rate: float = MISSING
    label_noise: float = MISSING
    neighbours: dict[str, list[str]] = MISSING
    neighbour_share: float = MISSING
    hesitation_rate: float = MISSING
    surges: SurgeConfig = MISSING


@dataclass
class LabelTreeConfig:
    """A CSV of the label tree, one row per leaf: the first column is the first-level label, the others
    name the lower levels (their names describe what each first-level label covers).

    Attributes:
        path: The CSV file (UTF-8).
        columns: Level columns, first level first.
    """

    path: str = MISSING
    columns: list[str] = MISSING


@dataclass
class DataConfig:
    """Where work orders come from and how their columns map onto the work-order schema.

    Attributes:
        name: Short dataset name, used in output paths and run names.
        path: File to load (CSV, Parquet, JSONL or Excel). Relative paths are relative to the working directory.
        format: ``csv``, ``parquet``, ``jsonl`` or ``excel``; ``None`` infers it from the file suffix.
        encoding: Text encoding for CSV/JSONL; ``None`` detects UTF-8 (with or without BOM) or GB18030.
        sheet: Excel sheet name; ``None`` takes the first sheet.
        columns: Work-order field -> column name in the file, for fields whose names differ.
        required: Fields that must be present as columns; a missing one is an error naming file and columns.
        taxonomy: Allowed appeal types, first level -> second levels (an empty list accepts the first level only).
            Labels outside it are rejected as unknown. Empty mapping: any label is accepted.
        urgency_levels: Allowed urgency labels, most urgent first.
        max_text_chars: Longer texts are rejected (with the reason) rather than silently truncated.
        min_year: Timestamps before this year are rejected as implausible.
        synthetic: When set, the file at ``path`` is (re)generated from these settings before loading.
        label_tree: A file describing the label tree (e.g. TipDM's official 3-level tree), whose node names
            the linear classifier compares appeals with; ``None`` uses the ``taxonomy`` second levels.
        ids_from_rows: The file has no order id (e.g. recovered competition messages): each order's id is
            ``<name>-<row>``, its 1-based data row, so rejects, predictions and folds still name every order.
    """

    name: str = MISSING
    path: str = MISSING
    format: DataFormat | None = MISSING
    encoding: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = MISSING
    required: list[str] = MISSING
    taxonomy: dict[str, list[str]] = field(default_factory=dict)
    urgency_levels: list[str] = field(default_factory=lambda: list(URGENCY_LEVELS))
    max_text_chars: int = 10_000
    min_year: int = 1990
    synthetic: SyntheticConfig | None = None
    label_tree: LabelTreeConfig | None = None
    ids_from_rows: bool = False


@dataclass
class SplitConfig:
    """Train/validation/test split.

    Attributes:
        method: ``time`` (the test period is the most recent) or ``stratified`` (random, stratified by label).
        val_frac: Share of orders in the validation split.
        test_frac: Share of orders in the test split.
        stratify_by: Field to stratify on for ``stratified`` (first level of the appeal type for ``appeal_type``).
        seed: Random seed for ``stratified``.
    """

    method: SplitMethod = MISSING
    val_frac: float = MISSING
    test_frac: float = MISSING
    stratify_by: str = MISSING
    seed: int = MISSING


@dataclass
class TrackingConfig:
    """Where MLflow records runs and models.

    Attributes:
        tracking_uri: MLflow tracking URI; ``sqlite:///mlflow.db`` (project root) by default. Artifacts of a
            sqlite store go to ``mlartifacts/`` beside the database.
        experiment: Experiment name (created on first use).
        run_name: Fixed run name; ``None`` lets the job name it.
        tags: Extra tags on every run of this job.
    """

    tracking_uri: str = MISSING
    experiment: str = MISSING
    # Defaults kept: tests build TrackingConfig(tracking_uri=..., experiment=...) in code.
    run_name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class PathsConfig:
    """Where the files every job shares live (``conf/paths/default.yaml``, included by every entry config).

    Attributes:
        prepared: Root of the prepared data: ``<prepared>/<data.name>/`` holds the masked, validated splits and
            their manifest (:mod:`hotline_ml.data.prepared`), which every job reads.
        external: Real benchmark data kept outside the repository (``../shared/data/external``): the data
            configs that read it name their files under this path.
    """

    prepared: str = MISSING
    external: str = MISSING


@dataclass
class PrepareDataConfig:
    """Entry config of ``training/prepare_data.py``: load, validate, desensitize, split, save under
    ``paths.prepared``."""

    data: DataConfig = MISSING
    split: SplitConfig = MISSING
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING


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


class Family(Choice):
    """Model families that compete in the classifier job (``hotline_ml/classify/families/__init__.py``)."""

    bert = "bert"
    linear = "linear"
    ensemble = "ensemble"


class LinearLoss(Choice):
    """Loss of the linear family's heads."""

    hinge = "hinge"
    logistic = "logistic"


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
class RegistryConfig:
    """Model registry settings.

    Attributes:
        model_name: Registered model name.
        promote: ``never``, ``if_better`` (alias ``champion`` moves to the new version only when it beats the
            current champion on the same data, by the model kind's rule in ``hotline_ml/registry.py``: the
            primary test macro-F1 for classifiers, the backtest MASE relative to seasonal naive for
            forecasters) or ``always``.
    """

    model_name: str = MISSING
    promote: Promote = MISSING


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


class PlaceKind(Choice):
    """Kinds of place named in an appeal, from the widest to the most specific."""

    city = "city"
    district = "district"
    street = "street"  # 街道, 镇, 乡
    village = "village"  # 村, 社区
    estate = "estate"
    road = "road"
    school = "school"
    organisation = "organisation"
    landmark = "landmark"


@dataclass
class PlaceConfig:
    """How place names are found in appeal text (:mod:`hotline_ml.insight.places`).

    A place is a name that ends in one of a kind's suffixes (``联丰路``, ``青青家园``, ``A3区``). The name is
    read leftwards from the suffix over jieba words until a word that cannot be part of a name.

    Attributes:
        suffixes: Kind -> the suffixes that end a name of that kind.
        qualifiers: Regular expression of what may follow an estate or village name and still belong to it
            (``三期``, ``西区``, ``3号院``).
        generic: Words that end in a suffix but name no place (``道路``, ``小区``, ``农村``).
        stop_words: Words that end a name to their left (``住在``, ``位于``, ``反映``).
        stop_chars: Single characters that end a name to their left (``在``, ``的``, ``我``).
        stop_tags: jieba dictionary tags of words that end a name (verbs, pronouns, prepositions, ...).
        name_words: Words that never end a name, whatever their tag (``开发`` of ``房地产开发有限公司``).
        single_stop_tags: Tags that end a name on a single-character word too. Most single-character tags
            say little (``联`` of ``联丰路`` is tagged a verb), these few are reliable (``由``, ``而``).
        common_noun_tags: Tags of common nouns. A suffix that ends a common noun (``垃圾站``, ``道路``) is no
            suffix; in the name of a city, district or street, a common noun ends the name (``扰民A3区``).
        type_kinds: Kinds whose name is a type of place rather than a name when every word before the suffix
            is a common noun (``热力公司``, ``洗车店``; but ``人民路`` is a road's name).
        max_name_chars: Longest name read leftwards from a suffix, suffix included.
        not_places: Regular expression of names that are no place (bus lines: ``947路``).
        key_drop: Regular expression of what a matching key drops from the end of a name.
        key_kinds: Kinds specific enough that two appeals naming the same one concern the same spot; cities
            and districts are context, not a spot.
    """

    suffixes: dict[PlaceKind, list[str]] = MISSING
    qualifiers: str = MISSING
    generic: list[str] = MISSING
    stop_words: list[str] = MISSING
    stop_chars: str = MISSING
    stop_tags: list[str] = MISSING
    name_words: list[str] = MISSING
    single_stop_tags: list[str] = MISSING
    common_noun_tags: list[str] = MISSING
    type_kinds: list[PlaceKind] = MISSING
    max_name_chars: int = MISSING
    not_places: str = MISSING
    key_drop: str = MISSING
    key_kinds: list[PlaceKind] = MISSING


@dataclass
class HeatWeights:
    """Weights of the heat index terms (:mod:`hotline_ml.insight.hot_issues`; each term is ``log1p``)."""

    orders: float = MISSING
    callers: float = MISSING
    likes: float = MISSING
    duration: float = MISSING
    growth: float = MISSING


@dataclass
class HotIssueConfig:
    """How appeals are grouped into hot issues (:mod:`hotline_ml.insight.hot_issues`).

    Attributes:
        window_days: Two appeals are linked only when created at most this many days apart.
        min_similarity: Least cosine of their character n-gram TF-IDF vectors (places and PII blanked).
        ngram_min: Shortest character n-gram.
        ngram_max: Longest character n-gram.
        min_orders: A hot issue has at least this many orders ...
        min_callers: ... from at least this many distinct callers ...
        family_alpha: ... and is a burst at its place: the chance of reporting any burst by chance in the whole
            search (Bonferroni over every stretch tested).
        recent_days: The growth term counts the orders of the last this many days of the data.
        heat: Weights of the heat index.
        top: Hot issues described in the report.
        examples: Desensitized example appeals shown per hot issue.
    """

    window_days: float = MISSING
    min_similarity: float = MISSING
    ngram_min: int = MISSING
    ngram_max: int = MISSING
    min_orders: int = MISSING
    min_callers: int = MISSING
    family_alpha: float = MISSING
    recent_days: int = MISSING
    heat: HeatWeights = MISSING
    top: int = MISSING
    examples: int = MISSING


@dataclass
class FindHotIssuesConfig:
    """Entry config of ``training/find_hot_issues.py``: load and mask orders, find and rank hot issues."""

    data: DataConfig = MISSING
    split: SplitConfig = MISSING  # used only when the data is not prepared yet
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
    places: PlaceConfig = MISSING
    hot_issues: HotIssueConfig = MISSING
    tracking: TrackingConfig = MISSING
    output_dir: str = MISSING


@dataclass
class IndicatorConfig:
    """How the lifecycle indicators are computed (:mod:`hotline_ml.insight.indicators`).

    Attributes:
        time_limit_hours: Urgency level -> hours within which an order must be resolved to be on time. Orders
            without an urgency use ``default_limit_hours``.
        default_limit_hours: Time limit of orders whose urgency is empty or not listed.
        period: pandas period alias of the reporting period (``W-SUN``: weeks Monday..Sunday).
        dimensions: Fields the indicators are broken down by, besides the whole (``district``,
            ``appeal_type``, ``channel``).
        type_level: Appeal types are cut to this many levels in the breakdown (1: ``城乡建设``).
        repeat_window_days: An order is a repeat call when the same (hashed) caller called within this many
            days before it, and a repeat appeal when that earlier call had the same appeal type.
        satisfied_min: Satisfaction scores at or above this count as satisfied.
        min_orders: Cells (period x dimension value) with fewer orders get no change against the previous
            period: a change on a handful of orders is noise.
        top: Rows per table in the report.
    """

    time_limit_hours: dict[str, float] = MISSING
    default_limit_hours: float = MISSING
    period: str = MISSING
    dimensions: list[str] = MISSING
    type_level: int = MISSING
    repeat_window_days: int = MISSING
    satisfied_min: int = MISSING
    min_orders: int = MISSING
    top: int = MISSING


@dataclass
class ComputeIndicatorsConfig:
    """Entry config of ``training/compute_indicators.py``: load and mask orders, compute lifecycle indicators.

    Attributes:
        as_of: The moment the orders are judged at (``YYYY-MM-DD [HH:MM]``); ``None``: the midnight after the
            last order's day.
    """

    data: DataConfig = MISSING
    split: SplitConfig = MISSING  # used only when the data is not prepared yet
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
    indicators: IndicatorConfig = MISSING
    tracking: TrackingConfig = MISSING
    as_of: str | None = MISSING
    output_dir: str = MISSING


def register_configs() -> None:
    """Register the schemas in Hydra's ConfigStore. Called by entry scripts before ``@hydra.main`` runs."""
    from hydra.core.config_store import ConfigStore  # imported here: the library never needs Hydra
    from omegaconf import OmegaConf

    # ${hotline.or_else:${day},all}: oc.select only covers missing keys, and an explicit null must not end up as
    # a folder named "None"
    if not OmegaConf.has_resolver("hotline.or_else"):
        OmegaConf.register_new_resolver("hotline.or_else", lambda value, default: default if value is None else value)
    cs = ConfigStore.instance()
    cs.store(name="prepare_data_schema", node=PrepareDataConfig)
    cs.store(name="train_classifier_schema", node=TrainClassifierConfig)
    cs.store(name="pretrain_mlm_schema", node=PretrainMlmConfig)
    cs.store(name="fit_forecasts_schema", node=FitForecastsConfig)
    cs.store(name="batch_score_schema", node=BatchScoreConfig)
    cs.store(name="serve_schema", node=ServeConfig)
    cs.store(name="find_hot_issues_schema", node=FindHotIssuesConfig)
    cs.store(name="compute_indicators_schema", node=ComputeIndicatorsConfig)


@dataclass
class SeriesConfig:
    """Which daily count series the forecaster sees.

    Attributes:
        name: Short name, used in output paths and run names.
        source: ``orders`` (count the work orders of the ``data`` config) or ``daily_counts`` (a table that
            already holds one count per day and series, e.g. the Boston 311 benchmark at ``path``).
        levels: Level name -> work-order fields that define its series (``[]`` is the grand total). The
            field ``category`` is the appeal type cut to ``category_depth`` levels. The level with the most
            fields is the bottom of the hierarchy; every other level must use a subset of its fields.
        category_depth: 1 = first-level type (``城乡建设``), 2 = ``一级/二级``.
        path: ``daily_counts`` only: the table (CSV or Parquet).
        columns: ``daily_counts`` only: ``date``, ``key`` and ``count`` -> column names in the table.
        min_total: Series with fewer counts than this over the whole history are not forecast (listed with
            the reason).
        holidays: Holiday calendar of the series' place (``null`` for none); forecasters that know holidays
            read it (``${series.holidays}`` in ``conf/forecast/``).
    """

    name: str = MISSING
    source: SeriesSource = MISSING
    levels: dict[str, list[str]] = MISSING
    category_depth: int = MISSING
    path: str | None = MISSING
    columns: dict[str, str] = MISSING
    min_total: int = MISSING
    holidays: HolidayCalendar | None = MISSING


@dataclass
class ForecastCandidateConfig:
    """One forecaster that may be chosen per series (``conf/forecast/``).

    Attributes:
        name: Name in reports and metrics.
        min_mean_per_day: Only series whose mean daily count over the last 8 weeks reaches this are tried
            (keeps slow models such as SARIMAX to the series with enough volume to gain from them).
        model: ``_target_`` (a ``hotline_ml.forecast.models.Forecaster`` class) plus its ``__init__`` settings.
    """

    name: str = MISSING
    min_mean_per_day: float = MISSING
    model: dict[str, Any] = MISSING


@dataclass
class BacktestConfig:
    """Rolling-origin backtest: ``n_origins`` cut-offs ``step`` days apart, each forecasting ``horizon`` days.

    Attributes:
        refit_every: Re-estimate parameters at every k-th origin and only re-filter (same parameters, new
            data) at the others; 1 re-estimates everywhere.
        min_train: Days of history a series needs at the earliest origin to be backtested.
        baseline_margin: The seasonal naive is chosen over the best candidate only when its backtest MAE is
            lower by more than this share (0 = plain lowest MAE; see ``backtest.choose``).
    """

    horizon: int = MISSING
    n_origins: int = MISSING
    step: int = MISSING
    refit_every: int = MISSING
    min_train: int = MISSING
    baseline_margin: float = MISSING


@dataclass
class SanityConfig:
    """When a forecast counts as absurd and is replaced by the seasonal naive baseline.

    Attributes:
        max_negative_mean: A mean below ``-max_negative_mean`` anywhere is absurd (smaller negatives are
            clipped to 0: counts cannot be negative).
        max_upper_ratio: An upper bound above ``max_upper_ratio * (max(history) + 1)`` is an exploding interval.
    """

    max_negative_mean: float = MISSING
    max_upper_ratio: float = MISSING


@dataclass
class EarlyWarningConfig:
    """Early warning: actual days above the upper bound of forecasts made before them.

    Attributes:
        level: Which prediction interval's upper bound (80 or 95).
        persistence: Consecutive days above the bound before a series is flagged.
        min_excess: Counts above the bound a day needs to count (keeps 1-call blips in quiet series out).
        step: Days between forecast origins when replaying (each forecast covers the next ``step`` days).
        replay_days: How far back the replay starts (the last ``replay_days`` days are checked).
        current_days: Alerts touching the last ``current_days`` days are the current risks in the report.
        top_k: Risks listed (with charts) in the report.
        n_examples: Example texts (desensitized) per listed risk.
        match_tolerance_days: An alert matches a ground-truth surge event of its category and district when
            their dates overlap within this many days.
        score_levels: Levels whose alerts are scored against the ground-truth events (where events live).
    """

    level: int = MISSING
    persistence: int = MISSING
    min_excess: float = MISSING
    step: int = MISSING
    replay_days: int = MISSING
    current_days: int = MISSING
    top_k: int = MISSING
    n_examples: int = MISSING
    match_tolerance_days: int = MISSING
    score_levels: list[str] = MISSING


@dataclass
class FitForecastsConfig:
    """Entry config of ``training/fit_forecasts.py``: aggregate, backtest, choose, fit, warn, register.

    Attributes:
        baseline: The seasonal naive baseline: always fitted, the MASE reference and the fallback.
        candidates: Other forecasters tried per series (``conf/forecast/``); the backtest chooses.
        horizon: Days forecast ahead in the published forecasts table.
        interval_levels: Prediction interval levels in percent.
        reconcile: ``bottom_up`` (parent series = sums of the bottom series) or ``none``.
        n_jobs: Worker processes for the per-series fits (BLAS pinned to one thread each), engine ``local``.
        engine: ``local`` (``n_jobs`` processes) or ``spark`` (the per-series fits as ``applyInPandas`` over
            series groups, on the session of ``spark``).
        spark: The Spark session of the ``spark`` engine (``conf/spark/``).
        plot_top: Forecast plots for this many of the largest categories.
        registry: Registered model name of the fitted bundle and its promotion mode.
        output_dir: Where the forecasts, backtest tables and the early-warning report are written.
    """

    data: DataConfig = MISSING
    split: SplitConfig = MISSING  # used only when the data is not prepared yet
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
    series: SeriesConfig = MISSING
    baseline: ForecastCandidateConfig = MISSING
    # empty, not MISSING: the defaults list adds the candidates (conf/forecast/), and removing them all
    # ('~forecast@candidates.ets' ...) is a baseline-only run
    candidates: dict[str, ForecastCandidateConfig] = field(default_factory=dict)
    backtest: BacktestConfig = MISSING
    sanity: SanityConfig = MISSING
    warning: EarlyWarningConfig = MISSING
    tracking: TrackingConfig = MISSING
    horizon: int = MISSING
    interval_levels: list[int] = MISSING
    reconcile: Reconcile = MISSING
    n_jobs: int = MISSING
    engine: Engine = MISSING
    spark: SparkConfig = MISSING
    plot_top: int = MISSING
    registry: RegistryConfig = MISSING
    output_dir: str = MISSING


@dataclass
class EmergencyRule:
    """One kind of emergency of the lexicon layer of the triage net (``conf/routing/``).

    Attributes:
        transfer_to: Emergency lines the appeal is transferred to at once (``110`` police, ``119`` fire and
            rescue, ``120`` medical), first the one to call first.
        keywords: Literal phrases; any one of them in the (desensitized) text fires the rule.
        patterns: Regular expressions (Python ``re``), for phrasings with words in between.
        unless: Regular expressions for phrasings that mean something else (``救命药``, ``打着火`` a stove);
            text they match is blanked before every layer (rules, concepts, framing, alarms), so a figure of speech
            (``气得想跳楼``) stops them all. Past, hypothetical or reported events are NOT listed here:
            the framing layer (:class:`FramingConfig`) handles them for every rule.
    """

    transfer_to: list[str] = MISSING
    keywords: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    unless: list[str] = field(default_factory=list)


@dataclass
class SignalRule:
    """A list of cues: literal ``keywords`` and regular-expression ``patterns`` (Python ``re``).

    Used for review signals (negative emotion, escalation, threats), framing cues, concept words and requests
    for a person.
    """

    keywords: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)


class TextWindow(Choice):
    """How much text around a hit a cue may come from."""

    clause = "clause"  # between commas, semicolons or sentence ends
    sentence = "sentence"  # between 。！？ or line breaks
    text = "text"  # anywhere in the text


@dataclass
class FramingConfig:
    """When an emergency hit is no emergency now (``hotline_ml/triage/framing.py``).

    A framing cue in ``frame_window`` around a hit frames it; a framed hit never transfers (it goes to a person).
    A ``live`` cue in ``live_window`` around the hit, or an ``alarm`` cue anywhere in the text, overrides framing.
    In a long letter only an ``alarm`` cue in ``live_window`` does.

    Attributes:
        frame_window: Where framing cues count.
        live_window: Where live-now cues count.
        long_letter_chars: Texts at least this long are narrative letters: their hits are framed
            (``narrative``) unless an alarm cue is in the live window.
        past: Past events (``去年``, ``当时``, ``已经处理``).
        habitual: Recurring conditions (``经常``, ``每天``, ``多次``): a complaint, not an event now.
        hypothetical: Hypothetical or preventive (``万一``, ``隐患``, ``以免``).
        consultation: Questions about rules or procedures, and complaint letters (``咨询``, ``如何办理``,
            ``投诉``).
        reported: Reported speech and media (``听说``, ``新闻``).
        live: Live-now cues (``正在``, ``刚才``, ``马上``).
        alarm: Calls for help that make the whole text live (``救命``, ``快来``).
    """

    frame_window: TextWindow = MISSING
    live_window: TextWindow = MISSING
    long_letter_chars: int = MISSING
    past: SignalRule = MISSING
    habitual: SignalRule = MISSING
    hypothetical: SignalRule = MISSING
    consultation: SignalRule = MISSING
    reported: SignalRule = MISSING
    live: SignalRule = MISSING
    alarm: SignalRule = MISSING


@dataclass
class DangerState:
    """An acute state of the concept layer (in water, at a height, fire or smoke, ...).

    Attributes:
        transfer_to: Emergency lines for a strong hit of this state.
        keywords: Literal phrases naming the state.
        patterns: Regular expressions naming the state.
    """

    transfer_to: list[str] = MISSING
    keywords: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)


@dataclass
class ConceptConfig:
    """The danger-concept layer: a person x an acute state x now (``hotline_ml/triage/concepts.py``).

    A state with a person or a now cue in ``window`` is a hit (the order goes to a person at least); with a
    person and a now cue (or a vulnerable person when ``vulnerable_needs_now`` is false), unframed, it is
    strong and transfers.

    Attributes:
        window: Where the person and the now cue must be, around the state.
        vulnerable_needs_now: Whether a child, elderly, pregnant or disabled person in the state also needs a
            now cue to be strong.
        person: Any person.
        vulnerable: Children, the elderly, pregnant women, disabled people.
        now: Now or imminent (``正在``, ``刚才``, ``随时``).
        states: State name -> words and lines.
    """

    window: TextWindow = MISSING
    vulnerable_needs_now: bool = MISSING
    person: SignalRule = MISSING
    vulnerable: SignalRule = MISSING
    now: SignalRule = MISSING
    states: dict[str, DangerState] = MISSING


@dataclass
class DetectorConfig:
    """The learned emergency detector (``hotline_ml/triage/detector.py``): char n-gram TF-IDF + logistic
    regression, trained at load from the packaged corpus (``hotline_ml/triage/corpus/``).

    Attributes:
        enabled: Whether the layer runs.
        ngram_min: Shortest character n-gram.
        ngram_max: Longest character n-gram.
        min_df: N-grams in fewer training texts are dropped.
        c: Inverse regularisation strength of the logistic regression.
        review_threshold: Scores at least this go to a person (chosen for recall >= 0.99 on cross-validated
            corpus scores; ``bench/bench_triage.py`` prints the check).
        transfer_threshold: Scores at least this transfer (in texts shorter than a long letter).
        cv_folds: Folds of the cross-validation the bench and the tests use.
        synthetic_negatives: Ordinary (``一般``) appeals written by the synthetic generator's phrase bank, added
            as negatives (round-robin over the types, seed 0): everyday complaint language the corpus lacks.
    """

    enabled: bool = MISSING
    ngram_min: int = MISSING
    ngram_max: int = MISSING
    min_df: int = MISSING
    c: float = MISSING
    review_threshold: float = MISSING
    transfer_threshold: float = MISSING
    cv_folds: int = MISSING
    synthetic_negatives: int = MISSING


@dataclass
class PolicyConfig:
    """Which work-order grades a machine may close, and the operator's authority (``policy.py``).

    Attributes:
        automatable: Appeal type (``一级`` or ``一级/二级``) -> why a machine may close it. A first-level key
            covers all its second levels; any type not covered goes to a person.
        ask_for_person: Phrases of a caller asking for a person (``转人工``); they always reach a person.
    """

    automatable: dict[str, str] = MISSING
    ask_for_person: SignalRule = MISSING


@dataclass
class RoutingConfig:
    """The triage net: emergencies to 110/119/120, uncertain, charged or non-standard appeals to a person.

    Attributes:
        confidence_threshold: Appeals whose calibrated appeal-type probability is below this go to human review.
        emergency_review_threshold: Appeals the triage layers do not flag, but whose calibrated probability of
            ``emergency_label`` is at least this, go to human review (the model suspects an emergency).
        emergency_label: The urgency label forced on emergencies.
        emergency: Rule name -> emergency rule (the lexicon layer); an unframed hit transfers.
        review: Signal name -> signal; a hit sends the appeal to human review.
        framing: When a hit is past, hypothetical, a consultation or reported speech.
        concepts: The danger-concept layer.
        detector: The learned detector.
        policy: The automation policy by work-order grade and the human hand-off.
    """

    confidence_threshold: float = MISSING
    emergency_review_threshold: float = MISSING
    emergency_label: str = MISSING
    # MISSING, not empty: a routing config that forgot its rules must not silently transfer nothing
    emergency: dict[str, EmergencyRule] = MISSING
    review: dict[str, SignalRule] = MISSING
    framing: FramingConfig = MISSING
    concepts: ConceptConfig = MISSING
    detector: DetectorConfig = MISSING
    policy: PolicyConfig = MISSING


@dataclass
class PredictorConfig:
    """Which classifier the predictor loads and how it runs.

    Attributes:
        model: ``models:/<name>@<alias>`` or ``models:/<name>/<version>`` (registry), ``runs:/<run id>/model``
            (a run), or a local directory (a saved checkpoint, or a downloaded MLflow model).
        tracking_uri: MLflow tracking URI used to resolve ``models:/`` and ``runs:/`` URIs.
        num_threads: torch intra-op threads; ``None`` leaves torch's default (one per core).
        int8: Dynamically quantize the linear layers to int8 (faster on CPU, accuracy loss measured by
            ``bench/bench_inference.py``).
        batch_size: Texts per forward pass (sorted by length, padded per batch).
        device: ``auto`` (CUDA when available, else MPS, else CPU), ``cpu``, ``cuda``, ``cuda:1``, ``mps``.
        precision: ``fp32``; ``fp16`` or ``bf16`` run the encoder under autocast (GPU; ``bf16`` also on CPU).
    """

    model: str = MISSING
    tracking_uri: str = MISSING
    # Defaults kept: tests build PredictorConfig(model=..., tracking_uri=...) in code.
    num_threads: int | None = None
    int8: bool = False
    batch_size: int = 64
    device: str = "auto"
    precision: Precision = Precision.fp32


@dataclass
class DriftConfig:
    """When a scored day counts as drifted from the training data (:mod:`hotline_ml.drift`).

    Attributes:
        psi_threshold: Flag a population stability index above this (type mix, text lengths); 0.1-0.25 is a
            moderate shift, above 0.25 a large one.
        route_share_change: Flag a route share (human review, transfer) this far from its validation share.
        unknown_char_change: Flag a rate of characters unseen in training this far above validation's.
        min_orders: Days with fewer scored orders are not judged.
    """

    psi_threshold: float = MISSING
    route_share_change: float = MISSING
    unknown_char_change: float = MISSING
    min_orders: int = MISSING


@dataclass
class BatchScoreConfig:
    """Entry config of ``serving/batch_score.py``: a day's orders -> desensitize -> predict -> files.

    Attributes:
        input: The orders file and its column mapping (the ``data`` schema; ``synthetic`` must be ``None``).
        day: Score only orders created on this day (``YYYY-MM-DD``); ``None`` scores every row. Rows of
            other days are counted, not scored.
        chunk_rows: Input records per chunk: the unit of memory, progress and resumption.
        output_dir: Where predictions, rejects, the manifest and the summary go. Rerunning with the same
            input resumes; a different input or settings is an error (use another directory).
        output_format: ``parquet`` or ``csv`` for the predictions.
        examples: Routed examples printed at the end.
        desensitize: Masking instead of the model's own (``None``: the config logged with the model).
        routing: Routing instead of the model's own (``None``: the config logged with the model).
        drift: When the day is flagged as drifted from the model's training data.
        engine: ``local`` (resumable chunks in this process, :mod:`hotline_ml.predict.batch`) or ``spark``
            (:mod:`hotline_ml.predict.spark_batch`: Parquet partitioned by day, a rerun replaces its partition).
        spark: The Spark session of the ``spark`` engine (``conf/spark/``).
    """

    input: DataConfig = MISSING
    paths: PathsConfig = MISSING
    desensitize: DesensitizeConfig | None = None
    predictor: PredictorConfig = MISSING
    routing: RoutingConfig | None = None
    day: str | None = MISSING
    chunk_rows: int = MISSING
    output_dir: str = MISSING
    output_format: OutputFormat = MISSING
    examples: int = MISSING
    drift: DriftConfig = MISSING
    engine: Engine = MISSING
    spark: SparkConfig = MISSING


@dataclass
class ServeConfig:
    """Entry config of ``serving/app.py``: the FastAPI service.

    Attributes:
        host: Interface to bind (``127.0.0.1`` keeps it local; ``0.0.0.0`` behind a proxy).
        port: TCP port.
        max_text_chars: Longer texts are refused with 413 (never silently truncated).
        max_batch: Most records one ``/predict_batch`` request may carry.
        max_body_bytes: Requests with a larger body are refused with 413 before they are parsed.
        routing: Routing instead of the model's own (``None``: the config logged with the model).
        desensitize: Masking instead of the model's own (``None``: the config logged with the model).
    """

    paths: PathsConfig = MISSING
    predictor: PredictorConfig = MISSING
    routing: RoutingConfig | None = None
    desensitize: DesensitizeConfig | None = None
    host: str = MISSING
    port: int = MISSING
    max_text_chars: int = MISSING
    max_batch: int = MISSING
    max_body_bytes: int = MISSING
