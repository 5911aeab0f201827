"""Daily order volume per appeal type x district for the synthetic corpus.

Expected count on day d for type t in district k::

    lambda[d, t, k] = scale * weight[t] * district[k] * weekday(d) * calendar(d) * season_t(d) * trend(d)
                      * surge[d, t, k]

with ``scale`` set so that the expected total without surges is ``n_orders``; counts are Poisson draws.
Seasonal profiles are named in the config (``synthetic.seasonality``) and defined in ``PROFILES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotline_ml.calendar import day_table, days_to_lunar_new_year
from hotline_ml.config import SyntheticConfig

# Monday .. Sunday: calls peak on Monday (the weekend's problems) and drop at the weekend.
WEEKDAY_SHAPE = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.72, 0.68])
HOLIDAY_FACTOR = 0.6  # on statutory holidays, relative to a workday

# Types where a surge event (one incident, many callers) is plausible: outages, breaks, floods, noise.
SURGE_PRONE = ("供水", "供电", "供暖", "燃气", "市政设施", "噪音扰民", "物业管理", "施工管理", "大气污染",
               "拖欠工资", "预付卡退费", "公交地铁")


def _bump(day_of_year: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A smooth bump (0..1) on the annual cycle, centred at ``centre`` day-of-year, ``width`` days wide."""
    dist = np.minimum(np.abs(day_of_year - centre), 365.25 - np.abs(day_of_year - centre))
    return np.exp(-0.5 * (dist / width) ** 2)


def _heating(days: pd.DatetimeIndex, cal: pd.DataFrame) -> np.ndarray:
    # Beijing's heating season runs 15 Nov - 15 Mar; complaints spike when it starts (radiators cold) and in
    # the cold snap of January, and almost vanish in summer.
    doy = days.day_of_year.to_numpy()
    in_season = (doy >= 319) | (doy <= 74)
    start_spike = _bump(doy, 325, 10)
    return np.where(in_season, 2.2 + 3.0 * start_spike + 0.8 * _bump(doy, 15, 20), 0.25)


def _flood(days: pd.DatetimeIndex, cal: pd.DataFrame) -> np.ndarray:
    return 0.8 + 2.5 * _bump(days.day_of_year.to_numpy(), 205, 18)  # late July rainstorms (七下八上)


def _pre_spring_festival(days: pd.DatetimeIndex, cal: pd.DataFrame) -> np.ndarray:
    # Wage-arrears complaints build up over the six weeks before the Spring Festival, collapse during it.
    delta = days_to_lunar_new_year(days)
    ramp = np.clip((delta + 45) / 40, 0, 1) * (delta < -3)
    return np.where((delta >= -3) & (delta <= 7), 0.4, 1.0 + 2.5 * ramp)


def _enrolment(days: pd.DatetimeIndex, cal: pd.DataFrame) -> np.ndarray:
    return 0.7 + 2.5 * _bump(days.day_of_year.to_numpy(), 170, 15)  # June: school admission season


def _summer(days: pd.DatetimeIndex, cal: pd.DataFrame) -> np.ndarray:
    return 0.85 + 0.7 * _bump(days.day_of_year.to_numpy(), 200, 30)


def _holiday_travel(days: pd.DatetimeIndex, cal: pd.DataFrame) -> np.ndarray:
    # Tourism complaints come in during and right after holidays, not before; the weekday shape and
    # HOLIDAY_FACTOR still apply on top, so the factor here has to outweigh them.
    after = cal["is_holiday"].shift(1, fill_value=False).to_numpy()
    return np.where(cal["is_holiday"].to_numpy(), 4.0, np.where(after, 2.0, 1.0)) * _summer(days, cal)


def _workday_only(days: pd.DatetimeIndex, cal: pd.DataFrame) -> np.ndarray:
    return np.where(cal["is_workday"].to_numpy(), 1.15, 0.55)  # commuter complaints follow commuting


PROFILES: dict[str, Callable[[pd.DatetimeIndex, pd.DataFrame], np.ndarray]] = {
    "heating": _heating,
    "flood": _flood,
    "pre_spring_festival": _pre_spring_festival,
    "enrolment": _enrolment,
    "summer": _summer,
    "holiday_travel": _holiday_travel,
    "workday_only": _workday_only,
}


