"""The review notebooks run top to bottom against a small tracked classifier run and forecaster run created
here (a real sqlite MLflow store and registry), and are kept in git without outputs."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

from hotline_ml import tracking
from tests.helpers import ROOT, SMALL_SYNTHETIC, classifier_overrides, compose_config

NOTEBOOKS = ROOT / "notebooks"
REVIEW = NOTEBOOKS / "01_experiment_review.ipynb"
DEMAND = NOTEBOOKS / "02_demand_and_warnings.ipynb"

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path, small_prepare_cfg) -> str:
    """A sqlite store holding one classifier run (registered, champion) and one forecaster run (registered)."""
    from hotline_ml.classify.job import run_classifier_job
    from hotline_ml.forecast.job import run_forecast_job

    tmp = tmp_path_factory.mktemp("review")
    uri = f"sqlite:///{tmp}/mlflow.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        cfg = compose_config("train_classifier", classifier_overrides(tmp / "cls", tiny_bert_dir))
        cfg.tracking.tracking_uri = uri
        with tracking.start_run(cfg.tracking, run_name="notebook-test", config=cfg):
            tracking.log_record(run_classifier_job(cfg))
        fcfg = compose_config("fit_forecasts", [
            *SMALL_SYNTHETIC, f"data.path={small_prepare_cfg.data.path}", f"output_dir={tmp}/forecast",
            "~series.levels.category_district", "~forecast@candidates.combination", "n_jobs=1", "horizon=14",
            "plot_top=1", "warning.replay_days=63", "warning.score_levels=[category]"])
        fcfg.tracking.tracking_uri = uri
        record = run_forecast_job(fcfg, progress=False)
        with tracking.start_run(fcfg.tracking, run_name="notebook-test", config=fcfg):
            tracking.log_record(record)
    return uri


def _execute(path: Path, uri: str, monkeypatch: pytest.MonkeyPatch):
    """Run the notebook in a fresh kernel from notebooks/ (as Jupyter would), pointed at ``uri``."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def _outputs(nb) -> tuple[str, list[bytes]]:
    text, images = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text.append(out["text"])
            for mime, value in out.get("data", {}).items():
                if mime == "image/png":
                    images.append(base64.b64decode(value))
                elif mime in ("text/plain", "text/html"):
                    text.append(value)
    return "\n".join(text), images


def test_experiment_review_runs_against_a_tracked_run(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text, images = _outputs(_execute(REVIEW, store, monkeypatch))
    assert store in text and "champion: hotline-appeal-classifier version 1" in text
    assert all(f"type_l1 {f}" in text for f in ("bert", "linear", "ensemble"))  # the families side by side
    assert "automated at accuracy" in text
    # macro-F1 per run, two confusion matrices, two reliability diagrams, the coverage curve
    assert len(images) >= 6 and all(img.startswith(b"\x89PNG") for img in images)


def test_demand_review_runs_against_a_registered_forecaster(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text, images = _outputs(_execute(DEMAND, store, monkeypatch))
    assert "models:/hotline-demand-forecaster@candidate: version 1" in text and "16 series" in text
    assert "seasonal_naive" in text and "# Demand early warning" in text
    assert len(images) >= 3  # forecasts, backtest by level, backtest per category


@pytest.mark.parametrize("path", [REVIEW, DEMAND], ids=lambda p: p.name)
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
