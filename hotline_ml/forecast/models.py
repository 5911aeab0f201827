"""Forecasters of daily counts behind one small interface: settings in ``__init__``, ``fit(y) -> self``,
``predict(h, level) -> frame``.

A forecast frame is indexed by the forecast dates (daily ``DatetimeIndex`` named ``date``) and has the columns
``mean`` and ``lo_<level>`` / ``hi_<level>`` for each interval level (e.g. ``lo_80, hi_80, lo_95, hi_95``).

The statsmodels models keep only their estimated parameters and the training series (plus, for ETS, the final
states), and re-filter on demand: saved bundles stay small (no per-step covariance arrays; each class lists
what it keeps in ``state_fields``) and a reloaded model forecasts exactly like the original (statsmodels'
``remove_data=True`` breaks that). The same re-filter gives
:meth:`Forecaster.update`: new data, same parameters, no re-estimation.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from hotline_ml.forecast.features import calendar_features

DEFAULT_LEVELS: tuple[int, ...] = (80, 95)


class TooShortError(ValueError):
    """The series has less history than the forecaster needs."""


def interval_columns(level: Sequence[int]) -> list[str]:
    """Column names of a forecast frame: ``mean`` then ``lo_<l>, hi_<l>`` per level."""
    return ["mean"] + [f"{side}_{lv}" for lv in level for side in ("lo", "hi")]


def future_dates(last: pd.Timestamp, h: int) -> pd.DatetimeIndex:
    """The ``h`` days after ``last``."""
    return pd.date_range(last + pd.Timedelta(days=1), periods=h, freq="D", name="date")


def check_series(y: pd.Series, where: str = "series") -> pd.Series:
    """Validate a daily count series: daily ``DatetimeIndex`` without gaps, finite non-negative values.

    Raises:
        ValueError: Naming ``where`` and the first offending date.
    """
    if not isinstance(y.index, pd.DatetimeIndex):
        raise ValueError(f"{where}: index must be a DatetimeIndex of days, got {type(y.index).__name__}")
    if len(y) == 0:
        raise ValueError(f"{where}: empty series (no days to learn from)")
    gaps = np.asarray((y.index[1:] - y.index[:-1]) != pd.Timedelta(days=1))
    if gaps.any():
        i = int(gaps.argmax())
        raise ValueError(f"{where}: days must be consecutive (zero-fill missing days); gap between "
                         f"{y.index[i].date()} and {y.index[i + 1].date()}")
    values = y.to_numpy(dtype=float)
    bad_mask = ~np.isfinite(values) | (values < 0)
    if bad_mask.any():
        first = y.index[bad_mask.argmax()]
        raise ValueError(f"{where}: counts must be finite and >= 0; {first.date()} has {values[bad_mask][0]}")
    return y.astype(float)


def gaussian_bounds(mean: np.ndarray, sd: np.ndarray, level: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Normal interval bounds ``level -> (lo, hi)`` from a mean and a standard deviation (same shapes)."""
    out = {}
    for lv in level:
        z = norm.ppf(0.5 + lv / 200)
        out[lv] = (mean - z * sd, mean + z * sd)
    return out


def gaussian_frame(dates: pd.DatetimeIndex, mean: np.ndarray, sd: np.ndarray, level: Sequence[int]) -> pd.DataFrame:
    """A forecast frame from a mean and a standard deviation per day (normal intervals)."""
    return Rolling.single(mean, gaussian_bounds(mean, sd, level)).frame(0, dates, level)


