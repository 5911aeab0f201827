"""Typed configuration schemas.

The YAML files under ``conf/`` hold values only; these dataclasses hold the shape. Entry scripts register
them with Hydra's ConfigStore (:func:`register_configs`), so a typo or a wrong type fails when the config is
composed, and then convert the composed config once with ``OmegaConf.to_object`` and pass these typed objects
down. The library itself never imports Hydra at import time and never takes a raw ``DictConfig``.

Every value has one home. A field the YAML sets is ``MISSING`` here (no second default that could disagree);
a field keeps a default only where no YAML sets it, or where code builds the dataclass without YAML (a fallback
for old models, tests). A choice from a fixed set is a :class:`Choice` enum, so a bad value fails at compose
time, naming the key and the allowed values.

The schemas are split by topic (one module each): :mod:`~hotline_ml.config.common` (choices, tracking, registry,
paths, Spark), :mod:`~hotline_ml.config.data`, :mod:`~hotline_ml.config.classify`,
:mod:`~hotline_ml.config.forecast`, :mod:`~hotline_ml.config.insight` and :mod:`~hotline_ml.config.serving`; this
package re-exports every name, so ``from hotline_ml.config import DataConfig`` works for any of them.
"""

from __future__ import annotations

from hotline_ml.config.classify import (  # noqa: F401
    ClassifierConfig,
    CorrectionsConfig,
    LinearConfig,
    MlmArchitecture,
    ModelConfig,
    PretrainMlmConfig,
    RepostConfig,
    TextSource,
    TokenizerConfig,
    TrainClassifierConfig,
)
from hotline_ml.config.common import (  # noqa: F401
    URGENCY_LEVELS,
    Choice,
    ClassWeighting,
    DataFormat,
    Engine,
    Family,
    HolidayCalendar,
    LinearLoss,
    OutputFormat,
    PathsConfig,
    PiiKind,
    PlaceKind,
    Pooling,
    Precision,
    Promote,
    Reconcile,
    RegistryConfig,
    SeriesSource,
    SparkConfig,
    SplitMethod,
    Task,
    TextWindow,
    TrackingConfig,
)
from hotline_ml.config.data import (  # noqa: F401
    DataConfig,
    DesensitizeConfig,
    LabelTreeConfig,
    PrepareDataConfig,
    SplitConfig,
    SurgeConfig,
    SyntheticConfig,
)
from hotline_ml.config.forecast import (  # noqa: F401
    BacktestConfig,
    EarlyWarningConfig,
    FitForecastsConfig,
    ForecastCandidateConfig,
    SanityConfig,
    SeriesConfig,
)
from hotline_ml.config.insight import (  # noqa: F401
    ComputeIndicatorsConfig,
    FindHotIssuesConfig,
    HeatWeights,
    HotIssueConfig,
    IndicatorConfig,
    PlaceConfig,
)
from hotline_ml.config.serving import (  # noqa: F401
    BatchScoreConfig,
    ConceptConfig,
    DangerState,
    DetectorConfig,
    DriftConfig,
    EmergencyRule,
    FramingConfig,
    PolicyConfig,
    PredictorConfig,
    RoutingConfig,
    ServeConfig,
    SignalRule,
)


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
