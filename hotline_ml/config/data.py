"""Schemas of the data layer: the work-order file, the synthetic corpus, masking, the split, prepare-data."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from hotline_ml.config.common import URGENCY_LEVELS, DataFormat, PathsConfig, PiiKind, SplitMethod


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
class PrepareDataConfig:
    """Entry config of ``training/prepare_data.py``: load, validate, desensitize, split, save under
    ``paths.prepared``."""

    data: DataConfig = MISSING
    split: SplitConfig = MISSING
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
