"""Forecasting benchmark: seconds to fit + backtest 1,000 series, and relative MASE on real Boston 311 counts.

    .venv/bin/python bench/bench_forecast.py            # both parts (Boston skipped when the data is absent)
    .venv/bin/python bench/bench_forecast.py --series 200

1. Speed: the 1,000 busiest second-level type x district series of the synthetic corpus (about 0.1-3 orders a
   day), each backtested at 8 origins (h=14) with the default candidates and fitted on all days, on
   ``n_jobs`` processes, as the default config does it. The baseline in the same process is the seasonal
   naive alone on the same series, so the ratio shows what the statsmodels fits cost.
2. Accuracy: the default plan (SARIMAX without the Chinese holiday regressors) on Boston 311 2015 daily counts
   per case type (types with >= 365 requests), h=14, 8 origins; relative MASE = mean MASE of the
   out-of-sample automatic choice / mean MASE of the seasonal naive on the same series.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from hotline_ml.config import FitForecastsConfig, register_configs
from hotline_ml.data.load import load_orders
from hotline_ml.forecast.aggregate import daily_counts_panel, orders_panel
from hotline_ml.forecast.engine import fit_panel
from hotline_ml.forecast.job import make_plan
from hotline_ml.forecast.summary import level_summary, score_table

ROOT = Path(__file__).resolve().parents[1]


def config(overrides: list[str]) -> FitForecastsConfig:
    register_configs()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return OmegaConf.to_object(compose("fit_forecasts", overrides=overrides))


def speed(n_series: int) -> None:
    cfg = config(["series.category_depth=2", "~series.levels.total", "~series.levels.category"])
    panel = orders_panel(load_orders(cfg.data, None, progress=False).orders, cfg.series)
    counts = panel.counts[panel.keys(panel.bottom_level)[:n_series]]
    plan = make_plan(cfg)
    print(f"{counts.shape[1]} series x {counts.shape[0]} days (mean {counts.to_numpy().mean():.2f} orders/day); "
          f"{plan.backtest.n_origins} origins, h={plan.backtest.horizon}, refit_every={plan.backtest.refit_every}, "
          f"n_jobs={cfg.n_jobs} on {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    fit_panel(counts, replace(plan, candidates=()), cfg.n_jobs, progress=False)
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    fits = fit_panel(counts, plan, cfg.n_jobs, progress=True)
    full = time.perf_counter() - t0
    chosen = {}
    for f in fits.values():
        chosen[f.chosen] = chosen.get(f.chosen, 0) + 1
    print(f"fit + backtest, seasonal naive only: {base:.1f} s")
    print(f"fit + backtest, default candidates ({', '.join(c.name for c in plan.candidates)}): {full:.1f} s "
          f"({full / base:.1f}x the baseline; {1000 * full / len(fits):.0f} ms per series); chosen {chosen}")


def boston() -> None:
    # Chinese public holidays mean nothing for Boston: SARIMAX keeps its yearly Fourier terms only
    cfg = config(["series=boston311", "candidates.sarimax.model.holidays=false"])
    if not Path(cfg.series.path).is_file():
        print(f"Boston 311 data not found at {cfg.series.path}; skipped")
        return
    panel = daily_counts_panel(cfg.series)
    plan = make_plan(cfg)
    t0 = time.perf_counter()
    fits = fit_panel(panel.counts, plan, cfg.n_jobs, progress=True)
    seconds = time.perf_counter() - t0
    summary = level_summary(score_table(fits, panel, {}, plan.level, plan.period), plan.baseline.name)
    print(f"Boston 311 2015: {panel.counts.shape[1]} case types with >= {cfg.series.min_total} requests "
          f"({len(panel.skipped)} skipped), h={plan.backtest.horizon}, {plan.backtest.n_origins} origins, "
          f"{seconds:.1f} s")
    print(summary.round(3).to_string())
    print(f"relative MASE (auto / seasonal naive) at h={plan.backtest.horizon}: "
          f"{summary.loc[('key', 'auto'), 'relative_mase']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000, help="number of synthetic series to fit")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if not args.skip_speed:
        speed(args.series)
    boston()


if __name__ == "__main__":
    main()
