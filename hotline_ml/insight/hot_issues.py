"""Hot issues: appeals about the same problem at the same place, raised by several callers within weeks.

Two appeals are linked when

1. they name a common place specific enough to be one spot (an estate, road, village, school, company or
   landmark: :mod:`hotline_ml.insight.places`; a city, district or street is context, not a spot),
2. they were created at most ``window_days`` apart, and
3. their texts say the same thing: the cosine of their character n-gram TF-IDF vectors (title + text, with the
   place names and the PII placeholders blanked, so that sharing a place does not count twice) is at least
   ``min_similarity``.

Linked appeals form groups (connected components; two groups of one place whose centroids are similar are
merged). A group may still chain a burst to a place's steady load (the heating company named all winter), so
hot issues are *peeled* off each group as bursts: for each place the group names, the stretch of days (one at
least, ``window_days`` at most, and at most half the data, as scan statistics do) in which the group's appeals
naming that place are least likely by chance, judged two ways:

- in time, at the place's usual rate of such appeals: the place's appeals anywhere in the data as similar to
  the group's centroid as linked appeals are (or the group's own, when more), outside the stretch, per day
  outside it, plus half an appeal so that a place only the stretch names still has a rate;
- in space, at the place's share of all appeals, among the appeals like these made anywhere in the city in
  those days (heating complaints rise everywhere in winter; that is no burst at one estate).

``burst_p`` is the larger of the two tail probabilities (Poisson, binomial) and ``lift`` observed over expected
in time. A stretch is a hot issue when ``burst_p <= family_alpha / stretches tested`` (Bonferroni over the
whole search: ``family_alpha`` is the chance of reporting any burst by chance at all). The hot issue is the
burst and the group's appeals within ``window_days`` of it that say what it says, when they are at least
``min_orders`` appeals from ``min_callers`` distinct (hashed) callers; the rest of the group is searched again.
Only appeals that share a place are ever compared, so the work grows with the appeals per place, not with the
square of all appeals.

Heat index, documented in the report (every term is ``log1p`` so no single one dominates, and each weight is in
``conf/find_hot_issues.yaml``)::

    heat = w_orders * log1p(orders) + w_callers * log1p(distinct callers) + w_likes * log1p(likes)
         + w_duration * log1p(days from first to last appeal) + w_growth * log1p(orders in the last
           recent_days of the data)

Likes count only where the data has them (TipDM's 点赞数); the growth term favours issues still live at the end
of the data over settled ones.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import binom, poisson
from tqdm.auto import tqdm

from hotline_ml.config import HotIssueConfig, PlaceConfig, PlaceKind
from hotline_ml.insight.places import PlaceExtractor

#: Columns of ``hot_issues.csv``, in order.
COLUMNS = ["rank", "heat", "first_at", "last_at", "place", "description", "n_orders", "n_callers", "likes",
           "lift", "burst_p", "order_ids"]
_PLACEHOLDER = re.compile(r"\[[^\[\]]{1,4}\]")


@dataclass(frozen=True)
class HotIssues:
    """The groups found, hottest first.

    Attributes:
        groups: One row per hot issue (:data:`COLUMNS`; ``order_ids`` is a list).
        members: One row per order in a hot issue: ``group`` (its rank), ``order_id``, ``created_at``,
            ``title``, ``text``, ``caller_id``, ``likes``.
        n_orders: Orders read.
        n_with_place: Orders naming at least one specific place.
        n_pairs: Pairs of appeals compared.
        n_steady: Groups big enough but no burst at their place.
        n_tests: Stretches tested for a burst.
        threshold: The largest ``burst_p`` reported: ``family_alpha / n_tests``.
    """

    groups: pd.DataFrame
    members: pd.DataFrame
    n_orders: int
    n_with_place: int
    n_pairs: int
    n_steady: int
    n_tests: int
    threshold: float


def find_hot_issues(orders: pd.DataFrame, cfg: HotIssueConfig, places: PlaceConfig,
                    progress: bool = True) -> HotIssues:
    """Group ``orders`` into hot issues and rank them by heat.

    Args:
        orders: Validated, masked work orders (``order_id``, ``created_at``, ``text``; ``title``,
            ``caller_id``, ``likes`` when there).
        cfg: Linking thresholds, group minimums and heat weights.
        places: Place-name rules.
        progress: Show a progress bar over the places compared.
    """
    orders = orders.reset_index(drop=True)
    if len(orders) < cfg.min_orders:  # nothing to group (and no vocabulary to build)
        empty = pd.DataFrame(columns=COLUMNS)
        return HotIssues(empty, pd.DataFrame(columns=["group", "order_id", "created_at", "text"]), len(orders), 0,
                         0, 0, 0, cfg.family_alpha)
    texts = _texts(orders)
    extractor = PlaceExtractor(places)
    found = [extractor.extract(t) for t in tqdm(texts, desc="places", unit="order", disable=not progress,
                                                 mininterval=1.0)]
    keys = [extractor.keys(f) for f in found]
    vectors = _vectors([_blank(t, f) for t, f in zip(texts, found, strict=True)], cfg)
    days = (orders["created_at"] - orders["created_at"].min()).dt.total_seconds().to_numpy() / 86400
    parent = np.arange(len(orders))
    n_pairs = 0
    blocks = _blocks(keys)
    for idx in tqdm(blocks.values(), desc="places compared", unit="place", disable=not progress, mininterval=1.0):
        n_pairs += _link(idx, vectors, days, cfg, parent)
    _merge_groups(blocks, vectors, days, cfg, parent)
    roots = np.array([_find(parent, i) for i in range(len(orders))])
    groups, members, n_steady, n_tests, threshold = _groups(orders, roots, keys, blocks, found, vectors, cfg)
    return HotIssues(groups, members, len(orders), sum(bool(k) for k in keys), n_pairs, n_steady, n_tests,
                     threshold)


def _texts(orders: pd.DataFrame) -> list[str]:
    title = orders["title"].fillna("") if "title" in orders else pd.Series("", index=orders.index)
    return [f"{t}。{x}" if t else x for t, x in zip(title, orders["text"].fillna(""), strict=True)]


def _blank(text: str, found) -> str:
    # blank place names (every appeal at the spot shares them) and PII placeholders ([电话] says nothing)
    chars = list(text)
    for p in found:
        chars[p.start:p.end] = [" "] * (p.end - p.start)
    return _PLACEHOLDER.sub(" ", "".join(chars))


def _vectors(texts: list[str], cfg: HotIssueConfig) -> sparse.csr_matrix:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(cfg.ngram_min, cfg.ngram_max), min_df=2,
                                 sublinear_tf=True, dtype=np.float32)
    return vectorizer.fit_transform(texts).tocsr()  # rows are L2-normalised: a dot product is the cosine


def _blocks(keys: list[set[str]]) -> dict[str, np.ndarray]:
    index: dict[str, list[int]] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            index.setdefault(k, []).append(i)
    return {k: np.array(v) for k, v in index.items() if len(v) > 1}


def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _link(idx: np.ndarray, vectors: sparse.csr_matrix, days: np.ndarray, cfg: HotIssueConfig,
          parent: np.ndarray, chunk: int = 2000) -> int:
    """Union the appeals of one place that are close in time and in text; return the pairs compared."""
    idx = idx[np.argsort(days[idx], kind="stable")]
    t = days[idx]
    compared = 0
    for lo in range(0, len(idx), chunk):
        hi = min(lo + chunk, len(idx))
        # the later partners of rows lo..hi lie before the first time past the window of the last row
        stop = int(np.searchsorted(t, t[hi - 1] + cfg.window_days, side="right"))
        sim = (vectors[idx[lo:hi]] @ vectors[idx[lo:stop]].T).toarray()
        near = np.abs(t[lo:hi, None] - t[None, lo:stop]) <= cfg.window_days
        later = np.arange(lo, hi)[:, None] < np.arange(lo, stop)[None, :]
        compared += int((near & later).sum())
        for a, b in zip(*np.nonzero(near & later & (sim >= cfg.min_similarity)), strict=True):
            ra, rb = _find(parent, int(idx[lo + a])), _find(parent, int(idx[lo + b]))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return compared


def _merge_groups(blocks: dict[str, np.ndarray], vectors: sparse.csr_matrix, days: np.ndarray,
                  cfg: HotIssueConfig, parent: np.ndarray) -> None:
    """Merge linked groups of one place whose centroids are similar and whose spans are a window apart at most.

    Different writers describe one problem in different words: two appeals may share too few n-grams while
    the averages of two groups of them do not (TipDM's 丽发新城 mixing-plant complaints came out as three groups).
    """
    roots = np.array([_find(parent, i) for i in range(len(parent))])
    sizes = np.bincount(roots, minlength=len(roots))
    for idx in blocks.values():
        comps = sorted({int(r) for r in roots[idx] if sizes[r] > 1})
        if len(comps) < 2:
            continue
        members = [np.flatnonzero(roots == r) for r in comps]
        centre = sparse.vstack([sparse.csr_matrix(vectors[m].mean(axis=0)) for m in members])
        norms = np.sqrt(np.asarray(centre.multiply(centre).sum(axis=1)).ravel())
        sim = (centre @ centre.T).toarray() / np.outer(norms, norms)
        spans = [(days[m].min(), days[m].max()) for m in members]
        for a in range(len(comps)):
            for b in range(a + 1, len(comps)):
                gap = max(spans[a][0], spans[b][0]) - min(spans[a][1], spans[b][1])
                if sim[a, b] >= cfg.min_similarity and gap <= cfg.window_days:
                    ra, rb = _find(parent, comps[a]), _find(parent, comps[b])
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)


def _groups(orders: pd.DataFrame, roots: np.ndarray, keys: list[set[str]], blocks: dict[str, np.ndarray], found,
            vectors: sparse.csr_matrix, cfg: HotIssueConfig) -> tuple[pd.DataFrame, pd.DataFrame, int, int, float]:
    data_days = max(1.0, (orders["created_at"].max() - orders["created_at"].min()).total_seconds() / 86400)
    callers = orders["caller_id"] if "caller_id" in orders else pd.Series(orders["order_id"], dtype=object)
    # an order without a caller id counts as a caller of its own
    callers = callers.where(callers.notna(), "order:" + orders["order_id"].astype(str))
    likes = orders["likes"].fillna(0).astype(float) if "likes" in orders else pd.Series(0.0, index=orders.index)
    rows, n_steady = [], 0
    times = (orders["created_at"] - orders["created_at"].min()).dt.total_seconds().to_numpy() / 86400
    candidates = [g.to_numpy() for _, g in pd.Series(np.arange(len(orders))).groupby(roots)
                  if len(g) >= cfg.min_orders and callers.iloc[g.to_numpy()].nunique() >= cfg.min_callers]
    # Bonferroni over every stretch of the search: family_alpha is the chance of any burst by chance at all
    stretches = [_stretches(m, times, keys, data_days, cfg) for m in candidates]
    n_tests = sum(n for _, n in stretches)
    threshold = cfg.family_alpha / max(1, n_tests)
    for members, (first, _) in zip(candidates, stretches, strict=True):
        bursts = _bursts(members, first, times, keys, blocks, vectors, data_days, threshold, cfg)
        n_steady += not bursts
        for m, burst_p, lift in bursts:
            if callers.iloc[m].nunique() >= cfg.min_callers:
                rows.append(_group_row(m, burst_p, lift, orders, callers, likes, keys, found, vectors, cfg))
    groups = pd.DataFrame(rows, columns=[*COLUMNS[1:], "_members"])
    groups = groups.sort_values(["heat", "n_orders"], ascending=False, kind="stable").reset_index(drop=True)
    groups.insert(0, "rank", np.arange(1, len(groups) + 1))
    member_rows = [(rank, i) for rank, m in zip(groups["rank"], groups["_members"], strict=True) for i in m]
    cols = [c for c in ("order_id", "created_at", "title", "text", "caller_id", "likes") if c in orders]
    members = orders.loc[[i for _, i in member_rows], cols].reset_index(drop=True)
    members.insert(0, "group", [rank for rank, _ in member_rows])
    members = members.sort_values(["group", "created_at"], kind="stable").reset_index(drop=True)
    return groups.drop(columns="_members"), members, n_steady, n_tests, threshold


def _stretches(m: np.ndarray, times: np.ndarray, keys: list[set[str]], data_days: float,
               cfg: HotIssueConfig) -> tuple[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], int]:
    """The stretches :func:`_bursts` tests for one group: per place named by ``min_orders`` of its orders, the
    orders naming it (by time) and each stretch's first and last position; and how many stretches that is."""
    m = m[np.argsort(times[m], kind="stable")]
    out, n = {}, 0
    for key in [k for k, c in Counter(k for i in m for k in keys[i]).items() if c >= cfg.min_orders]:
        idx = m[[key in keys[i] for i in m]]
        t = times[idx]
        a, b = np.triu_indices(len(t), k=cfg.min_orders - 1)
        # a burst lasts a window at most, and half the data at most: the other half tells the usual rate
        short = t[b] - t[a] <= min(cfg.window_days, data_days / 2)
        out[key] = (idx, a[short], b[short])
        n += int(short.sum())
    return out, n


def _bursts(m: np.ndarray, first: dict, times: np.ndarray, keys: list[set[str]], blocks: dict[str, np.ndarray],
            vectors: sparse.csr_matrix, data_days: float, threshold: float,
            cfg: HotIssueConfig) -> list[tuple[np.ndarray, float, float]]:
    """Peel the bursts off one linked group, most significant first: ``(members, burst_p, lift)`` each;
    ``first`` is the group's :func:`_stretches` (those of what remains are worked out after each burst).

    For each place the group names, the group's orders naming it are scanned for the stretch (between two of
    them, a day at least, ``window_days`` and half the data at most) least likely by chance. ``burst_p`` is the
    larger of two tail probabilities, and both must be small:

    - time: Poisson, at the place's usual rate of appeals like these: the place's orders anywhere in the data
      as similar to the group's centroid as linked appeals are (or the group's own, when more), outside the
      stretch, plus half an order, per day outside the stretch;
    - share: binomial, of the stretch's count among the appeals like these anywhere in the city in the same
      days, at the place's share of all appeals (a problem the whole city has that season is no burst at one
      place).

    The least likely stretch of any place is a burst when ``burst_p <= threshold``; it and the group's orders
    around it (:func:`_around`) are one hot issue, taken off before the rest is searched again.
    """
    rest = m
    in_group = Counter(k for i in m for k in keys[i])
    out = []
    table = first
    while len(rest) >= cfg.min_orders:
        best = None
        for key, (idx, a, b) in table.items():
            if not len(a):
                continue
            # the group itself counts: a chain of like appeals over the years is the place's usual load
            usual = max(in_group[key], _similar_count(blocks[key], idx, vectors, cfg.min_similarity))
            t = times[idx]
            count, span = b - a + 1, np.maximum(1.0, t[b] - t[a])
            rate = (np.maximum(usual - count, 0) + 0.5) / np.maximum(1.0, data_days - span)
            p = poisson.sf(count - 1, rate * span)
            live = p <= threshold
            if not live.any():
                continue
            share = len(blocks[key]) / len(times)
            p[live] = np.maximum(p[live], _share_p(idx, t, a[live], b[live], count[live], times, vectors, share,
                                                   cfg.min_similarity))
            k = int(np.argmin(p))
            if best is None or p[k] < best[1]:
                best = (idx[a[k]:b[k] + 1], float(p[k]), float(count[k] / (rate[k] * span[k])))
        if best is None or best[1] > threshold:
            break
        members = _around(best[0], rest, times, vectors, cfg)
        out.append((members, best[1], best[2]))
        rest = rest[~np.isin(rest, members)]
        table = _stretches(rest, times, keys, data_days, cfg)[0]
    return out


def _around(burst: np.ndarray, rest: np.ndarray, times: np.ndarray, vectors: sparse.csr_matrix,
            cfg: HotIssueConfig) -> np.ndarray:
    """The burst and the group's other appeals within ``window_days`` of it that say what it says (cosine to
    its centroid at least ``min_similarity``), whichever place they name."""
    lo, hi = times[burst].min() - cfg.window_days, times[burst].max() + cfg.window_days
    near = rest[(times[rest] >= lo) & (times[rest] <= hi) & ~np.isin(rest, burst)]
    if not len(near):
        return burst
    return np.concatenate([burst, near[_to_centroid(vectors, burst, near) >= cfg.min_similarity]])


def _share_p(idx: np.ndarray, t: np.ndarray, a: np.ndarray, b: np.ndarray, count: np.ndarray, times: np.ndarray,
             vectors: sparse.csr_matrix, share: float, min_similarity: float) -> np.ndarray:
    """Binomial tail of each stretch's count among the appeals like the group's anywhere in the city in the
    same days, at the place's share of all appeals: a problem the whole city raises that season (heating in
    winter) is no burst at one place, however many of its appeals name it."""
    like = np.sort(times[_to_centroid(vectors, idx) >= min_similarity])
    n_like = np.searchsorted(like, t[b], side="right") - np.searchsorted(like, t[a], side="left")
    return binom.sf(count - 1, np.maximum(n_like, count), share)


def _similar_count(block: np.ndarray, members: np.ndarray, vectors: sparse.csr_matrix, threshold: float) -> int:
    """Orders of a place's block whose text is as close to the members' centroid as linked appeals are."""
    return int((_to_centroid(vectors, members, block) >= threshold).sum())


def _to_centroid(vectors: sparse.csr_matrix, members: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Cosine of each of ``rows`` (all rows when ``None``) to the centroid of ``members``."""
    centre = np.asarray(vectors[members].mean(axis=0)).ravel()
    centre /= max(float(np.linalg.norm(centre)), 1e-12)
    return np.asarray((vectors if rows is None else vectors[rows]) @ centre).ravel()


def _group_row(m: np.ndarray, burst_p: float, lift: float, orders: pd.DataFrame, callers: pd.Series,
               likes: pd.Series, keys: list[set[str]], found, vectors: sparse.csr_matrix,
               cfg: HotIssueConfig) -> dict:
    created = orders["created_at"].iloc[m]
    span = (created.max() - created.min()).total_seconds() / 86400
    recent = int((created > orders["created_at"].max() - pd.Timedelta(days=cfg.recent_days)).sum())
    n_callers = int(callers.iloc[m].nunique())
    description = _description(m, orders, vectors)
    w = cfg.heat
    heat = (w.orders * np.log1p(len(m)) + w.callers * np.log1p(n_callers) + w.likes * np.log1p(likes.iloc[m].sum())
            + w.duration * np.log1p(span) + w.growth * np.log1p(recent))
    return {"heat": round(float(heat), 3), "first_at": created.min(), "last_at": created.max(),
            "place": _place(m, keys, found, description), "description": description, "n_orders": len(m),
            "n_callers": n_callers, "likes": int(likes.iloc[m].sum()), "lift": round(lift, 1),
            "burst_p": float(f"{burst_p:.3g}"), "order_ids": orders["order_id"].iloc[m].tolist(), "_members": m}


def _place(m: np.ndarray, keys: list[set[str]], found, description: str) -> str:
    """The specific place most members name (on a tie, one the description names), after the district most of
    them name (``A3区 青青家园``)."""
    counts = Counter(k for i in m for k in keys[i])
    spot = sorted(counts.items(), key=lambda kv: (kv[1], kv[0] in description), reverse=True)
    district = Counter(name for i in m for name in {p.name for p in found[i] if p.kind == PlaceKind.district})
    head = district.most_common(1)[0][0] + " " if district and district.most_common(1)[0][1] * 2 > len(m) else ""
    return head + (spot[0][0] if spot else "")


def _description(m: np.ndarray, orders: pd.DataFrame, vectors: sparse.csr_matrix) -> str:
    """The title (or opening) of the member closest to all others: the group's most typical appeal."""
    v = vectors[m]
    centre = int(np.asarray((v @ v.T).sum(axis=1)).ravel().argmax())
    row = orders.iloc[m[centre]]
    title = row.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    text = str(row["text"])
    return text[:40] + ("…" if len(text) > 40 else "")
