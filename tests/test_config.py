"""The schemas against conf/: every entry config composes, a bad choice fails at compose time, and every value
has one home (a field the YAML sets has no second default in the dataclass)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import ValidationError

from hotline_ml.classify.features import TASKS
from hotline_ml.config import (
    ClassWeighting,
    DataFormat,
    Pooling,
    Promote,
    Reconcile,
    SplitMethod,
    register_configs,
)
from tests.helpers import CONF, compose_config

#: Every entry config (conf/*.yaml but the shared Hydra settings), each as it comes ...
ENTRY_NAMES = sorted(p.stem for p in CONF.glob("*.yaml") if p.stem != "hydra_settings")
#: ... and the variants that bring in other groups (experiments, optional routing and masking, other data).
ENTRY_CONFIGS = [
    *[(name, []) for name in ENTRY_NAMES],
    ("pretrain_mlm", ["+experiment=tipdm2020c_mlm"]),
    ("pretrain_mlm", ["+experiment=tipdm2020c_more_mlm"]),
    ("train_classifier", ["+experiment=tipdm2020c"]),
    ("train_classifier", ["+experiment=tipdm2020c_full"]),
    ("train_classifier", ["+experiment=tipdm2020c_more"]),
    ("train_classifier", ["+experiment=tipdm2020c_more_full"]),
    *[("train_classifier", [f"model={m}"]) for m in ("bert-base-chinese", "chinese-roberta-wwm-ext", "rbt3")],
    ("fit_forecasts", ["series=boston311"]),
    ("find_hot_issues", ["data=tipdm2020c_likes"]),
    ("compute_indicators", ["data=tipdm2020c_replies"]),
    ("batch_score", ["routing=default", "desensitize=default"]),
    ("serve", ["routing=default", "desensitize=default"]),
]

SCHEMAS = [f"{name}_schema" for name in ENTRY_NAMES]

#: (schema, field) that keep a dataclass default although a YAML sets them, and why.
SECOND_HOME_ALLOWED = {
    # built in code without YAML: hotline_ml/predict/loading.py masks every kind for a model logged without
    # masking settings, and tests build DesensitizeConfig(salt=...)
    ("DesensitizeConfig", "enabled"), ("DesensitizeConfig", "kinds"),
    # tests build TrackingConfig(tracking_uri=..., experiment=...) and PredictorConfig(model=..., tracking_uri=...)
    ("TrackingConfig", "run_name"), ("TrackingConfig", "tags"),
    ("PredictorConfig", "num_threads"), ("PredictorConfig", "int8"), ("PredictorConfig", "batch_size"),
    ("PredictorConfig", "device"), ("PredictorConfig", "precision"),
    # an empty container the defaults list fills (conf/forecast/); removing every candidate is a valid run
    ("FitForecastsConfig", "candidates"),
    # optional cue lists of one rule: absent means none
    ("EmergencyRule", "keywords"), ("EmergencyRule", "patterns"), ("EmergencyRule", "unless"),
    ("SignalRule", "keywords"), ("SignalRule", "patterns"),
    ("DangerState", "keywords"), ("DangerState", "patterns"),
}


@pytest.mark.parametrize(("name", "overrides"), ENTRY_CONFIGS)
def test_every_entry_config_composes_to_its_typed_object(name: str, overrides: list[str]) -> None:
    compose_config(name, overrides)


@pytest.mark.parametrize(("name", "override"), [
    ("train_classifier", "registry.promote=sometimes"),
    ("train_classifier", "classifier.class_weighting=inverse"),
    ("train_classifier", "classifier.tasks=[type_l1,type_l3]"),
    ("train_classifier", "classifier.primary_task=appeal"),
    ("train_classifier", "classifier.families=[bert,svm]"),
    ("train_classifier", "model.pooling=max"),
    ("prepare_data", "split.method=random"),
    ("prepare_data", "data.format=xml"),
    ("prepare_data", "desensitize.kinds=[phone,ssn]"),
    ("fit_forecasts", "series.source=api"),
    ("fit_forecasts", "reconcile=top_down"),
    ("batch_score", "output_format=json"),
])
def test_a_bad_choice_fails_at_compose_time(name: str, override: str) -> None:
    with pytest.raises(ConfigCompositionException) as err:
        compose_config(name, [override])
    assert isinstance(err.value.__cause__, ValidationError)
    bad = override.split("=")[1].strip("[]").split(",")[-1]
    assert bad in str(err.value.__cause__)  # the message names the bad value (and lists the allowed ones)


def test_choices_arrive_as_enums_that_compare_and_print_as_their_value() -> None:
    cfg = compose_config("train_classifier")
    assert cfg.registry.promote is Promote.if_better and cfg.registry.promote == "if_better"
    assert cfg.model.pooling is Pooling.mean and f"{cfg.model.pooling}" == "mean"
    assert cfg.classifier.class_weighting is ClassWeighting.sqrt
    assert cfg.split.method is SplitMethod.time and cfg.data.format is None
    assert f"test_{cfg.classifier.primary_task}_macro_f1" == "test_type_l1_macro_f1"
    assert compose_config("fit_forecasts").reconcile is Reconcile.bottom_up
    assert compose_config("prepare_data", ["data=tipdm2020c"]).data.format is DataFormat.csv


def test_choice_sets_agree_with_the_code_that_implements_them() -> None:
    from hotline_ml.config import PiiKind
    from hotline_ml.data.desensitize import ALL_KINDS
    from hotline_ml.data.io import FORMATS

    assert set(PiiKind) == set(ALL_KINDS)
    assert set(DataFormat) == set(FORMATS.values())
    assert TASKS == ("type_l1", "type_l2", "urgency")


def _schema_fields(typed: object, raw: object) -> Iterator[tuple[str, str, bool, object]]:
    """(schema, field, whether the YAML sets it, the dataclass default) for every schema node of ``typed``."""
    if isinstance(typed, DictConfig) and not (typed._is_none() or typed._is_missing()):
        raw_dict = raw if isinstance(raw, DictConfig) and not raw._is_none() else None
        schema = OmegaConf.get_type(typed)
        if dataclasses.is_dataclass(schema):
            for f in dataclasses.fields(schema):
                has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                default = f.default if f.default is not dataclasses.MISSING else "<factory>"
                yield schema.__name__, f.name, raw_dict is not None and f.name in raw_dict, \
                    default if has_default else "???"
        for key in typed:
            yield from _schema_fields(typed._get_node(key),
                                      raw_dict._get_node(key) if raw_dict is not None and key in raw_dict else None)
    elif isinstance(typed, ListConfig) and not (typed._is_none() or typed._is_missing()):
        for i in range(len(typed)):
            yield from _schema_fields(typed._get_node(i),
                                      raw._get_node(i) if isinstance(raw, ListConfig) and i < len(raw) else None)


def _compose_all() -> list:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return [compose(config_name=name, overrides=overrides) for name, overrides in ENTRY_CONFIGS]


def test_every_entry_config_has_its_schema_and_the_shared_files() -> None:
    store = ConfigStore.instance()
    assert {name for name in store.list("/") if name.endswith("_schema.yaml")} == {f"{s}.yaml" for s in SCHEMAS}
    for name in ENTRY_NAMES:
        defaults = (CONF / f"{name}.yaml").read_text(encoding="utf-8").split("defaults:")[1]
        assert f"  - {name}_schema\n  - hydra_settings\n  - paths: default\n" in defaults, name


def test_shared_values_are_written_once() -> None:
    """The Hydra settings, the external-data path and the MLflow store each have one home in conf/."""
    texts = {str(p.relative_to(CONF)): p.read_text(encoding="utf-8") for p in CONF.rglob("*.yaml")}
    homes = {value: sorted(name for name, text in texts.items() if value in text)
             for value in ("\nhydra:", "../shared/data/external", "sqlite:///mlflow.db", "MLFLOW_TRACKING_URI")}
    assert homes == {"\nhydra:": ["hydra_settings.yaml"], "../shared/data/external": ["paths/default.yaml"],
                     "sqlite:///mlflow.db": ["paths/default.yaml"], "MLFLOW_TRACKING_URI": ["paths/default.yaml"]}


def test_every_value_has_one_home() -> None:
    typed = _compose_all()
    store = ConfigStore.instance()
    try:
        for name in SCHEMAS:  # the YAML alone: the same configs with empty schemas
            store.store(name=name, node={})
        raw = _compose_all()
    finally:
        register_configs()
    sets: dict[tuple[str, str], list[bool]] = {}
    defaults: dict[tuple[str, str], object] = {}
    for t, r in zip(typed, raw, strict=True):
        for schema, name, yaml_sets, default in _schema_fields(t, r):
            sets.setdefault((schema, name), []).append(yaml_sets)
            defaults[(schema, name)] = default
    two_homes = sorted(k for k, s in sets.items()
                       if all(s) and defaults[k] != "???" and k not in SECOND_HOME_ALLOWED)
    assert not two_homes, f"set in every YAML but with a dataclass default too (make them MISSING): {two_homes}"
    stale = sorted(k for k in SECOND_HOME_ALLOWED if k in sets and defaults[k] == "???")
    assert not stale, f"now MISSING, remove from SECOND_HOME_ALLOWED: {stale}"
