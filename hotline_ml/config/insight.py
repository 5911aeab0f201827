"""Schemas of the insight jobs: places, hot issues, lifecycle indicators."""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING

from hotline_ml.config.common import PathsConfig, PlaceKind, TrackingConfig
from hotline_ml.config.data import DataConfig, DesensitizeConfig, SplitConfig


@dataclass
class PlaceConfig:
    """How place names are found in appeal text (:mod:`hotline_ml.insight.places`).

    A place is a name that ends in one of a kind's suffixes (``联丰路``, ``青青家园``, ``A3区``). The name is
    read leftwards from the suffix over jieba words until a word that cannot be part of a name.

    Attributes:
        suffixes: Kind -> the suffixes that end a name of that kind.
        qualifiers: Regular expression of what may follow an estate or village name and still belong to it
            (``三期``, ``西区``, ``3号院``).
        generic: Words that end in a suffix but name no place (``道路``, ``小区``, ``农村``).
        stop_words: Words that end a name to their left (``住在``, ``位于``, ``反映``).
        stop_chars: Single characters that end a name to their left (``在``, ``的``, ``我``).
        stop_tags: jieba dictionary tags of words that end a name (verbs, pronouns, prepositions, ...).
        name_words: Words that never end a name, whatever their tag (``开发`` of ``房地产开发有限公司``).
        single_stop_tags: Tags that end a name on a single-character word too. Most single-character tags
            say little (``联`` of ``联丰路`` is tagged a verb), these few are reliable (``由``, ``而``).
        common_noun_tags: Tags of common nouns. A suffix that ends a common noun (``垃圾站``, ``道路``) is no
            suffix; in the name of a city, district or street, a common noun ends the name (``扰民A3区``).
        type_kinds: Kinds whose name is a type of place rather than a name when every word before the suffix
            is a common noun (``热力公司``, ``洗车店``; but ``人民路`` is a road's name).
        max_name_chars: Longest name read leftwards from a suffix, suffix included.
        not_places: Regular expression of names that are no place (bus lines: ``947路``).
        key_drop: Regular expression of what a matching key drops from the end of a name.
        key_kinds: Kinds specific enough that two appeals naming the same one concern the same spot; cities
            and districts are context, not a spot.
    """

    suffixes: dict[PlaceKind, list[str]] = MISSING
    qualifiers: str = MISSING
    generic: list[str] = MISSING
    stop_words: list[str] = MISSING
    stop_chars: str = MISSING
    stop_tags: list[str] = MISSING
    name_words: list[str] = MISSING
    single_stop_tags: list[str] = MISSING
    common_noun_tags: list[str] = MISSING
    type_kinds: list[PlaceKind] = MISSING
    max_name_chars: int = MISSING
    not_places: str = MISSING
    key_drop: str = MISSING
    key_kinds: list[PlaceKind] = MISSING


@dataclass
class HeatWeights:
    """Weights of the heat index terms (:mod:`hotline_ml.insight.hot_issues`; each term is ``log1p``)."""

    orders: float = MISSING
    callers: float = MISSING
    likes: float = MISSING
    duration: float = MISSING
    growth: float = MISSING


@dataclass
class HotIssueConfig:
    """How appeals are grouped into hot issues (:mod:`hotline_ml.insight.hot_issues`).

    Attributes:
        window_days: Two appeals are linked only when created at most this many days apart.
        min_similarity: Least cosine of their character n-gram TF-IDF vectors (places and PII blanked).
        ngram_min: Shortest character n-gram.
        ngram_max: Longest character n-gram.
        min_orders: A hot issue has at least this many orders ...
        min_callers: ... from at least this many distinct callers ...
        family_alpha: ... and is a burst at its place: the chance of reporting any burst by chance in the whole
            search (Bonferroni over every stretch tested).
        recent_days: The growth term counts the orders of the last this many days of the data.
        heat: Weights of the heat index.
        top: Hot issues described in the report.
        examples: Desensitized example appeals shown per hot issue.
    """

    window_days: float = MISSING
    min_similarity: float = MISSING
    ngram_min: int = MISSING
    ngram_max: int = MISSING
    min_orders: int = MISSING
    min_callers: int = MISSING
    family_alpha: float = MISSING
    recent_days: int = MISSING
    heat: HeatWeights = MISSING
    top: int = MISSING
    examples: int = MISSING


@dataclass
class FindHotIssuesConfig:
    """Entry config of ``training/find_hot_issues.py``: load and mask orders, find and rank hot issues."""

    data: DataConfig = MISSING
    split: SplitConfig = MISSING  # used only when the data is not prepared yet
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
    places: PlaceConfig = MISSING
    hot_issues: HotIssueConfig = MISSING
    tracking: TrackingConfig = MISSING
    output_dir: str = MISSING


@dataclass
class IndicatorConfig:
    """How the lifecycle indicators are computed (:mod:`hotline_ml.insight.indicators`).

    Attributes:
        time_limit_hours: Urgency level -> hours within which an order must be resolved to be on time. Orders
            without an urgency use ``default_limit_hours``.
        default_limit_hours: Time limit of orders whose urgency is empty or not listed.
        period: pandas period alias of the reporting period (``W-SUN``: weeks Monday..Sunday).
        dimensions: Fields the indicators are broken down by, besides the whole (``district``,
            ``appeal_type``, ``channel``).
        type_level: Appeal types are cut to this many levels in the breakdown (1: ``城乡建设``).
        repeat_window_days: An order is a repeat call when the same (hashed) caller called within this many
            days before it, and a repeat appeal when that earlier call had the same appeal type.
        satisfied_min: Satisfaction scores at or above this count as satisfied.
        min_orders: Cells (period x dimension value) with fewer orders get no change against the previous
            period: a change on a handful of orders is noise.
        top: Rows per table in the report.
    """

    time_limit_hours: dict[str, float] = MISSING
    default_limit_hours: float = MISSING
    period: str = MISSING
    dimensions: list[str] = MISSING
    type_level: int = MISSING
    repeat_window_days: int = MISSING
    satisfied_min: int = MISSING
    min_orders: int = MISSING
    top: int = MISSING


@dataclass
class ComputeIndicatorsConfig:
    """Entry config of ``training/compute_indicators.py``: load and mask orders, compute lifecycle indicators.

    Attributes:
        as_of: The moment the orders are judged at (``YYYY-MM-DD [HH:MM]``); ``None``: the midnight after the
            last order's day.
    """

    data: DataConfig = MISSING
    split: SplitConfig = MISSING  # used only when the data is not prepared yet
    desensitize: DesensitizeConfig = MISSING
    paths: PathsConfig = MISSING
    indicators: IndicatorConfig = MISSING
    tracking: TrackingConfig = MISSING
    as_of: str | None = MISSING
    output_dir: str = MISSING
