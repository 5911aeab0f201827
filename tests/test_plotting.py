"""Figures for files: no backend switch at import, nothing left in pyplot, PNGs written headless."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def test_importing_the_plots_keeps_the_users_backend() -> None:
    code = ("import matplotlib; matplotlib.use('svg')\n"
            "import hotline_ml.plotting, hotline_ml.forecast.plots, hotline_ml.forecast.report\n"
            "print(matplotlib.get_backend())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "svg"


def test_a_forecast_chart_is_written_without_pyplot(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from hotline_ml.forecast.plots import forecast_figure

    days = pd.date_range("2026-01-01", periods=60, freq="D", name="date")
    history = pd.Series(np.arange(60.0), index=days)
    future = pd.date_range(days[-1] + pd.Timedelta(days=1), periods=7, freq="D", name="date")
    forecast = pd.DataFrame({"mean": 60.0, "lo_80": 55.0, "hi_80": 65.0, "lo_95": 50.0, "hi_95": 70.0}, index=future)
    before = plt.get_fignums()
    fig = forecast_figure(history, forecast, "城乡建设 / 朝阳区", (80, 95))
    assert plt.get_fignums() == before  # not in pyplot's figure list: nothing to close, nothing leaks
    fig.savefig(tmp_path / "chart.png", dpi=50)
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
