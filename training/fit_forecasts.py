"""Demand forecasts per category and district: backtest, choose per series, fit, reconcile, warn, register.

    python training/fit_forecasts.py                                 # the synthetic corpus
    python training/fit_forecasts.py series=boston311 candidates.sarimax.model.holidays=false   # Boston 311
    python training/fit_forecasts.py -m backtest.horizon=7,14        # a sweep: one MLflow run per job

The same job as ``hotline-ml fit-forecasts ...``: the entry point is ``hotline_ml.cli.fit_forecasts_job``.
"""

from hotline_ml.cli import fit_forecasts_job

if __name__ == "__main__":
    fit_forecasts_job()
