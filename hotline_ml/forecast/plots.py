"""Charts: a series' history with its forecast and intervals, and an alert against the forecasts made before it."""

from __future__ import annotations

import pandas as pd

from hotline_ml.plotting import new_figure

HISTORY_DAYS = 120
ALERT_CONTEXT_DAYS = 56


def forecast_figure(history: pd.Series, forecast: pd.DataFrame, title: str, level: tuple[int, ...]):
    """History (last 120 days) and the forecast mean with its intervals (counts/day). Returns the figure."""
    fig, ax = new_figure(9, 4)
    recent = history.iloc[-HISTORY_DAYS:]
    ax.plot(recent.index, recent.to_numpy(), color="0.3", lw=1, label="actual")
    for lv, alpha in zip(sorted(level, reverse=True), (0.15, 0.3), strict=False):
        ax.fill_between(forecast.index, forecast[f"lo_{lv}"], forecast[f"hi_{lv}"], color="C0", alpha=alpha,
                        label=f"{lv}% interval")
    ax.plot(forecast.index, forecast["mean"], color="C0", lw=2, label="forecast")
    _finish(ax, title)
    return fig


def alert_figure(actual: pd.Series, replayed: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, title: str,
                 level: int):
    """Actual counts around an alert against the mean and upper bound of the forecasts made before each day."""
    fig, ax = new_figure(8, 3.5)
    lo = start - pd.Timedelta(days=ALERT_CONTEXT_DAYS)
    hi = end + pd.Timedelta(days=7)
    window = actual.loc[lo:hi]
    fc = replayed[(replayed["date"] >= lo) & (replayed["date"] <= hi)].set_index("date")
    ax.fill_between(fc.index, 0, fc[f"hi_{level}"], color="C0", alpha=0.2, label=f"{level}% upper bound")
    ax.plot(fc.index, fc["mean"], color="C0", lw=1.5, label="forecast (made before the day)")
    ax.plot(window.index, window.to_numpy(), color="0.2", lw=1, marker=".", label="actual")
    ax.axvspan(start - pd.Timedelta(hours=12), end + pd.Timedelta(hours=12), color="C3", alpha=0.2, label="alert")
    _finish(ax, title)
    return fig


def _finish(ax, title: str) -> None:
    ax.set_title(title)
    ax.set_ylabel("orders / day")
    ax.legend(loc="upper left", fontsize=8)
    ax.figure.autofmt_xdate()
    ax.figure.tight_layout()
