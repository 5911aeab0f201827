"""The forecasting job end to end on the small synthetic corpus, through the real composed config and MLflow."""

from __future__ import annotations

import re
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from hotline_ml import tracking
from hotline_ml.forecast.bundle import load_bundle
from hotline_ml.forecast.job import run_forecast_job
from tests.helpers import SMALL_SYNTHETIC, compose_config

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("forecast")
    cfg = compose_config("fit_forecasts", [
        *SMALL_SYNTHETIC, f"data.path={out}/orders.csv", f"output_dir={out}",
        "data.synthetic.surges.min_extra_per_day=15",  # surges in the replayed weeks the warning must flag
        "~series.levels.category_district",        # total + 15 categories keeps the test fast
        "~forecast@candidates.combination",        # the combination is covered by the model tests; keeps this fast
        "n_jobs=1", "horizon=14", "plot_top=2", "warning.replay_days=63", "warning.score_levels=[category]",
    ])
    db = out / "mlflow.db"
    cfg.tracking.tracking_uri = f"sqlite:///{db}"
    record = run_forecast_job(cfg, progress=False)
    with tracking.start_run(cfg.tracking, run_name="forecast-test", tags={"sweep": "s1"}, config=cfg) as run_id:
        registered = tracking.log_record(record)
    return cfg, record.result, run_id, registered.version


def test_every_series_gets_a_forecast_and_parents_are_bottom_up(job) -> None:
    cfg, result, _, _ = job
    fc = result.forecasts
    assert set(fc["series"]) == set(result.panel.counts.columns) and len(result.panel.counts.columns) == 16
    assert (fc.groupby("series").size() == cfg.horizon).all()
    assert fc["date"].min() == result.panel.counts.index[-1] + pd.Timedelta(days=1)
    total = fc[fc["series"] == "total"].set_index("date")["mean"]
    categories = fc[fc["series"] != "total"].groupby("date")["mean"].sum()
    np.testing.assert_allclose(total, categories)  # coherent: the total is the sum of the categories
    assert (fc[["mean", "lo_80", "hi_80", "lo_95", "hi_95"]].to_numpy() >= 0).all()


def test_backtest_reports_the_baseline_beside_the_choice(job) -> None:
    _, result, _, _ = job
    methods = set(result.levels.index.get_level_values("method"))
    assert {"auto", "seasonal_naive", "holt_winters", "bottom_up"} <= methods
    assert result.scores.groupby(["series", "method"]).size().max() == 8  # eight origins
    m = result.metrics
    for name in ("backtest_mase", "backtest_mase_seasonal_naive", "backtest_smape", "backtest_coverage80",
                 "backtest_coverage95", "backtest_relative_mase", "backtest_mase_bottom_up"):
        assert np.isfinite(m[name]), name
    assert 0 < m["backtest_coverage80"] < m["backtest_coverage95"] <= 1


def test_mlflow_run_has_metrics_artifacts_and_a_registered_pyfunc(job) -> None:
    cfg, result, run_id, version = job
    metrics = tracking.run_metrics(run_id)
    assert {"backtest_mase", "backtest_coverage80", "backtest_relative_mase", "warning_n_alerts"} <= set(metrics)
    category = result.panel.keys("category")[0]
    assert metrics[f"backtest_mase/{category}"] == pytest.approx(result.metrics[f"backtest_mase/{category}"])
    assert tracking.run_tags(run_id)["sweep"] == "s1"
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "tables")}
    assert "tables/forecasts.parquet" in names and "tables/backtest_scores.parquet" in names
    plots = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "plots")}
    assert plots == {"plots/forecast_01.png", "plots/forecast_02.png"}
    name = cfg.registry.model_name  # the first version is champion (forecaster rule: no champion yet)
    assert tracking.alias_version(name, "champion") == tracking.alias_version(name, "candidate") == "1"
    assert tracking.run_tags(run_id)["promotion"] == "no champion yet" and tracking.run_tags(run_id)["data_digest"]
    model = tracking.load_pyfunc(f"models:/{name}@candidate")
    query = pd.DataFrame({"series": ["total", category], "horizon": [7, 3]})
    served = model.predict(query)
    expected = pd.concat([result.bundle.forecast(7, ["total"]), result.bundle.forecast(3, [category])],
                         ignore_index=True)
    assert version == "1" and len(served) == 10
    np.testing.assert_allclose(served["mean"], expected["mean"])
    np.testing.assert_allclose(served["hi_95"], expected["hi_95"])