@dataclass
class Rolling:
    """Forecasts from several origins as arrays (the backtest's working form; frames are built once at the end).

    Attributes:
        mean: ``(origins, h)`` mean forecasts.
        bounds: Level -> ``(lo, hi)``, each ``(origins, h)``.
        notes: What the model said while forecasting.
    """

    mean: np.ndarray
    bounds: dict[int, tuple[np.ndarray, np.ndarray]]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def single(cls, mean: np.ndarray, bounds: Mapping[int, tuple[np.ndarray, np.ndarray]]) -> Rolling:
        """One origin from 1-d arrays."""
        return cls(np.atleast_2d(mean), {lv: (np.atleast_2d(lo), np.atleast_2d(hi)) for lv, (lo, hi) in bounds.items()})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, level: Sequence[int]) -> Rolling:
        """One origin from a forecast frame."""
        return cls.single(frame["mean"].to_numpy(dtype=float),
                          {lv: (frame[f"lo_{lv}"].to_numpy(dtype=float), frame[f"hi_{lv}"].to_numpy(dtype=float))
                           for lv in level})

    def row(self, i: int) -> Rolling:
        """Origin ``i`` alone."""
        return Rolling(self.mean[i:i + 1], {lv: (lo[i:i + 1], hi[i:i + 1]) for lv, (lo, hi) in self.bounds.items()},
                       self.notes)

    def clipped(self) -> Rolling:
        """Counts cannot be negative: mean and bounds clipped at 0."""
        return Rolling(np.maximum(self.mean, 0.0),
                       {lv: (np.maximum(lo, 0.0), np.maximum(hi, 0.0)) for lv, (lo, hi) in self.bounds.items()},
                       self.notes)

    def frame(self, i: int, dates: pd.DatetimeIndex, level: Sequence[int]) -> pd.DataFrame:
        """Origin ``i`` as a forecast frame indexed by ``dates``."""
        out = {"mean": self.mean[i]}
        for lv in level:
            out[f"lo_{lv}"], out[f"hi_{lv}"] = self.bounds[lv][0][i], self.bounds[lv][1][i]
        return pd.DataFrame(out, index=dates)[interval_columns(level)]


def _plain_setting(value: Any) -> Any:
    if isinstance(value, Forecaster):
        return value.spec
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain_setting(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_setting(v) for v in value]
    return value


class Forecaster(ABC):
    """Interface of every forecaster. Subclasses set ``name`` and implement ``_fit`` and ``_predict``.

    Attributes:
        notes: What the model did that a reader should know (a fallback inside the model, calendar
            approximations), filled by ``fit`` and ``predict``.
    """

    name: str = "forecaster"
    #: Fitted attributes saved in a bundle (``hotline_ml.forecast.bundle``), besides the settings and ``y_``.
    state_fields: tuple[str, ...] = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Forecaster:
        obj = super().__new__(cls)
        # the settings it is built with, for `spec` (a saved bundle rebuilds the forecaster from them);
        # partial: unpickling (worker results) calls __new__ without arguments, then restores __dict__
        bound = inspect.signature(cls.__init__).bind_partial(obj, *args, **kwargs).arguments
        obj._settings = {k: v for k, v in list(bound.items())[1:]}
        return obj

    @property
    def spec(self) -> dict[str, Any]:
        """``{"_target_": "module.Class", **settings}`` as plain data: a ``conf/forecast/`` model spec that
        :func:`make_forecaster` turns into an unfitted copy of this forecaster."""
        return {"_target_": f"{type(self).__module__}.{type(self).__qualname__}",
                **{k: _plain_setting(v) for k, v in self._settings.items()}}

    def __init__(self, min_history: int) -> None:
        self.min_history = min_history
        self.notes: list[str] = []
        self.y_: pd.Series | None = None

    def fit(self, y: pd.Series) -> Forecaster:
        """Estimate the model on ``y`` (daily counts, consecutive days).

        Raises:
            TooShortError: ``y`` has fewer than ``min_history`` days.
        """
        y = check_series(y, self.name)
        if len(y) < self.min_history:
            raise TooShortError(f"{self.name}: {len(y)} days of history < {self.min_history} needed")
        self.notes = []
        self.y_ = y
        self._fit(y)
        return self

    def update(self, y: pd.Series) -> Forecaster:
        """Move the model to new data (``y`` extends or replaces the training series) keeping its parameters.

        Cheap: no re-estimation. The default re-fits (for models without parameters to keep).
        """
        return self.fit(y)

    def predict(self, h: int, level: Sequence[int] = DEFAULT_LEVELS) -> pd.DataFrame:
        """Forecast the ``h`` days after the training series.

        Returns:
            Frame of ``h`` rows indexed by date: ``mean``, ``lo_<l>``, ``hi_<l>`` per level (in counts/day).
        """
        if self.y_ is None:
            raise RuntimeError(f"{self.name}: call fit() before predict()")
        if h < 1:
            raise ValueError(f"{self.name}: horizon must be >= 1 day, got {h}")
        return self._predict(h, tuple(level))

    def rolling(self, y: pd.Series, cutoffs: Sequence[int], h: int, level: Sequence[int],
                refit_every: int = 1) -> Rolling | None:
        """Forecasts of ``h`` days from each cut-off (training length) of ``y`` at once, or ``None``.

        A model that can backtest faster than one fit per origin overrides this (every cut-off is at least
        ``min_history``); ``None`` makes :func:`hotline_ml.forecast.backtest.rolling_forecasts` fit and
        update the model origin by origin.
        """
        return None

    @abstractmethod
    def _fit(self, y: pd.Series) -> None: ...

    @abstractmethod
    def _predict(self, h: int, level: tuple[int, ...]) -> pd.DataFrame: ...