@dataclass(frozen=True)
class Volume:
    """Expected and drawn daily counts.

    Attributes:
        days: The days, length D.
        types: Appeal-type paths (``一级/二级``), length T.
        districts: District names, length K.
        expected: Expected counts including surges, shape (D, T, K).
        counts: Poisson draws, shape (D, T, K), int.
        surge: Surge multiplier, shape (D, T, K) (1.0 where no event).
        events: Ground-truth surge events: event_id, appeal_type, district, start, end, multiplier,
            expected_extra (orders the event adds in expectation).
    """

    days: pd.DatetimeIndex
    types: list[str]
    districts: list[str]
    expected: np.ndarray
    counts: np.ndarray
    surge: np.ndarray
    events: pd.DataFrame


def simulate_volume(cfg: SyntheticConfig, types: list[str], rng: np.random.Generator) -> Volume:
    """Draw daily counts per type x district following ``cfg``.

    Args:
        cfg: Synthetic-corpus settings.
        types: Appeal-type paths to simulate.
        rng: Random generator (the caller seeds it).
    """
    unknown = sorted(set(cfg.seasonality.values()) - set(PROFILES))
    if unknown:
        raise ValueError(f"synthetic.seasonality: unknown profile(s) {unknown}; known: {sorted(PROFILES)}")
    days = pd.date_range(cfg.start, cfg.end, freq="D")
    if len(days) < 28:
        raise ValueError(f"synthetic: {cfg.start}..{cfg.end} is {len(days)} days; use at least 28")
    districts = list(cfg.districts)
    cal = day_table(days)
    daily = WEEKDAY_SHAPE[days.day_of_week]
    daily = np.where(cal["is_holiday"], HOLIDAY_FACTOR, np.where(cal["is_makeup_workday"], 1.0, daily))
    years = (days - days[0]).days.to_numpy() / 365.25
    daily = daily * (1 + cfg.trend_per_year) ** years
    season = np.stack([PROFILES[cfg.seasonality[t]](days, cal) if t in cfg.seasonality else np.ones(len(days))
                       for t in types], axis=1)  # (D, T)
    w_type = np.array([cfg.weights.get(t, 1.0) for t in types])
    w_district = np.array([cfg.districts[k] for k in districts])
    base = daily[:, None, None] * season[:, :, None] * w_type[None, :, None] * w_district[None, None, :]
    base *= cfg.n_orders / base.sum()
    surge, events = _surges(cfg, days, types, districts, base, rng)
    expected = base * surge
    counts = rng.poisson(expected)
    return Volume(days, types, districts, expected, counts, surge, events)


def _surges(cfg: SyntheticConfig, days: pd.DatetimeIndex, types: list[str], districts: list[str],
            base: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, pd.DataFrame]:
    s = cfg.surges
    surge = np.ones_like(base)
    prone = [i for i, t in enumerate(types) if t.split("/")[-1] in SURGE_PRONE] or list(range(len(types)))
    # Events land in the later half of the period, where forecasts and early warning are evaluated, and
    # never in the first 8 weeks, so a model always has history before an event.
    first = max(56, len(days) // 2)
    rows = []
    for e in range(s.n_events):
        t = int(rng.choice(prone))
        # busier districts are likelier to have an incident noticed by many callers
        k = int(rng.choice(len(districts), p=base[:, t, :].sum(0) / base[:, t, :].sum()))
        length = int(rng.integers(s.min_days, s.max_days + 1))
        start = int(rng.integers(first, max(first + 1, len(days) - length)))
        mult = float(rng.uniform(s.min_multiplier, s.max_multiplier))
        end = min(start + length, len(days))
        # an incident starts sharply and fades: full strength the first days, then half; and one incident
        # brings at least `min_extra_per_day` callers even where the series is usually quiet
        strength = np.where(np.arange(end - start) < max(1, length // 2), 1.0, 0.5)
        b = base[start:end, t, k]
        extra = np.maximum((mult - 1) * b, s.min_extra_per_day) * strength
        surge[start:end, t, k] *= (b + extra) / b
        extra = float((base[start:end, t, k] * (surge[start:end, t, k] - 1)).sum())
        rows.append({"event_id": f"E{e + 1:03d}", "appeal_type": types[t], "district": districts[k],
                     "start": days[start].date(), "end": days[end - 1].date(), "multiplier": round(mult, 2),
                     "expected_extra": round(extra, 1)})
    events = pd.DataFrame(rows, columns=["event_id", "appeal_type", "district", "start", "end", "multiplier",
                                         "expected_extra"])
    return surge, events
