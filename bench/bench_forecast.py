"""Forecasting benchmark: today's engine against the statsmodels engine it replaced, in the same process.

    .venv/bin/python bench/bench_forecast.py                 # 1,000 synthetic series + Boston 311
    .venv/bin/python bench/bench_forecast.py --series 200    # (Boston is skipped when the data is absent)

1. Speed and accuracy on synthetic series: the busiest second-level type x district series of the synthetic
   corpus (about 0.1-3 orders a day), each backtested at 8 origins (h=14) and fitted on all days, on
   ``n_jobs`` processes, as the job does it. Engines: ``default`` (the candidates of conf/fit_forecasts.yaml:
   Holt-Winters on a grid, vectorised) and ``statsmodels`` (ETS + SARIMAX, the engine before it; selectable
   with the overrides in ``STATSMODELS``). Prints seconds and ms per series of each, the speed ratio, and the
   relative MASE of each engine's out-of-sample automatic choice on the same series.
2. Boston 311 2015 daily counts per case type (types with >= 365 requests), h=14, 8 origins: relative MASE =
   mean MASE of the out-of-sample automatic choice / mean MASE of the seasonal naive on the same series, for
   both engines (SARIMAX without the Chinese holiday regressors; Holt-Winters with US holidays).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

from hotline_ml.cli import compose
from hotline_ml.data.prepared import prepared_orders
from hotline_ml.forecast.aggregate import SeriesPanel, daily_counts_panel, orders_panel
from hotline_ml.forecast.engine import fit_panel
from hotline_ml.forecast.job import make_plan
from hotline_ml.forecast.summary import AUTO, level_summary, score_table

# the statsmodels engine of before: ETS (damped, weekly) + SARIMAX with yearly Fourier terms and holidays
STATSMODELS = ["~forecast@candidates.holt_winters", "~forecast@candidates.holt_winters_mul",
               "~forecast@candidates.combination", "+forecast@candidates.ets=ets",
               "+forecast@candidates.sarimax=sarimax", "backtest.refit_every=4", "backtest.baseline_margin=0"]
ENGINES = {"default": [], "statsmodels": STATSMODELS}


def run(panel: SeriesPanel, counts, overrides: list[str]) -> tuple[float, float, Counter]:
    """Fit + backtest ``counts`` with the plan of ``overrides``: seconds, relative MASE, choices."""
    cfg = compose("fit_forecasts", overrides)
    plan = make_plan(cfg)
    t0 = time.perf_counter()
    fits = fit_panel(counts, plan, cfg.n_jobs, progress=False)
    seconds = time.perf_counter() - t0
    summary = level_summary(score_table(fits, panel, {}, plan.level, plan.period), plan.baseline.name)
    rel = float(summary.xs(AUTO, level="method")["relative_mase"].iloc[0])
    return seconds, rel, Counter(f.chosen for f in fits.values())


def speed(n_series: int) -> None:
    levels = ["series.category_depth=2", "~series.levels.total", "~series.levels.category"]
    cfg = compose("fit_forecasts", levels)
    orders = prepared_orders(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared, progress=False).orders
    panel = orders_panel(orders, cfg.series)
    counts = panel.counts[panel.keys(panel.bottom_level)[:n_series]]
    print(f"{counts.shape[1]} series x {counts.shape[0]} days (mean {counts.to_numpy().mean():.2f} orders/day); "
          f"{cfg.backtest.n_origins} origins, h={cfg.backtest.horizon}, n_jobs={cfg.n_jobs} on {os.cpu_count()} CPUs")
    out = {}
    for name, overrides in ENGINES.items():
        seconds, rel, chosen = out[name] = run(panel, counts, levels + overrides)
        print(f"  {name:12s} {seconds:6.1f} s  {1000 * seconds / counts.shape[1]:6.1f} ms per series  "
              f"relative MASE {rel:.3f}  chosen {dict(chosen)}")
    print(f"speed ratio (statsmodels / default, same series, same process): "
          f"{out['statsmodels'][0] / out['default'][0]:.1f}x")


def boston() -> None:
    cfg = compose("fit_forecasts", ["series=boston311"])
    if not Path(cfg.series.path).is_file():
        print(f"Boston 311 data not found at {cfg.series.path}; skipped")
        return
    panel = daily_counts_panel(cfg.series)
    print(f"Boston 311 2015: {panel.counts.shape[1]} case types with >= {cfg.series.min_total} requests "
          f"({len(panel.skipped)} skipped), h={cfg.backtest.horizon}, {cfg.backtest.n_origins} origins")
    out = {}
    for name, overrides in ENGINES.items():
        extra = ["candidates.sarimax.model.holidays=false"] if name == "statsmodels" else []  # Chinese holidays
        seconds, rel, chosen = out[name] = run(panel, panel.counts, ["series=boston311", *overrides, *extra])
        print(f"  {name:12s} {seconds:6.1f} s  relative MASE (auto / seasonal naive) {rel:.3f}  chosen {dict(chosen)}")
    ratio = out["statsmodels"][0] / out["default"][0]
    print(f"Boston relative MASE at h={cfg.backtest.horizon}: {out['default'][1]:.3f} "
          f"(statsmodels engine {out['statsmodels'][1]:.3f}); speed ratio {ratio:.1f}x")


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
