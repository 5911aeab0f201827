"""Demand forecasts per category and district: backtest, choose per series, fit, reconcile, warn, register.

    python training/fit_forecasts.py                                 # the synthetic corpus
    python training/fit_forecasts.py series=boston311 candidates.sarimax.model.holidays=false   # Boston 311
    python training/fit_forecasts.py -m backtest.horizon=7,14        # a sweep: one MLflow run per job
"""

import hydra
from hydra_tags import run_tags
from omegaconf import DictConfig, OmegaConf

from hotline_ml import tracking
from hotline_ml.config import FitForecastsConfig, register_configs
from hotline_ml.forecast.job import format_summary, log_forecast_run, run_forecast_job

register_configs()


@hydra.main(version_base="1.3", config_path="../conf", config_name="fit_forecasts")
def main(dcfg: DictConfig) -> None:
    cfg: FitForecastsConfig = OmegaConf.to_object(dcfg)
    with tracking.start_run(cfg.tracking, run_name=f"forecast-{cfg.series.name}", tags=run_tags(), config=cfg):
        result = run_forecast_job(cfg)
        log_forecast_run(result, cfg)
    print(format_summary(result))


if __name__ == "__main__":
    main()
