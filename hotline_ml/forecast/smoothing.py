"""Holt-Winters exponential smoothing with a weekly season, estimated on a grid, vectorised in numpy.

One pass over a series updates every point of a grid of smoothing parameters at once (arrays of shape
``(grid,)``), and accumulates each point's in-sample squared one-step error. The parameters of a fit are the
grid point with the least error; since the recursion only looks back, the same pass also gives the choice and
the states at every backtest origin (:meth:`HoltWinters.rolling`): a full rolling-origin backtest with
re-estimation at each origin costs one pass, not one optimisation per origin.

The model, in error-correction form with ``m`` weekly slots (slot = weekday, or ``t % m`` without a calendar):

- additive season: ``yhat_t = l + phi*b + s[k]``; ``e = y - yhat``; ``l <- l + phi*b + alpha*e``;
  ``b <- phi*b + beta*e``; ``s[k] <- s[k] + gamma*e``.
- multiplicative season (weekday ratios, better for counts whose level moves): ``yhat_t = (l + phi*b) * s[k]``;
  ``l <- alpha*y/s[k] + (1-alpha)*(l + phi*b)``; ``b <- beta*(l_new - l) + (1-beta)*phi*b``;
  ``s[k] <- gamma*y/(l + phi*b) + (1-gamma)*s[k]``, with floors that keep a level and ratios positive.

Calendar: with ``holidays`` set, a public holiday is forecast with the Sunday slot and a make-up workday
(调休, China) with the Wednesday slot; these days do not update the states (one day off would otherwise pull the
level down for weeks and be repeated a week later). ``cn`` uses :mod:`hotline_ml.calendar`, ``us`` the US
federal holidays of pandas and the day after Thanksgiving (:func:`us_holidays`).

Intervals are normal with the additive (class 1) variance ``sigma2 * (1 + sum_{j<h} c_j^2)``,
``c_j = alpha + beta*(phi + ... + phi^j) + gamma*[j % m == 0]``, ``sigma2`` the in-sample one-step mean
squared error; for the multiplicative season this is an approximation (backtest coverage is reported).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd

from hotline_ml.forecast.models import Forecaster, Rolling, check_series, future_dates, gaussian_bounds

SEASONAL = ("add", "mul")
LOSSES = ("squared", "absolute")
HOLIDAYS = (None, "cn", "us")
HOLIDAY_SLOT, MAKEUP_SLOT = 6, 2  # Sunday, Wednesday (Monday = 0)
_EPS = 0.1  # level floor of the multiplicative season (counts/day)


def day_slots(dates: pd.DatetimeIndex, period: int, holidays: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Weekly slot of each day and whether it is a special (holiday, make-up workday) day.

    Returns:
        ``(slots, special, notes)``; slots are weekdays (Monday = 0) with holidays moved to the Sunday slot
        and make-up workdays to the Wednesday slot; without a calendar, days count from the Unix epoch modulo
        ``period`` and nothing is special.
    """
    if holidays is None:
        epoch_day = np.asarray((dates - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1), dtype=np.int64)
        return epoch_day % period, np.zeros(len(dates), dtype=bool), []
    slots = np.asarray(dates.day_of_week, dtype=np.int64)
    notes: list[str] = []
    if holidays == "cn":
        from hotline_ml.calendar import covered_by_chinesecalendar, day_table

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the fallback years are named in notes below
            table = day_table(dates)
        holiday, makeup = table["is_holiday"].to_numpy(), table["is_makeup_workday"].to_numpy()
        notes = [f"calendar {year}: not in chinesecalendar, approximate fixed-date holidays and no make-up workdays"
                 for year in sorted(set(dates.year)) if not covered_by_chinesecalendar(year)]
    else:
        holiday = np.asarray(dates.isin(us_holidays(dates.min(), dates.max())))
        makeup = np.zeros(len(dates), dtype=bool)
    slots = np.where(holiday, HOLIDAY_SLOT, np.where(makeup, MAKEUP_SLOT, slots))
    return slots, holiday | makeup, notes