def test_saved_bundle_reloads_and_forecasts_the_same(job) -> None:
    _, result, _, _ = job
    again = load_bundle(result.files["bundle"])
    pd.testing.assert_frame_equal(again.forecast(21), result.bundle.forecast(21))
    with pytest.raises(KeyError, match="unknown series"):
        again.forecast(3, ["no-such-series"])
    with pytest.raises(ValueError, match="horizon must be >= 1"):
        again.predict_frame(pd.DataFrame({"series": ["total"], "horizon": [0]}))
    assert again.predict_frame(pd.DataFrame({"series": [], "horizon": []})).empty


def test_warning_report_is_written_with_desensitized_texts(job) -> None:
    _, result, _, _ = job
    report = Path(result.files["warning_report"]).read_text(encoding="utf-8")
    assert report.startswith("# Demand early warning") and "Against the ground-truth surge events" in report
    assert not PHONE.search(report)
    assert len(result.alerts) and result.alerts["event_ids"].map(len).gt(0).any()  # a planted surge is flagged
    charts = re.findall(r"\]\((charts/[^)]+)\)", report)
    assert charts  # the alerts are drawn
    for chart in charts:
        assert (Path(result.files["warning_report"]).parent / chart).is_file()
    assert "Example appeals (desensitized)" in report
    files = pd.read_csv(result.files["fit_report"])
    assert set(files.columns) >= {"series", "chosen", "used", "fallback_reason", "notes"}


def test_boston_config_composes_with_the_external_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_EXTERNAL_DATA", "/somewhere")
    cfg = compose_config("fit_forecasts", ["series=boston311"])
    assert cfg.series.path == "/somewhere/boston311_2015_daily_by_type/boston311_2015_daily_by_case_type.csv"
    assert cfg.series.min_total == 365 and cfg.backtest.horizon == 14 and cfg.backtest.n_origins >= 8
    assert cfg.baseline.name == "seasonal_naive" and cfg.series.holidays == "us"
    assert set(cfg.candidates) == {"holt_winters", "holt_winters_mul", "combination"}
    assert cfg.candidates["holt_winters"].model["holidays"] == "us"  # interpolated from the series config
    small = compose_config("fit_forecasts", ["~forecast@candidates.combination", "backtest.horizon=7"])
    assert set(small.candidates) == {"holt_winters", "holt_winters_mul"} and small.backtest.horizon == 7


@pytest.mark.external
def test_boston_panel_and_a_backtest_on_real_counts(external_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_EXTERNAL_DATA", str(external_dir))
    cfg = compose_config("fit_forecasts", ["series=boston311"])
    from hotline_ml.forecast.aggregate import daily_counts_panel
    from hotline_ml.forecast.engine import fit_panel
    from hotline_ml.forecast.job import make_plan

    panel = daily_counts_panel(cfg.series)
    assert len(panel.counts) == 365 and (panel.counts.loc["2015-07-22"] == 0).all()
    assert (panel.counts.sum() >= 365).all() and len(panel.skipped) + panel.counts.shape[1] == 158
    busiest = panel.counts[panel.keys("key")[:2]]
    fits = fit_panel(busiest, make_plan(cfg), n_jobs=1, progress=False)
    assert len(fits) == 2 and all(len(f.scores["seasonal_naive"]) == cfg.backtest.n_origins for f in fits.values())



def test_forecasters_are_compared_only_on_the_same_backtest_windows(job) -> None:
    from dataclasses import replace

    from hotline_ml.forecast.job import panel_digest

    _, result, _, _ = job
    cfg = compose_config("fit_forecasts", [])
    same = panel_digest(result.panel, cfg.backtest)
    assert panel_digest(result.panel, replace(cfg.backtest)) == same
    assert panel_digest(result.panel, replace(cfg.backtest, horizon=7)) != same
    assert panel_digest(result.panel, replace(cfg.backtest, n_origins=4)) != same
