"""Train / validation / test splits that do not leak.

``time``: whole days go to one split; the test period is the most recent, validation the period before it.
``stratified``: random, stratified by the first level of the appeal type (or another field).

In both, near-duplicate texts (equal after dropping whitespace, punctuation, masking placeholders and case)
form a group, and a group never crosses splits: it goes where its earliest member goes, so a test appeal is
never a copy of a training one. Order ids are unique after validation, so no id crosses splits either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from hotline_ml.config import SplitConfig, SplitMethod

SPLITS = ("train", "validation", "test")
_NOISE = re.compile(r"\[[^\]]{1,4}\]|[\s\W_]+")  # masking placeholders ([电话]), whitespace, punctuation


@dataclass(frozen=True)
class SplitReport:
    """How the split came out.

    Attributes:
        method: ``time`` or ``stratified``.
        sizes: Split name -> number of orders.
        periods: Split name -> (first, last) ``created_at`` of the orders the method assigned to it, before
            near-duplicates joined their group (for ``time``: the split's own period).
        near_duplicate_groups: Groups of near-duplicate texts with more than one member.
        moved: Orders placed in an earlier split than their own date (or draw) would give, to keep their
            near-duplicate group together.
    """

    method: str
    sizes: dict[str, int]
    periods: dict[str, tuple[str, str]]
    near_duplicate_groups: int
    moved: int


def near_duplicate_key(texts: pd.Series) -> pd.Series:
    """Key under which near-duplicate texts coincide."""
    return texts.fillna("").str.lower().str.replace(_NOISE, "", regex=True)


def split_orders(orders: pd.DataFrame, cfg: SplitConfig) -> tuple[dict[str, pd.DataFrame], SplitReport]:
    """Split validated orders.

    Args:
        orders: Kept orders (needs ``created_at`` and ``text``; ``stratify_by`` for ``stratified``).
        cfg: Split settings.

    Returns:
        Split name -> orders (sorted by ``created_at``), and the report.
    """
    if not 0 <= cfg.val_frac < 1 or not 0 < cfg.test_frac < 1 or cfg.val_frac + cfg.test_frac >= 1:
        raise ValueError(f"split: need 0 <= val_frac, 0 < test_frac and val_frac + test_frac < 1; got "
                         f"{cfg.val_frac}, {cfg.test_frac}")
    if len(orders) < 3:
        raise ValueError(f"split: {len(orders)} orders are too few to split into {SPLITS}")
    method = SplitMethod(cfg.method)  # a plain string from code is checked here; a config's at compose time
    undated = int(orders["created_at"].isna().sum())
    if method is SplitMethod.time and undated:
        raise ValueError(f"split=time needs created_at on every order; {undated} of {len(orders)} have none (a data "
                         "set without times, such as tipdm2020c_more): use split=stratified, or a job that needs "
                         "no time")
    orders = orders.sort_values(["created_at", "order_id"], kind="stable").reset_index(drop=True)
    rank = _time_rank(orders["created_at"], cfg) if method is SplitMethod.time else _stratified_rank(orders, cfg)
    key = near_duplicate_key(orders["text"])
    group_rank = pd.Series(rank).groupby(key.to_numpy()).transform("min").to_numpy()
    sizes = key.map(key.value_counts())
    parts = {name: orders[group_rank == i].reset_index(drop=True) for i, name in enumerate(SPLITS)}
    report = SplitReport(
        method=method.value,
        sizes={name: len(part) for name, part in parts.items()},
        periods={name: _period(orders["created_at"][rank == i]) for i, name in enumerate(SPLITS)},
        near_duplicate_groups=int(key[sizes.to_numpy() > 1].nunique()),
        moved=int((group_rank != rank).sum()),
    )
    return parts, report


def _period(created: pd.Series) -> tuple[str, str]:
    return (str(created.min()), str(created.max())) if len(created) else ("", "")


def _time_rank(created: pd.Series, cfg: SplitConfig) -> np.ndarray:
    # Cut between days, at the day where the cumulative share of orders reaches the boundary.
    day = created.dt.normalize()
    share = day.map(day.value_counts().sort_index().cumsum() / len(day)).to_numpy()
    prev = share - day.map(day.value_counts()).to_numpy() / len(day)  # share before this day
    rank = np.zeros(len(day), dtype=np.int64)
    rank[prev >= 1 - cfg.test_frac - cfg.val_frac - 1e-12] = 1
    rank[prev >= 1 - cfg.test_frac - 1e-12] = 2
    if not (rank == 2).any():  # a single very busy last day: it still becomes the test period
        rank[day == day.max()] = 2
    return rank


def _stratified_rank(orders: pd.DataFrame, cfg: SplitConfig) -> np.ndarray:
    values = orders[cfg.stratify_by].fillna("∅").astype(str)
    if cfg.stratify_by == "appeal_type":
        values = values.str.split("/").str[0]
    counts = values.map(values.value_counts())
    strata = values.where(counts >= 5, "__rare__")  # too few to spread over three splits
    idx = np.arange(len(orders))
    rest_frac = cfg.val_frac + cfg.test_frac
    _, rest = train_test_split(idx, test_size=rest_frac, random_state=cfg.seed, stratify=_safe(strata, idx))
    rank = np.zeros(len(orders), dtype=np.int64)
    if cfg.val_frac == 0:
        rank[rest] = 2
        return rank
    val, test = train_test_split(rest, test_size=cfg.test_frac / rest_frac, random_state=cfg.seed,
                                 stratify=_safe(strata, rest))
    rank[val], rank[test] = 1, 2
    return rank


def _safe(strata: pd.Series, idx: np.ndarray) -> np.ndarray | None:
    # scikit-learn refuses to stratify when a stratum has a single member
    s = strata.to_numpy()[idx]
    return s if pd.Series(s).value_counts().min() >= 2 else None


def repost_groups(orders: pd.DataFrame, jaccard: float, containment: float, same_caller: bool,
                  block_rows: int = 2000) -> np.ndarray:
    """A group number per order: near-duplicates and reposts of one incident share it (for grouped folds).

    Two orders are linked when their normalised texts (:func:`near_duplicate_key`) are equal, their char
    3-gram sets reach ``jaccard`` (intersection / union) or ``containment`` (intersection / the smaller set),
    their titles are equal, or (``same_caller``) they come from the same caller; groups are the connected
    components of these links. On TipDM's 494-row sample the caller links most reposts (10 groups, 22 orders)
    and text similarity 3 more pairs; on tipdm2020c_more (no callers) similarity links 337 orders in 160 groups.

    Args:
        orders: Orders with ``text`` (``title`` and ``caller_id`` used when present).
        block_rows: Rows compared with all others at a time (memory grows with the shared 3-grams of a block
            and all orders: seconds and megabytes for 5,508 real letters; templated text such as the 100k-order
            synthetic corpus shares far more and is meant for the time split, not for grouped CV).
    """
    n = len(orders)
    keys = near_duplicate_key(orders["text"].astype(object))
    links = [_same_value_links(keys)]
    if "title" in orders:
        titles = near_duplicate_key(orders["title"].astype(object))
        links.append(_same_value_links(titles.where(titles != "")))
    if same_caller and "caller_id" in orders:
        links.append(_same_value_links(orders["caller_id"].astype(object)))
    grams = CountVectorizer(analyzer="char", ngram_range=(3, 3), binary=True, dtype=np.float32)
    # texts shorter than 3 characters have no 3-grams: only equal keys link them
    x = grams.fit_transform(keys).tocsr() if (keys.str.len() >= 3).any() else sp.csr_matrix((n, 1))
    size = np.asarray(x.sum(axis=1)).ravel()
    for start in range(0, n, block_rows):
        inter = (x[start:start + block_rows] @ x.T).tocoo()
        i, j, shared = inter.row + start, inter.col, inter.data
        keep = i < j
        i, j, shared = i[keep], j[keep], shared[keep]
        union = size[i] + size[j] - shared
        smaller = np.minimum(size[i], size[j])
        linked = (shared > 0) & ((shared >= jaccard * union) | (shared >= containment * smaller))
        links.append((i[linked], j[linked]))
    rows = np.concatenate([a for a, _ in links]).astype(np.int64)
    cols = np.concatenate([b for _, b in links]).astype(np.int64)
    graph = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _same_value_links(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Links from each order to the first order with the same (non-missing) value."""
    codes, _ = pd.factorize(values.to_numpy(), use_na_sentinel=True)
    idx = np.arange(len(codes))
    first = pd.Series(idx).groupby(codes).transform("min").to_numpy()
    keep = (codes >= 0) & (first != idx)
    return first[keep], idx[keep]


def grouped_folds(y: pd.Series, groups: np.ndarray, n_folds: int,
                  seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(fit, validation, test)`` row positions per fold: stratified by ``y``, and a group never in two parts.

    The test part is one of ``n_folds`` grouped folds; the rest is split again, grouped, into fit and an inner
    validation part (one of ``max(2, n_folds - 1)`` folds of it), on which every choice of the fold is made.
    """
    y = np.asarray(y, dtype=object)
    out = []
    outer = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (rest, test) in enumerate(outer.split(np.zeros(len(y)), y, groups)):
        inner = StratifiedGroupKFold(n_splits=max(2, n_folds - 1), shuffle=True, random_state=seed + k + 1)
        fit, val = next(inner.split(np.zeros(len(rest)), y[rest], groups[rest]))
        out.append((rest[fit], rest[val], test))
    return out


def group_summary(groups: np.ndarray) -> dict[str, int]:
    """How many groups, how many hold more than one order and how many orders those hold, the largest."""
    sizes = pd.Series(groups).value_counts()
    multi = sizes[sizes > 1]
    return {"orders": len(groups), "groups": len(sizes), "groups_of_2_or_more": len(multi),
            "orders_in_such_groups": int(multi.sum()), "largest_group": int(sizes.max()) if len(sizes) else 0}
