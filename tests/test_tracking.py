"""tracking.py against a real temporary sqlite MLflow store."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from hotline_ml import tracking
from hotline_ml.config import TrackingConfig
from hotline_ml.config_files import write_config_files


@dataclass
class _Inner:
    lr: float = 2e-5
    layers: list[int] = field(default_factory=lambda: [1, 2])


@dataclass
class _Cfg:
    name: str = "x"
    inner: _Inner = field(default_factory=_Inner)
    long: str = "长" * 7000


class _Length(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"n": model_input["text"].str.len().astype(float)})


@pytest.fixture
def cfg(tmp_path: Path) -> TrackingConfig:
    return TrackingConfig(tracking_uri=os.environ["MLFLOW_TRACKING_URI"], experiment="test")


def test_flatten_params_nests_and_truncates() -> None:
    flat = tracking.flatten_params({"a": {"b": {"c": 1}, "d": [1, 2]}, "e": "x" * 7000, "f": None})
    assert flat["a.b.c"] == "1" and flat["a.d"] == "[1, 2]" and flat["f"] == "null"
    assert len(flat["e"]) == tracking.MAX_PARAM_VALUE and flat["e"].endswith("...")


def test_run_logs_params_metrics_tags_and_artifacts(cfg: TrackingConfig, tmp_path: Path) -> None:
    with tracking.start_run(cfg, run_name="r1", tags={"sweep": "s1"}, config=_Cfg()) as run_id:
        tracking.log_metrics({"eval_macro_f1": 0.5, "backtest_mase/供水供电供暖燃气/供暖": 0.8, "bad": float("nan")})
        tracking.log_table(pd.DataFrame({"a": [1]}), "tables/t.parquet")
    run = mlflow.MlflowClient().get_run(run_id)
    assert run.data.params["inner.lr"] == "2e-05" and len(run.data.params["long"]) == 6000
    assert run.data.metrics == {"eval_macro_f1": 0.5, "backtest_mase/供水供电供暖燃气/供暖": 0.8}
    assert run.data.tags["sweep"] == "s1" and run.info.run_name == "r1"
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id)}
    assert {"config.yaml", "tables"} <= names and "config.json" not in names  # the config is stored once
    # artifacts live beside the temporary database, not in the working directory
    assert Path(run.info.artifact_uri.removeprefix("file://")).is_relative_to(tmp_path)


def test_pyfunc_model_registers_aliases_and_reloads(cfg: TrackingConfig) -> None:
    example = pd.DataFrame({"text": ["小区停水了", "路灯不亮"]})
    with tracking.start_run(cfg, run_name="m"):
        _, version = tracking.log_pyfunc_model(_Length(), {}, example, _Length().predict(None, example),
                                               registered_name="test-model", pip_requirements=["pandas"])
    assert version == "1" and tracking.alias_version("test-model", "candidate") is None
    tracking.set_alias("test-model", "candidate", version)
    assert tracking.alias_version("test-model", "candidate") == "1"
    assert tracking.alias_version("no-such-model", "champion") is None
    model = tracking.load_pyfunc("models:/test-model@candidate")
    assert model.predict(example)["n"].tolist() == [5.0, 4.0]


class _Counter:
    """A stand-in predictor: what ``log_predictor_model`` loads and serves."""

    def __init__(self, artifacts: dict[str, str], model_config: dict) -> None:
        self.prefix = Path(artifacts["prefix"]).read_text(encoding="utf-8")
        self.config = model_config

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"label": [self.prefix + t for t in frame["text"]], "tags": [["a", "b"]] * len(frame),
                             "model_name": self.config["model_name"], "run_id": self.config["run_id"]})


def load_counter(artifacts: dict[str, str], model_config: dict | None = None) -> _Counter:
    return _Counter(artifacts, model_config or {})


def test_predictor_model_is_served_by_its_loader_with_name_and_run(cfg: TrackingConfig, tmp_path: Path) -> None:
    (tmp_path / "prefix.txt").write_text("p:", encoding="utf-8")
    example = pd.DataFrame({"text": ["小区停水了"], "title": ["停水"]})
    with tracking.start_run(cfg, run_name="p") as run_id:
        _, version = tracking.log_predictor_model("tests.test_tracking:load_counter",
                                                  {"prefix": str(tmp_path / "prefix.txt")}, example,
                                                  registered_name="test-predictor")
    model = tracking.load_pyfunc(f"models:/test-predictor/{version}")
    out = model.predict(pd.DataFrame({"text": ["路灯不亮"]}))  # title is optional
    assert out["label"].tolist() == ["p:路灯不亮"] and out["tags"].tolist() == [["a", "b"]]
    assert out["model_name"].tolist() == ["test-predictor"] and out["run_id"].tolist() == [run_id]
    inputs = {c.name: c.required for c in model.metadata.get_input_schema().inputs}
    assert inputs == {"text": True, "title": False}
    assert repr(model.metadata.get_output_schema().input_types_dict()["tags"]) == "Array(string)"


def test_log_record_logs_every_part_and_registers_by_the_rule(cfg: TrackingConfig, tmp_path: Path) -> None:
    from hotline_ml.plotting import new_figure
    from hotline_ml.record import ModelToRegister, RunRecord
    from hotline_ml.registry import PromotionRule

    (tmp_path / "prefix.txt").write_text("p:", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("n", encoding="utf-8")
    rule = PromotionRule("test_f1", True, "test_digest")

    def record(f1: float, digest: str) -> RunRecord:
        fig, _ = new_figure()
        r = RunRecord(metrics={"test_f1": f1}, history=[(0, {"loss": 2.0}), (1, {"loss": 1.0})],
                      tags={"test_digest": digest}, tables={"tables/t.csv": pd.DataFrame({"a": [1]})},
                      figures={"plots/f.png": fig}, texts={"reports/r.md": "# r"}, dicts={"d.json": {"k": 1}})
        r.add_artifact(tmp_path / "notes.txt", "extra")
        r.model = ModelToRegister("rec-model", "tests.test_tracking:load_counter",
                                  {"prefix": str(tmp_path / "prefix.txt")}, pd.DataFrame({"text": ["停水"]}), rule)
        return r

    outcomes = []
    for f1, digest in [(0.5, "a"), (0.4, "a"), (0.9, "b"), (0.6, "a")]:
        with tracking.start_run(cfg, run_name=f"rec-{f1}") as run_id:
            r = record(f1, digest)
            outcomes.append(tracking.log_record(r))
    client = mlflow.MlflowClient()
    run = client.get_run(run_id)
    assert run.data.metrics["test_f1"] == 0.6 and run.data.tags["promotion"] == outcomes[-1].reason
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [2.0, 1.0]
    names = {a.path for a in client.list_artifacts(run_id)} | {a.path for a in client.list_artifacts(run_id, "extra")}
    assert {"tables", "plots", "reports", "d.json", "extra/notes.txt"} <= names
    # v1 first champion; v2 worse, kept; v3 better but on other data, kept; v4 better on the same data
    assert [(o.version, o.promoted) for o in outcomes] == [("1", True), ("2", False), ("3", False), ("4", True)]
    assert "other data" in outcomes[2].reason
    assert tracking.alias_version("rec-model", "champion") == "4"
    assert tracking.alias_version("rec-model", "candidate") == "4"


def test_config_artifacts_leave_out_the_salt(tmp_path: Path) -> None:
    from hotline_ml.config import DesensitizeConfig

    files = write_config_files(tmp_path, desensitize=DesensitizeConfig(salt="secret-salt"))
    text = Path(files["desensitize"]).read_text(encoding="utf-8")
    assert "secret-salt" not in text and "salt" not in text and "phone" in text
