"""Bottom-up reconciliation: a parent series' forecast is the sum of its bottom series' forecasts.

Means add up exactly, so district forecasts always sum to their category (and the category forecasts to the
total). Intervals assume independent bottom errors: each bottom series' standard deviation is read back from
its upper bound (``(hi - mean) / z``; the lower bound may have been clipped at 0), variances are summed, and the
parent interval is ``mean +- z * sqrt(sum of variances)``, clipped at 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from hotline_ml.forecast.models import interval_columns


def bottom_up(frames: Mapping[str, pd.DataFrame], children: Mapping[str, Sequence[str]],
              level: Sequence[int]) -> dict[str, pd.DataFrame]:
    """Parent forecast frames from bottom forecast frames.

    Args:
        frames: Bottom key -> forecast frame indexed by ``date`` (same dates for all), counts/day.
        children: Parent key -> its bottom keys.
        level: Interval levels of the frames.

    Returns:
        Parent key -> forecast frame indexed by ``date`` (columns ``mean``, ``lo_<l>``, ``hi_<l>``).
    """
    out = {}
    for parent, keys in children.items():
        if not keys:
            raise ValueError(f"bottom-up reconciliation: parent series {parent!r} has no bottom series")
        parts = pd.concat([frames[k].rename_axis("date").reset_index() for k in keys], ignore_index=True)
        out[parent] = sum_independent(parts, ["date"], level)
    return out


def bottom_up_backtest(cv: pd.DataFrame, children: Mapping[str, Sequence[str]], level: Sequence[int],
                       actuals: pd.DataFrame) -> pd.DataFrame:
    """Bottom-up backtest forecasts of the parents from the bottom series' backtest forecasts.

    Args:
        cv: Rows ``series, origin, date, mean, lo_<l>, hi_<l>`` for the bottom series.
        children: Parent key -> bottom keys.
        level: Interval levels.
        actuals: Days x series counts (for the parents' ``actual`` column).

    Returns:
        Rows ``series, origin, date, actual, mean, lo_<l>, hi_<l>`` for the parents.
    """
    frames = []
    for parent, keys in children.items():
        frame = sum_independent(cv[cv["series"].isin(keys)], ["origin", "date"], level).reset_index()
        frame.insert(0, "series", parent)
        frame.insert(3, "actual", actuals[parent].reindex(frame["date"]).to_numpy())
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def sum_independent(parts: pd.DataFrame, by: list[str], level: Sequence[int]) -> pd.DataFrame:
    """Sum forecasts of independent series within groups ``by`` (means add, variances add).

    Args:
        parts: Rows with the ``by`` columns, ``mean`` and ``hi_<l>`` per level.
        by: Grouping columns (e.g. ``["date"]``).
        level: Interval levels.

    Returns:
        Frame indexed by ``by`` with ``mean``, ``lo_<l>``, ``hi_<l>``.
    """
    work = parts[[*by, "mean"]].copy()
    z = {lv: norm.ppf(0.5 + lv / 200) for lv in level}
    for lv in level:
        work[f"var_{lv}"] = ((parts[f"hi_{lv}"] - parts["mean"]).to_numpy() / z[lv]) ** 2
    summed = work.groupby(by, sort=True).sum()
    out = pd.DataFrame({"mean": summed["mean"]})
    for lv in level:
        sd = np.sqrt(summed[f"var_{lv}"])
        out[f"lo_{lv}"] = np.maximum(summed["mean"] - z[lv] * sd, 0.0)
        out[f"hi_{lv}"] = summed["mean"] + z[lv] * sd
    return out[interval_columns(level)]
