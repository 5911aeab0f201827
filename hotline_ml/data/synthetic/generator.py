"""Generate the synthetic 12345 corpus: work orders, surge events and the generator's ground truth."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from hotline_ml.config import DataConfig, SyntheticConfig
from hotline_ml.data.io import write_table
from hotline_ml.data.synthetic.text import OrderContext, TextComposer, load_phrase_bank, random_mobile
from hotline_ml.data.synthetic.volume import simulate_volume
from hotline_ml.types import FIELDS

log = logging.getLogger(__name__)

# Share of calls per hour of day 0..23: a morning and an afternoon peak, a quiet night.
HOURLY = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.2, 2.2, 2.8, 2.8, 2.4,
                   1.6, 1.8, 2.5, 2.5, 2.2, 1.8, 1.4, 1.3, 1.2, 1.0, 0.7, 0.5])
# Median hours to close an order, by urgency.
CLOSE_HOURS = {"紧急": 1.0, "加急": 12.0, "一般": 60.0}
# Median hours to the first response (an emergency is transferred at once; a routine order waits for dispatch).
RESPOND_HOURS = {"紧急": 0.05, "加急": 1.0, "一般": 4.0}
# Share of surge events bound to a road rather than to an estate (a burst main, a blocked lane, night works).
ROAD_EVENT_SHARE = 0.3
# Share of a surge event's callers who describe its problem; the others raise another matter of the same type.
EVENT_PROBLEM_SHARE = 0.8


@dataclass(frozen=True)
class SyntheticCorpus:
    """A generated corpus.

    Attributes:
        orders: Work orders with the raw fields of ``hotline_ml.types.WorkOrder`` (caller_id is a phone
            number and texts contain PII, as real raw data would).
        events: Ground-truth surge events (see ``volume.Volume.events``), each one problem at one place (a hot
            issue): ``place_kind`` (``estate`` or ``road``) and ``place``, named in every member's text, and
            ``problem``, the body template that most members' texts are written around.
        truth: Per order: ``order_id``, ``true_appeal_type`` (before label noise), ``label_noise`` (bool),
            ``hesitant_label`` (bool: a two-problem letter filed under its second problem),
            ``event_id`` (surge event the order belongs to, or empty), ``pii_kinds`` (comma-separated kinds
            written into the text).
    """

    orders: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame


def taxonomy_types(taxonomy: dict[str, list[str]]) -> list[str]:
    """``一级/二级`` paths of a two-level taxonomy, in config order."""
    return [f"{first}/{second}" for first, seconds in taxonomy.items() for second in seconds]


def generate_corpus(cfg: SyntheticConfig, taxonomy: dict[str, list[str]], progress: bool = True) -> SyntheticCorpus:
    """Generate the corpus deterministically from ``cfg.seed``.

    Args:
        cfg: Volume, calendar and text settings.
        taxonomy: Two-level appeal taxonomy (first level -> second levels); every leaf needs phrases.
        progress: Show a progress bar while writing texts.
    """
    bank = load_phrase_bank()
    problems = bank.check(taxonomy)
    if problems:
        raise ValueError("synthetic phrase bank does not cover the taxonomy:\n  " + "\n  ".join(problems))
    types = taxonomy_types(taxonomy)
    rng = np.random.default_rng(cfg.seed)
    vol = simulate_volume(cfg, types, rng)

    d_idx, t_idx, k_idx = np.nonzero(vol.counts)
    reps = vol.counts[d_idx, t_idx, k_idx]
    d_idx, t_idx, k_idx = (np.repeat(a, reps) for a in (d_idx, t_idx, k_idx))
    n = len(d_idx)
    seconds = rng.choice(24, size=n, p=HOURLY / HOURLY.sum()) * 3600 + rng.integers(0, 3600, size=n)
    created = vol.days[d_idx] + pd.to_timedelta(seconds, unit="s")
    order = np.argsort(created.to_numpy(), kind="stable")
    d_idx, t_idx, k_idx, created = d_idx[order], t_idx[order], k_idx[order], created[order]

    urgency = _draw_urgency(cfg, bank.types, types, t_idx, rng)
    event_of = _event_membership(vol, d_idx, t_idx, k_idx, rng)
    callers = _callers(n, rng)
    py = random.Random(cfg.seed)
    composer = TextComposer(bank, py)
    events = _bind_places(vol.events, bank, py)
    event_place = {e.event_id: {e.place_kind: e.place} for e in events.itertuples()}
    event_problem = dict(zip(events["event_id"], events["problem"], strict=True))
    tells_problem = rng.random(n) < EVENT_PROBLEM_SHARE
    with_pii = rng.random(n) < cfg.pii_rate
    with_typo = rng.random(n) < cfg.typo_rate
    second = np.where(rng.random(n) < cfg.two_topic_rate, rng.integers(0, len(types), size=n), -1)
    # a stream of its own, so every draw above keeps its value: neighbouring second topics and hesitant labels
    side = np.random.default_rng([cfg.seed, 1])
    second = _neighbouring_topics(cfg, types, t_idx, second, side)

    titles, texts, pii_kinds = [], [], []
    for i in tqdm(range(n), desc="synthetic orders", unit="order", disable=not progress, mininterval=1.0):
        day = created[i]
        ctx = OrderContext(
            appeal_type=types[t_idx[i]], urgency=urgency[i], district=vol.districts[k_idx[i]],
            month=day.month, day=day.day, with_pii=bool(with_pii[i]), with_typo=bool(with_typo[i]),
            second_type=types[second[i]] if second[i] >= 0 and second[i] != t_idx[i] else None,
            phone=callers[i], fixed_slots=event_place.get(event_of[i], {}), name_place=bool(event_of[i]),
            body=event_problem.get(event_of[i]) if tells_problem[i] else None,
        )
        composed = composer.compose(ctx)
        titles.append(composed.title)
        texts.append(composed.text)
        pii_kinds.append(",".join(composed.pii_kinds))

    labels, noisy = _label_noise(cfg.label_noise, types, t_idx, rng)
    # a letter about two problems: a person could file it under either, and some file it under the second
    hesitant = (second >= 0) & (second != t_idx) & ~noisy & (side.random(n) < cfg.hesitation_rate)
    labels[hesitant] = np.array(types, dtype=object)[second[hesitant]]
    order_ids = _order_ids(created)
    responded, resolved, satisfaction = _lifecycle(created, urgency, vol.days[-1], rng)
    channels = list(cfg.channels)
    channel_p = np.array([cfg.channels[c] for c in channels], dtype=float)
    orders = pd.DataFrame({
        "order_id": order_ids,
        "created_at": created.strftime("%Y-%m-%d %H:%M:%S"),
        "text": texts,
        "title": titles,
        "channel": np.array(channels)[rng.choice(len(channels), size=n, p=channel_p / channel_p.sum())],
        "district": np.array(vol.districts)[k_idx],
        "appeal_type": labels,
        "urgency": urgency,
        "caller_id": callers,
        "responded_at": responded,
        "resolved_at": resolved,
        "satisfaction": satisfaction,
    })
    orders = orders[[f for f in FIELDS if f in orders]]
    truth = pd.DataFrame({"order_id": order_ids, "true_appeal_type": np.array(types)[t_idx],
                          "label_noise": noisy, "hesitant_label": hesitant, "event_id": event_of,
                          "pii_kinds": pii_kinds})
    log.info("synthetic corpus: %d orders over %d days, %d types x %d districts, %d surge events",
             n, len(vol.days), len(types), len(vol.districts), len(events))
    return SyntheticCorpus(orders, events, truth)


def _bind_places(events: pd.DataFrame, bank, py: random.Random) -> pd.DataFrame:
    kinds = ["road" if py.random() < ROAD_EVENT_SHARE else "estate" for _ in range(len(events))]
    return events.assign(place_kind=kinds, place=[py.choice(bank.slots[k]) for k in kinds],
                         problem=[py.choice(bank.types[t]["bodies"]) for t in events["appeal_type"]])


def _draw_urgency(cfg: SyntheticConfig, templates: dict, types: list[str], t_idx: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    # Only types with emergency phrasings can be emergencies; their rate is raised so that the overall
    # share still matches cfg.emergency_rate.
    can_emerg = np.array([bool(templates[t]["emergency"]) for t in types])[t_idx]
    p_emerg = cfg.emergency_rate * len(t_idx) / max(1, can_emerg.sum())
    u = rng.random(len(t_idx))
    out = np.full(len(t_idx), "一般", dtype=object)
    out[u < cfg.urgent_rate] = "加急"
    out[can_emerg & (u >= 1 - p_emerg)] = "紧急"
    return out


def _event_membership(vol, d_idx, t_idx, k_idx, rng: np.random.Generator) -> np.ndarray:
    # An order in a surge cell belongs to the event with probability (surge - 1) / surge: the excess calls.
    s = vol.surge[d_idx, t_idx, k_idx]
    member = rng.random(len(s)) < (s - 1) / s
    out = np.full(len(s), "", dtype=object)
    for e in vol.events.itertuples():
        t = vol.types.index(e.appeal_type)
        k = vol.districts.index(e.district)
        in_window = (vol.days[d_idx] >= pd.Timestamp(e.start)) & (vol.days[d_idx] <= pd.Timestamp(e.end))
        out[member & in_window & (t_idx == t) & (k_idx == k)] = e.event_id
    return out


def _callers(n: int, rng: np.random.Generator) -> list[str]:
    # Most callers call once; a small pool of frequent callers accounts for about 8 % of orders.
    py = random.Random(int(rng.integers(1 << 31)))
    pool = [random_mobile(py) for _ in range(max(10, n // 200))]
    frequent = rng.random(n) < 0.08
    pick = rng.integers(0, len(pool), size=n)
    return [pool[pick[i]] if frequent[i] else random_mobile(py) for i in range(n)]


def _neighbouring_topics(cfg: SyntheticConfig, types: list[str], t_idx: np.ndarray, second: np.ndarray,
                         rng: np.random.Generator) -> np.ndarray:
    """Second topics: for a share ``cfg.neighbour_share`` of two-topic orders, a type of a neighbouring first
    level (``cfg.neighbours``: 城乡建设 <-> 住房保障, ...), where real letters overlap; the others keep theirs."""
    firsts = np.array([t.split("/")[0] for t in types])
    unknown = sorted({f for f, ns in cfg.neighbours.items() for f in [f, *ns]} - set(firsts))
    if unknown:
        raise ValueError(f"data.synthetic.neighbours names first levels outside the taxonomy: {unknown}")
    pools = {f: np.flatnonzero(np.isin(firsts, cfg.neighbours.get(f, []))) for f in set(firsts)}
    out = second.copy()
    for i in np.flatnonzero((second >= 0) & (rng.random(len(second)) < cfg.neighbour_share)):
        pool = pools[firsts[t_idx[i]]]
        if len(pool):
            out[i] = int(rng.choice(pool))
    return out


def _label_noise(rate: float, types: list[str], t_idx: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Half of the mislabels stay within the same first level (the confusions a real dispatcher makes).
    labels = np.array(types, dtype=object)[t_idx]
    noisy = rng.random(len(t_idx)) < rate
    firsts = np.array([t.split("/")[0] for t in types])
    for i in np.flatnonzero(noisy):
        same = np.flatnonzero((firsts == firsts[t_idx[i]]) & (np.arange(len(types)) != t_idx[i]))
        pool = same if len(same) and rng.random() < 0.5 else np.flatnonzero(np.arange(len(types)) != t_idx[i])
        labels[i] = types[int(rng.choice(pool))]
    return labels, noisy


def _order_ids(created: pd.DatetimeIndex) -> np.ndarray:
    # YYYYMMDD + a 5-digit daily sequence, as many hotline systems number their orders
    day = created.strftime("%Y%m%d")
    seq = pd.Series(day).groupby(day).cumcount().to_numpy() + 1
    return np.array([f"{d}{s:05d}" for d, s in zip(day, seq, strict=True)])


def _lifecycle(created: pd.DatetimeIndex, urgency: np.ndarray, last_day: pd.Timestamp,
               rng: np.random.Generator) -> tuple[list[str | None], list[str | None], list[object]]:
    # Resolution hours are lognormal around the urgency's median: with the limits of conf/indicators.yaml
    # (24 h for 加急, 120 h for 一般) about a fifth of orders are late, and late callers are less satisfied.
    median = np.array([CLOSE_HOURS[u] for u in urgency])
    hours = median * rng.lognormal(0.0, 0.8, size=len(urgency))
    resolved = created + pd.to_timedelta(hours, unit="h")
    first = np.minimum(np.array([RESPOND_HOURS[u] for u in urgency]) * rng.lognormal(0.0, 0.7, len(urgency)),
                       hours)
    responded = created + pd.to_timedelta(first, unit="h")
    open_ = resolved > last_day + pd.Timedelta(days=1)
    # satisfaction falls with waiting time; about 30 % of callers do not answer the survey
    base = 5 - np.clip(np.log1p(hours / median) * 1.5 + rng.normal(0, 0.8, len(hours)), 0, 4)
    answered = (rng.random(len(hours)) > 0.3) & ~open_
    scores = np.clip(np.rint(base), 1, 5).astype(int)
    resolved_s = [None if o else r.strftime("%Y-%m-%d %H:%M:%S") for o, r in zip(open_, resolved, strict=True)]
    unanswered = responded > last_day + pd.Timedelta(days=1)
    responded_s = [None if o else r.strftime("%Y-%m-%d %H:%M:%S")
                   for o, r in zip(unanswered, responded, strict=True)]
    sat = [int(s) if a else None for a, s in zip(answered, scores, strict=True)]
    return responded_s, resolved_s, sat


def corpus_paths(path: str | Path) -> dict[str, Path]:
    """Where :func:`write_corpus` puts the orders, the events and the truth for orders at ``path``."""
    path = Path(path)
    return {"orders": path, "events": path.with_name(path.stem + "_events.csv"),
            "truth": path.with_name(path.stem + "_truth.parquet")}


def read_ground_truth(data: DataConfig) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The generator's truth (per order) and events beside a synthetic data set's orders; ``None`` when the
    data set is not synthetic or the files are not there."""
    if data.synthetic is None:
        return None
    paths = corpus_paths(data.path)
    if not (paths["truth"].is_file() and paths["events"].is_file()):
        return None
    return pd.read_parquet(paths["truth"]), pd.read_csv(paths["events"], encoding="utf-8-sig")


def write_corpus(corpus: SyntheticCorpus, path: str | Path) -> dict[str, Path]:
    """Write orders to ``path`` (CSV or Parquet by suffix) and events/truth beside it.

    Returns:
        ``{"orders": ..., "events": ..., "truth": ...}`` paths.
    """
    paths = corpus_paths(path)
    return {"orders": write_table(corpus.orders, paths["orders"]),
            "events": write_table(corpus.events, paths["events"]),
            "truth": write_table(corpus.truth, paths["truth"])}
