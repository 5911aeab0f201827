"""Backtest tables and metrics: every candidate, the out-of-sample automatic choice, bottom-up, the baseline.

The ``auto`` rows score, at each origin, the candidate chosen on the other origins (see
:func:`hotline_ml.forecast.backtest.cross_selected`), so they estimate what the automatic choice delivers on
days it has not seen. The seasonal naive rows sit beside them everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from hotline_ml.forecast.aggregate import SeriesPanel
from hotline_ml.forecast.backtest import METRICS, score_origins
from hotline_ml.forecast.engine import SeriesFit
from hotline_ml.forecast.reconcile import bottom_up_backtest

AUTO, BOTTOM_UP = "auto", "bottom_up"


def auto_forecasts(fits: Mapping[str, SeriesFit]) -> pd.DataFrame:
    """Backtest forecast rows of the out-of-sample choice: ``series, origin, date, actual, mean, bounds``."""
    frames = []
    for key, fit in fits.items():
        if fit.auto_by_origin is None:
            continue
        pick = fit.cv["origin"].map(fit.auto_by_origin)
        rows = fit.cv[fit.cv["candidate"] == pick].drop(columns="candidate")
        frames.append(rows.assign(series=key))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def score_table(fits: Mapping[str, SeriesFit], panel: SeriesPanel, children: Mapping[str, Sequence[str]],
                level: Sequence[int], period: int) -> pd.DataFrame:
    """Per-origin scores of every series and method.

    Returns:
        Rows ``series, level, method, origin, mae, scale, mase, smape, coverage<l>``; ``method`` is a candidate
        name, ``auto``, or ``bottom_up`` (parents only, summed from the bottom series' ``auto`` forecasts).
    """
    frames = []
    for key, fit in fits.items():
        for name, scores in fit.scores.items():
            frames.append(scores.assign(series=key, method=name))
    auto = auto_forecasts(fits)
    for key, rows in auto.groupby("series") if len(auto) else []:
        frames.append(score_origins(rows, panel.counts[key], period, level).assign(series=key, method=AUTO))
    if children and len(auto):
        bottom = auto[auto["series"].isin({b for keys in children.values() for b in keys})]
        parents = {p: keys for p, keys in children.items() if all(k in fits and fits[k].scores for k in keys)}
        bu = bottom_up_backtest(bottom, parents, level, panel.counts)
        for key, rows in bu.groupby("series") if len(bu) else []:
            frames.append(score_origins(rows, panel.counts[key], period, level).assign(series=key, method=BOTTOM_UP))
    if not frames:
        return pd.DataFrame(columns=["series", "level", "method", "origin", *METRICS])
    table = pd.concat(frames, ignore_index=True)
    table.insert(1, "level", table["series"].map(panel.meta["level"]))
    return table


def per_series(table: pd.DataFrame) -> pd.DataFrame:
    """Mean over origins per series and method (index ``series, level, method``)."""
    metric_cols = [c for c in table.columns if c in METRICS or c.startswith("coverage")]
    return table.groupby(["series", "level", "method"])[metric_cols].mean()


def level_summary(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Mean per level and method over series, with ``relative_mase`` = method MASE / baseline MASE on the same
    series (series with an undefined MASE are left out of both)."""
    s = per_series(table).reset_index()
    s = s[s["mase"].notna()]
    out = s.groupby(["level", "method"]).mean(numeric_only=True)
    out["series"] = s.groupby(["level", "method"]).size()
    base = out.xs(baseline, level="method")["mase"]
    out["relative_mase"] = out["mase"] / out.index.get_level_values("level").map(base).to_numpy()
    return out


def headline_metrics(table: pd.DataFrame, baseline: str, level: Sequence[int]) -> dict[str, float]:
    """``backtest_*`` metrics over every backtested series: the automatic choice and the baseline beside it.

    Also ``backtest_mase_bottom_up`` (parents reconciled bottom-up) and ``backtest_relative_mase``.
    """
    s = per_series(table).reset_index()
    s = s[s["mase"].notna()]
    out: dict[str, float] = {}
    for method, suffix in ((AUTO, ""), (baseline, f"_{baseline}"), (BOTTOM_UP, f"_{BOTTOM_UP}")):
        rows = s[s["method"] == method]
        if rows.empty:
            continue
        out[f"backtest_mase{suffix}"] = float(rows["mase"].mean())
        out[f"backtest_smape{suffix}"] = float(rows["smape"].mean())
        for lv in level:
            out[f"backtest_coverage{lv}{suffix}"] = float(rows[f"coverage{lv}"].mean())
    if f"backtest_mase_{baseline}" in out and "backtest_mase" in out:
        out["backtest_relative_mase"] = out["backtest_mase"] / out[f"backtest_mase_{baseline}"]
    return out


def per_category_metrics(table: pd.DataFrame, levels: Sequence[str], baseline: str) -> dict[str, float]:
    """``backtest_mase/<series>`` (automatic choice) and ``backtest_mase_<baseline>/<series>`` for the series of
    ``levels`` (e.g. the category level), plus ``backtest_mase_bottom_up/<series>`` where reconciled."""
    s = per_series(table).reset_index()
    s = s[s["level"].isin(levels)]
    out = {}
    for method, prefix in ((AUTO, "backtest_mase"), (baseline, f"backtest_mase_{baseline}"),
                           (BOTTOM_UP, f"backtest_mase_{BOTTOM_UP}")):
        for row in s[s["method"] == method].itertuples(index=False):
            out[f"{prefix}/{row.series}"] = float(row.mase)
    return out