class SeasonalNaive(Forecaster):
    """Repeat the last ``period`` days; normal intervals from the in-sample seasonal differences.

    The standard deviation at horizon ``h`` grows as ``sigma * sqrt(floor((h - 1) / period) + 1)``. A series
    shorter than one period falls back to its mean (with intervals from its standard deviation) and says so.
    """

    name = "seasonal_naive"
    state_fields = ("_pattern", "_sigma")

    def __init__(self, period: int = 7) -> None:
        super().__init__(min_history=1)
        self.period = period

    def _fit(self, y: pd.Series) -> None:
        values = y.to_numpy()
        if len(values) < self.period:
            self.notes.append(f"history {len(values)} days < period {self.period}: forecasts the mean")
            self._pattern = np.full(self.period, values.mean())
            self._sigma = float(values.std())
            return
        self._pattern = values[-self.period:]
        diffs = values[self.period:] - values[: -self.period]
        self._sigma = float(np.sqrt(np.mean(diffs**2))) if len(diffs) else float(values.std())

    def _predict(self, h: int, level: tuple[int, ...]) -> pd.DataFrame:
        steps = np.arange(h)
        mean = self._pattern[steps % self.period]
        sd = self._sigma * np.sqrt(steps // self.period + 1)
        return gaussian_frame(future_dates(self.y_.index[-1], h), mean, sd, level)

    def rolling(self, y: pd.Series, cutoffs: Sequence[int], h: int, level: Sequence[int],
                refit_every: int = 1) -> Rolling | None:
        values = y.to_numpy(dtype=float)
        if min(cutoffs) <= self.period:  # the mean fallback of a short history: origin by origin
            return None
        cut = np.asarray(cutoffs)
        steps = np.arange(h)
        mean = values[(cut - self.period)[:, None] + steps % self.period]
        sq = np.concatenate([[0.0], np.cumsum((values[self.period:] - values[:-self.period]) ** 2)])
        sigma = np.sqrt(sq[cut - self.period] / (cut - self.period))
        sd = sigma[:, None] * np.sqrt(steps // self.period + 1)[None, :]
        return Rolling(mean, gaussian_bounds(mean, sd, level))


class ETSForecaster(Forecaster):
    """statsmodels ``ETSModel`` (additive errors): damped additive trend and additive weekly season by default.

    Parameters are estimated by ``ETSModel.fit``. Forecasts come from the final smoothed states with the analytic
    mean and variance of the additive (class 1) model, ``var_h = sigma2 * (1 + sum_{j<h} c_j^2)`` with
    ``c_j = alpha + beta * (phi + ... + phi^j) + gamma * [j % m == 0]``: the same numbers as statsmodels'
    ``get_prediction`` (checked in the tests), without building a results object, whose numerical Hessian
    would make every re-filter (:meth:`update`) 30x slower.
    """

    name = "ets"
    state_fields = ("params_", "sigma2_", "level_", "slope_", "season_")

    def __init__(self, trend: str | None, damped_trend: bool, seasonal: str | None, seasonal_periods: int,
                 min_history: int, maxiter: int) -> None:
        super().__init__(min_history=min_history)
        self.trend, self.damped_trend = trend, damped_trend and trend is not None
        self.seasonal, self.seasonal_periods = seasonal, seasonal_periods
        self.maxiter = maxiter
        self.params_: dict[str, float] | None = None

    def _model(self, y: pd.Series) -> Any:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        return ETSModel(y, error="add", trend=self.trend, damped_trend=self.damped_trend, seasonal=self.seasonal,
                        seasonal_periods=self.seasonal_periods if self.seasonal else None)

    def _fit(self, y: pd.Series) -> None:
        model = self._model(y)
        results = model.fit(disp=False, maxiter=self.maxiter)
        self.params_ = dict(zip(model.param_names, np.asarray(results.params, dtype=float), strict=True))
        self._smooth(model)

    def update(self, y: pd.Series) -> Forecaster:
        if self.params_ is None:
            return self.fit(y)
        self.y_ = check_series(y, self.name)
        self._smooth(self._model(self.y_))
        return self

    def _smooth(self, model: Any) -> None:
        yhat, states = model.smooth(np.array(list(self.params_.values())), return_raw=True)
        self.sigma2_ = float(np.mean((self.y_.to_numpy() - np.asarray(yhat)) ** 2))
        self.level_ = float(states["level"].iloc[-1])
        self.slope_ = float(states["trend"].iloc[-1]) if self.trend else 0.0
        self.season_ = states["seasonal"].to_numpy()[-self.seasonal_periods:] if self.seasonal else None

    def _predict(self, h: int, level: tuple[int, ...]) -> pd.DataFrame:
        p = self.params_
        steps = np.arange(1, h + 1)
        phi = p.get("damping_trend", 1.0)
        phi_sums = np.cumsum(phi**steps)  # phi + ... + phi^h
        mean = self.level_ + phi_sums * self.slope_
        c = np.full(h, p["smoothing_level"])
        if self.trend:
            c = c + p["smoothing_trend"] * phi_sums
        if self.seasonal:
            m = self.seasonal_periods
            mean = mean + self.season_[(steps - 1) % m]
            c = c + p["smoothing_seasonal"] * (steps % m == 0)
        var = self.sigma2_ * (1 + np.concatenate([[0.0], np.cumsum(c[:-1] ** 2)]))
        return gaussian_frame(future_dates(self.y_.index[-1], h), mean, np.sqrt(var), level)


class SARIMAXForecaster(Forecaster):
    """statsmodels ``SARIMAX`` with weekly seasonal orders, yearly Fourier terms and Chinese holiday regressors.

    The regressors (:func:`hotline_ml.forecast.features.calendar_features`) are computed for the forecast days
    too; years chinesecalendar does not know get approximate fixed-date holidays, noted in ``notes``.
    Regressors that are constant over the training days are left out (they cannot be estimated). Only the
    parameters and the training series are kept (in saved bundles and in results sent back by worker processes);
    the results are rebuilt by re-filtering on demand.
    """

    name = "sarimax"
    state_fields = ("params_", "exog_columns_")

    def __init__(self, order: Sequence[int], seasonal_order: Sequence[int], trend: str | None, fourier_order: int,
                 holidays: bool, min_history: int, maxiter: int) -> None:
        super().__init__(min_history=min_history)
        self.order, self.seasonal_order = tuple(order), tuple(seasonal_order)
        self.trend, self.fourier_order, self.holidays = trend, fourier_order, holidays
        self.maxiter = maxiter
        self.exog_columns_: list[str] | None = None
        self.params_: np.ndarray | None = None
        self._results: Any = None

    def _exog(self, dates: pd.DatetimeIndex) -> pd.DataFrame | None:
        feats, notes = calendar_features(dates, self.fourier_order, self.holidays)
        self.notes += [n for n in notes if n not in self.notes]
        if self.exog_columns_ is None:
            self.exog_columns_ = list(feats.columns[feats.nunique() > 1])
        return feats[self.exog_columns_] if self.exog_columns_ else None

    def _model(self, y: pd.Series) -> Any:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        y = y.asfreq("D")
        # concentrating the scale out of the likelihood removes one parameter: ~3x faster fits, same forecasts
        return SARIMAX(y, exog=self._exog(y.index), order=self.order, seasonal_order=self.seasonal_order,
                       trend=self.trend, concentrate_scale=True)

    def _fit(self, y: pd.Series) -> None:
        self.exog_columns_ = None
        self._results = self._model(y).fit(disp=False, maxiter=self.maxiter)
        self.params_ = np.asarray(self._results.params)

    def update(self, y: pd.Series) -> Forecaster:
        if self.params_ is None:
            return self.fit(y)
        self.y_ = check_series(y, self.name)
        self._results = None
        return self

    def results(self) -> Any:
        """The statsmodels results for the current data (re-filtered with the kept parameters when needed)."""
        if self._results is None:
            self._results = self._model(self.y_).filter(self.params_, cov_type="none")
        return self._results

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_results"] = None  # rebuilt on demand from params_ and y_
        return state

    def _predict(self, h: int, level: tuple[int, ...]) -> pd.DataFrame:
        dates = future_dates(self.y_.index[-1], h)
        pred = self.results().get_forecast(h, exog=self._exog(dates))
        out = {"mean": np.asarray(pred.predicted_mean)}
        for lv in level:
            bounds = np.asarray(pred.conf_int(alpha=1 - lv / 100))
            out[f"lo_{lv}"], out[f"hi_{lv}"] = bounds[:, 0], bounds[:, 1]
        return pd.DataFrame(out, index=dates)[interval_columns(level)]


class Combination(Forecaster):
    """The equal-weight mean of several forecasters: means averaged, and bounds averaged level by level.

    Averaging forecasts of different model forms usually beats each of them (errors partly cancel); averaging
    the bounds (quantile averaging) keeps the intervals between the members'. Every member is fitted, updated
    and backtested on the same days; the combination is as fast as its members together.

    Args:
        members: The forecasters (built from ``conf/forecast/`` specs by :func:`make_forecaster`).
    """

    name = "combination"

    def __init__(self, members: Sequence[Forecaster]) -> None:
        if len(members) < 2 or not all(isinstance(m, Forecaster) for m in members):
            raise ValueError("combination: members must be two or more forecasters")
        super().__init__(min_history=max(m.min_history for m in members))
        self.members = list(members)

    def _fit(self, y: pd.Series) -> None:
        for m in self.members:
            m.fit(y)
        self._collect_notes()

    def update(self, y: pd.Series) -> Forecaster:
        self.y_ = check_series(y, self.name)
        for m in self.members:
            m.update(self.y_)
        self._collect_notes()
        return self

    def _collect_notes(self) -> None:
        self.notes = list(dict.fromkeys(n for m in self.members for n in m.notes))

    def _predict(self, h: int, level: tuple[int, ...]) -> pd.DataFrame:
        frames = [m.predict(h, level) for m in self.members]
        return sum(frames[1:], frames[0]) / len(frames)

    def rolling(self, y: pd.Series, cutoffs: Sequence[int], h: int, level: Sequence[int],
                refit_every: int = 1) -> Rolling | None:
        parts = [m.rolling(y, cutoffs, h, level, refit_every) for m in self.members]
        if any(p is None for p in parts):
            return None
        mean = np.mean([p.mean for p in parts], axis=0)
        bounds = {lv: tuple(np.mean([p.bounds[lv][side] for p in parts], axis=0) for side in (0, 1)) for lv in level}
        return Rolling(mean, bounds, list(dict.fromkeys(n for p in parts for n in p.notes)))


def make_forecaster(spec: Mapping[str, Any], where: str = "forecast config") -> Forecaster:
    """Build a forecaster from ``{"_target_": "pkg.module.Class", **settings}`` (a ``conf/forecast/`` entry).

    Built by ``hydra.utils.instantiate`` (settings arrive as plain ``dict``/``list`` values); the forecaster's
    :attr:`Forecaster.spec` gives such a spec back, so a saved bundle rebuilds it from JSON.

    Raises:
        ValueError: The target is missing, cannot be imported, is not a :class:`Forecaster`, or rejects the
            settings (the message names ``where``).
    """
    # imported here: the library never needs Hydra at import time (a loaded forecaster does not)
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    target = spec.get("_target_")
    if not target:
        raise ValueError(f"{where}: no _target_ naming the forecaster class")
    try:
        forecaster = instantiate(dict(spec), _convert_="all")
    except InstantiationException as err:
        cause = err.__cause__
        if isinstance(cause, ImportError):  # Hydra could not locate the target
            raise ValueError(f"{where}: cannot import _target_ {target!r}: {cause}") from err
        if cause is None:  # refused by Hydra itself (e.g. a blocklisted target)
            raise ValueError(f"{where}: cannot build _target_ {target!r}: {err}") from err
        raise ValueError(f"{where}: bad settings for {target}: {cause}") from err
    if not isinstance(forecaster, Forecaster):
        raise ValueError(f"{where}: _target_ {target!r} is not a hotline_ml.forecast.models.Forecaster")
    return forecaster
