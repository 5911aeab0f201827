"""The fitted forecaster bundle: one model per series, the hierarchy, save / load, and the pyfunc entry point.

MLflow serves it through :class:`hotline_ml.tracking.PyfuncAdapter`, which calls :func:`load_for_pyfunc` with
the logged artifacts; the pyfunc takes rows of ``series`` + ``horizon`` and returns ``series, date, mean, lo_<l>,
hi_<l>``.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hotline_ml.forecast.models import Forecaster, interval_columns
from hotline_ml.forecast.reconcile import bottom_up

BUNDLE_FORMAT = 1


@dataclass
class ForecastBundle:
    """Fitted models for every series.

    Attributes:
        models: Series key -> model fitted on the full history.
        children: Parent key -> bottom keys, for parents forecast bottom-up (empty without reconciliation).
        levels: Series key -> level name.
        level: Interval levels (percent).
        chosen: Series key -> name of the model that makes its forecast.
    """

    models: dict[str, Forecaster]
    children: dict[str, list[str]]
    levels: dict[str, str]
    level: tuple[int, ...]
    chosen: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """Every series this bundle forecasts."""
        return list(self.levels)

    def forecast(self, h: int, keys: Sequence[str] | None = None) -> pd.DataFrame:
        """Forecast ``h`` days after each series' history.

        Args:
            h: Days ahead (>= 1).
            keys: Series to forecast (all when ``None``).

        Returns:
            Long frame ``series, date, mean, lo_<l>, hi_<l>`` (counts/day, >= 0), ``h`` rows per series.

        Raises:
            KeyError: An unknown series key (the message lists a few known ones).
        """
        keys = self.keys if keys is None else list(keys)
        unknown = [k for k in keys if k not in self.levels]
        if unknown:
            raise KeyError(f"unknown series {unknown[:5]}; known e.g. {self.keys[:5]} ({len(self.keys)} in all)")
        needed_bottom = {b for k in keys if k in self.children for b in self.children[k]}
        frames = {k: self.models[k].predict(h, self.level).clip(lower=0.0) for k in set(keys) | needed_bottom
                  if k not in self.children}
        frames.update(bottom_up(frames, {k: self.children[k] for k in keys if k in self.children}, self.level))
        out = []
        for key in keys:
            frame = frames[key].rename_axis("date").reset_index()
            frame.insert(0, "series", key)
            out.append(frame)
        return pd.concat(out, ignore_index=True)[["series", "date", *interval_columns(self.level)]]

    def predict_frame(self, model_input: pd.DataFrame) -> pd.DataFrame:
        """Pyfunc entry: rows of ``series`` (key) and ``horizon`` (days) -> concatenated forecasts.

        Raises:
            ValueError: A column is missing or a horizon is not a positive integer.
        """
        missing = {"series", "horizon"} - set(model_input.columns)
        if missing:
            raise ValueError(f"forecaster input lacks columns {sorted(missing)}; expected series, horizon")
        frames = []
        for row in model_input.itertuples(index=False):
            if int(row.horizon) < 1:
                raise ValueError(f"horizon must be >= 1 day, got {row.horizon} for series {row.series!r}")
            frames.append(self.forecast(int(row.horizon), [str(row.series)]))
        if not frames:
            return pd.DataFrame(columns=["series", "date", *interval_columns(self.level)])
        return pd.concat(frames, ignore_index=True)

    def save(self, path: str | Path) -> Path:
        """Pickle the bundle to ``path`` (models keep parameters and history only; a few MB)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            pickle.dump({"format": BUNDLE_FORMAT, "bundle": self}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return path


def load_bundle(path: str | Path) -> ForecastBundle:
    """Load a bundle written by :meth:`ForecastBundle.save` (only load files you wrote: pickle runs code).

    Raises:
        ValueError: The file is not a forecast bundle of a known format.
    """
    with Path(path).open("rb") as fh:
        payload = pickle.load(fh)
    if not isinstance(payload, dict) or payload.get("format") != BUNDLE_FORMAT:
        raise ValueError(f"{path}: not a hotline-ml forecast bundle (format {BUNDLE_FORMAT})")
    return payload["bundle"]


#: Loader path handed to ``tracking.log_pyfunc_model`` (artifact ``bundle`` holds the pickled bundle).
PYFUNC_LOADER = "hotline_ml.forecast.bundle:load_for_pyfunc"


def load_for_pyfunc(artifacts: dict[str, str], model_config: dict | None = None) -> ForecastBundle:
    """Pyfunc loader: the bundle from the model's ``bundle`` artifact (``model_config``, the registered name
    and run, is not needed: the forecast frame does not carry them)."""
    return load_bundle(artifacts["bundle"])