def us_holidays(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """US federal holidays (observed dates) plus the Friday after Thanksgiving, a day off for most state and
    city offices (and for the City of Boston) that public-service demand follows."""
    from pandas.tseries.holiday import USFederalHolidayCalendar

    federal = USFederalHolidayCalendar().holidays(start - pd.Timedelta(days=1), end)
    thanksgiving = federal[(federal.month == 11) & (federal.day >= 22)]
    days = federal.union(thanksgiving + pd.Timedelta(days=1))
    return days[(days >= start) & (days <= end)]


def parameter_grid(alphas: Sequence[float], betas: Sequence[float], gammas: Sequence[float],
                   phis: Sequence[float]) -> np.ndarray:
    """Rows ``(alpha, beta, gamma, phi)``; without trend (``beta == 0``) the damping is moot, so only ``phi = 1``."""
    rows = {(a, b, g, 1.0 if b == 0 else p) for a, b, g, p in product(alphas, betas, gammas, phis)}
    return np.array(sorted(rows), dtype=float)


@dataclass
class GridPass:
    """What one pass over a series leaves at each recorded training length ``n``.

    Attributes:
        sse: ``n -> (grid,)`` sum of squared one-step errors over the scored days before ``n``.
        crit: ``n -> (grid,)`` the choice criterion: squared ``score_steps``-step errors over the same days.
        nobs: ``n -> `` number of scored days.
        level, trend: ``n -> (grid,)`` states after the first ``n`` days.
        season: ``n -> (grid, period)`` seasonal states after the first ``n`` days.
    """

    sse: dict[int, np.ndarray]
    crit: dict[int, np.ndarray]
    nobs: dict[int, int]
    level: dict[int, np.ndarray]
    trend: dict[int, np.ndarray]
    season: dict[int, np.ndarray]


def grid_pass(y: np.ndarray, slots: np.ndarray, special: np.ndarray, grid: np.ndarray, seasonal: str,
              period: int, record: Sequence[int], init_days: int, score_steps: int, loss: str) -> GridPass:
    """Run the recursion of every grid point over ``y`` and record the states at the lengths in ``record``.

    The first ``init_days`` days initialise the states (level: their mean; season: slot means minus, or over,
    it) and are not scored. Special days neither update the states nor count in the error. ``crit`` scores
    the forecast of each day made ``score_steps`` days before it (level and trend of then, the current season
    slot); ``sse`` (for the intervals) always scores the one-step forecast.
    """
    alpha, beta, gamma, phi = (grid[:, i] for i in range(4))
    n_grid, n = len(grid), len(y)
    head, head_slots = y[:init_days][~special[:init_days]], slots[:init_days][~special[:init_days]]
    base = float(head.mean()) if len(head) else float(y.mean())
    slot_means = np.array([head[head_slots == k].mean() if (head_slots == k).any() else base
                           for k in range(period)])
    if seasonal == "mul":
        base = max(base, _EPS)
        season0 = np.maximum(slot_means, 0.0) / base
        season0 = np.maximum(season0 / season0.mean(), 0.01) if season0.mean() > 0 else np.ones(period)
    else:
        season0 = slot_means - base
    level, trend = np.full(n_grid, base), np.zeros(n_grid)
    season = np.tile(season0, (n_grid, 1))
    sse, crit, nobs = np.zeros(n_grid), np.zeros(n_grid), 0
    lag = max(score_steps, 1) - 1
    phi_sum = np.cumsum(phi[None, :] ** np.arange(1, lag + 2)[:, None], axis=0)[-1]  # phi + ... + phi^steps
    past = [(level, trend)] * (lag + 1)  # states of the last lag + 1 days, oldest first
    wanted = set(record)
    out = GridPass({}, {}, {}, {}, {}, {})
    for t in range(n + 1):
        if t in wanted:
            out.sse[t], out.crit[t], out.nobs[t] = sse.copy(), crit.copy(), nobs
            out.level[t], out.trend[t], out.season[t] = level.copy(), trend.copy(), season.copy()
        if t == n:
            break
        if lag:
            past = [*past[1:], (level, trend)]
        damped = phi * trend
        if special[t]:
            level, trend = level + damped, damped
            continue
        k, yt = slots[t], y[t]
        if lag and t >= init_days:
            old_level, old_trend = past[0]
            ahead = old_level + phi_sum * old_trend
            e_ahead = yt - (np.maximum(ahead, _EPS) * season[:, k] if seasonal == "mul" else ahead + season[:, k])
            crit += e_ahead * e_ahead if loss == "squared" else np.abs(e_ahead)
        if seasonal == "mul":
            base_t = np.maximum(level + damped, _EPS)
            s_k = season[:, k]
            err = yt - base_t * s_k
            new_level = alpha * yt / s_k + (1 - alpha) * base_t
            trend = beta * (new_level - level) + (1 - beta) * damped
            season[:, k] = np.maximum(gamma * yt / base_t + (1 - gamma) * s_k, 0.01)
            level = new_level
        else:
            err = yt - (level + damped + season[:, k])
            level = level + damped + alpha * err
            trend = damped + beta * err
            season[:, k] += gamma * err
        if t >= init_days:
            sse += err * err
            nobs += 1
            if not lag:
                crit += err * err if loss == "squared" else np.abs(err)
    return out


class HoltWinters(Forecaster):
    """Holt-Winters smoothing (damped trend, weekly season), parameters chosen on a grid (see module doc).

    Args:
        seasonal: ``add`` or ``mul``.
        period: Days per season (7; a calendar needs 7).
        holidays: ``cn``, ``us`` or ``None``.
        alphas, betas, gammas, phis: The grid (level, trend, season smoothing; damping).
        init_days: Days that initialise the states (not scored).
        score_steps: The grid point chosen is the one with the least squared error of forecasts made this
            many days ahead (1 = one-step; a week ahead favours steadier levels for 14-day forecasts).
        min_history: Fewer days raise :class:`hotline_ml.forecast.models.TooShortError`.
    """

    name = "holt_winters"
    state_fields = ("params_", "sigma2_", "level_", "trend_", "season_")

    def __init__(self, seasonal: str = "add", period: int = 7, holidays: str | None = None,
                 alphas: Sequence[float] = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5),
                 betas: Sequence[float] = (0.0, 0.01, 0.05), gammas: Sequence[float] = (0.0, 0.02, 0.05, 0.1, 0.2),
                 phis: Sequence[float] = (0.8, 0.9, 0.98), init_days: int = 28, score_steps: int = 1,
                 loss: str = "absolute", min_history: int = 35) -> None:
        super().__init__(min_history=max(min_history, init_days + 1))
        holidays = None if holidays is None else str(holidays)  # a config enum member arrives as itself
        if seasonal not in SEASONAL:
            raise ValueError(f"holt_winters: seasonal must be one of {SEASONAL}, got {seasonal!r}")
        if holidays not in HOLIDAYS:
            raise ValueError(f"holt_winters: holidays must be one of {HOLIDAYS[1:]} or null, got {holidays!r}")
        if holidays is not None and period != 7:
            raise ValueError(f"holt_winters: a holiday calendar needs period 7 (weekdays), got {period}")
        self.seasonal, self.period, self.holidays = seasonal, period, holidays
        self.grid = parameter_grid(alphas, betas, gammas, phis)
        if loss not in LOSSES:
            raise ValueError(f"holt_winters: loss must be one of {LOSSES}, got {loss!r}")
        self.init_days, self.score_steps, self.loss = init_days, score_steps, loss
        self.params_: np.ndarray | None = None  # alpha, beta, gamma, phi

    # -- fitting ------------------------------------------------------------------------------------------

    def _slots(self, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        slots, special, notes = day_slots(dates, self.period, self.holidays)
        self.notes += [n for n in notes if n not in self.notes]
        return slots, special

    def _pass(self, y: pd.Series, grid: np.ndarray, record: Sequence[int],
              calendar: tuple[np.ndarray, np.ndarray] | None = None) -> GridPass:
        """:func:`grid_pass` over ``y``; ``calendar`` (slots, special days) covers at least ``y``'s days."""
        slots, special = calendar if calendar is not None else self._slots(y.index)
        n = len(y)
        return grid_pass(y.to_numpy(dtype=float), slots[:n], special[:n], grid, self.seasonal, self.period, record,
                         self.init_days, self.score_steps, self.loss)

    def _keep(self, run: GridPass, n: int, point: int, params: np.ndarray) -> None:
        self.params_ = params
        self.sigma2_ = float(run.sse[n][point] / max(run.nobs[n], 1))
        self.level_, self.trend_ = float(run.level[n][point]), float(run.trend[n][point])
        self.season_ = run.season[n][point].copy()

    def _fit(self, y: pd.Series) -> None:
        run = self._pass(y, self.grid, [len(y)])
        best = int(np.argmin(run.crit[len(y)]))
        self._keep(run, len(y), best, self.grid[best])

    def update(self, y: pd.Series) -> Forecaster:
        if self.params_ is None:
            return self.fit(y)
        self.y_ = check_series(y, self.name)
        run = self._pass(self.y_, self.params_[None, :], [len(self.y_)])
        self._keep(run, len(self.y_), 0, self.params_)
        return self

    # -- forecasting --------------------------------------------------------------------------------------

    def _mean_sd(self, params: np.ndarray, level: float, trend: float, season: np.ndarray, sigma2: float,
                 slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        alpha, beta, gamma, phi = params
        steps = np.arange(1, len(slots) + 1)
        phi_sums = np.cumsum(phi**steps)
        base = level + phi_sums * trend
        # counts: an additive weekend slot below a falling level would forecast < 0 days; floor the mean at 0
        if self.seasonal == "mul":
            mean = np.maximum(base, 0.0) * season[slots]
        else:
            mean = np.maximum(base + season[slots], 0.0)
        c = alpha + beta * phi_sums + gamma * (steps % self.period == 0)
        var = sigma2 * (1 + np.concatenate([[0.0], np.cumsum(c[:-1] ** 2)]))
        return mean, np.sqrt(var)

    def _predict(self, h: int, level: tuple[int, ...]) -> pd.DataFrame:
        dates = future_dates(self.y_.index[-1], h)
        slots, _ = self._slots(dates)
        mean, sd = self._mean_sd(self.params_, self.level_, self.trend_, self.season_, self.sigma2_, slots)
        return Rolling.single(mean, gaussian_bounds(mean, sd, level)).frame(0, dates, level)

    def rolling(self, y: pd.Series, cutoffs: Sequence[int], h: int, level: Sequence[int],
                refit_every: int = 1) -> Rolling:
        """Forecasts of ``h`` days from every cut-off in one pass (see :meth:`Forecaster.rolling`).

        The parameters are chosen on the days before each re-estimation origin (every ``refit_every``-th) and
        kept at the origins between, as the generic loop does with ``update``.
        """
        self.notes = []
        slots, special = self._slots(y.index.append(future_dates(y.index[-1], h)))  # history and h days on
        run = self._pass(y, self.grid, cutoffs, (slots, special))
        means, sds, chosen = [], [], None
        for i, c in enumerate(cutoffs):
            if chosen is None or refit_every <= 1 or i % refit_every == 0:
                chosen = int(np.argmin(run.crit[c]))
            mean, sd = self._mean_sd(self.grid[chosen], run.level[c][chosen], run.trend[c][chosen],
                                     run.season[c][chosen], run.sse[c][chosen] / max(run.nobs[c], 1),
                                     slots[c:c + h])
            means.append(mean)
            sds.append(sd)
        mean = np.vstack(means)
        return Rolling(mean, gaussian_bounds(mean, np.vstack(sds), level), list(self.notes))
