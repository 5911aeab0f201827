"""Typed configuration schemas.

The YAML files under ``conf/`` hold values only; these dataclasses hold the shape. Entry scripts register
them with Hydra's ConfigStore (:func:`register_configs`), so a typo or a wrong type fails when the config is
composed, and then convert the composed config once with ``OmegaConf.to_object`` and pass these typed objects
down. The library itself never imports Hydra at import time and never takes a raw ``DictConfig``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

URGENCY_LEVELS = ["紧急", "加急", "一般"]


@dataclass
class DesensitizeConfig:
    """How personal information is masked before text is used or written anywhere.

    Attributes:
        enabled: Turn masking off only for data that is already desensitized upstream.
        salt: Secret salt for hashing caller phone numbers. Set it through the ``HOTLINE_PII_SALT``
            environment variable in production; the default dev salt is logged as a warning.
        kinds: Which PII kinds to mask (``phone``, ``id_card``, ``bank_card``, ``email``, ``plate``, ``name``).
    """

    enabled: bool = True
    salt: str = MISSING
    kinds: list[str] = field(
        default_factory=lambda: ["id_card", "bank_card", "email", "phone", "plate", "name"]
    )


@dataclass
class SurgeConfig:
    """Injected surge events (e.g. a water-main break in one district), written to a ground-truth table."""

    n_events: int = 12
    min_days: int = 2
    max_days: int = 6
    # multiplier on the expected daily count of the affected category x district while the event lasts
    min_multiplier: float = 3.0
    max_multiplier: float = 8.0
    # extra orders per day at full strength at least, so an incident shows even in a quiet series
    min_extra_per_day: float = 4.0


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
    """

    seed: int = 12345
    n_orders: int = 100_000
    start: str = "2024-11-01"
    end: str = "2026-10-31"
    districts: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    seasonality: dict[str, str] = field(default_factory=dict)
    channels: dict[str, float] = field(default_factory=lambda: {"电话": 1.0})
    trend_per_year: float = 0.08
    urgent_rate: float = 0.12
    emergency_rate: float = 0.005
    pii_rate: float = 0.3
    typo_rate: float = 0.05
    two_topic_rate: float = 0.08
    label_noise: float = 0.03
    surges: SurgeConfig = field(default_factory=SurgeConfig)


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
    """

    name: str = MISSING
    path: str = MISSING
    format: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    required: list[str] = field(default_factory=lambda: ["order_id", "created_at", "text"])
    taxonomy: dict[str, list[str]] = field(default_factory=dict)
    urgency_levels: list[str] = field(default_factory=lambda: list(URGENCY_LEVELS))
    max_text_chars: int = 10_000
    min_year: int = 1990
    synthetic: SyntheticConfig | None = None


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

    method: str = "time"
    val_frac: float = 0.1
    test_frac: float = 0.1
    stratify_by: str = "appeal_type"
    seed: int = 0


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

    tracking_uri: str = "sqlite:///mlflow.db"
    experiment: str = MISSING
    run_name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class PrepareDataConfig:
    """Entry config of ``training/prepare_data.py``: load, validate, desensitize, split, save."""

    data: DataConfig = MISSING
    split: SplitConfig = MISSING
    desensitize: DesensitizeConfig = MISSING
    output_dir: str = MISSING


def register_configs() -> None:
    """Register the schemas in Hydra's ConfigStore. Called by entry scripts before ``@hydra.main`` runs."""
    from hydra.core.config_store import ConfigStore  # imported here: the library never needs Hydra

    cs = ConfigStore.instance()
    cs.store(name="prepare_data_schema", node=PrepareDataConfig)
