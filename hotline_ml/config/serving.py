"""Schemas of serving: routing (triage layers, policy), the predictor, drift, batch scoring, HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from hotline_ml.config.common import Engine, OutputFormat, PathsConfig, Precision, SparkConfig, TextWindow
from hotline_ml.config.data import DataConfig, DesensitizeConfig


@dataclass
class EmergencyRule:
    """One kind of emergency of the lexicon layer of the triage net (``conf/routing/``).

    Attributes:
        transfer_to: Emergency lines the appeal is transferred to at once (``110`` police, ``119`` fire and
            rescue, ``120`` medical), first the one to call first.
        keywords: Literal phrases; any one of them in the (desensitized) text fires the rule.
        patterns: Regular expressions (Python ``re``), for phrasings with words in between.
        unless: Regular expressions for phrasings that mean something else (``救命药``, ``打着火`` a stove);
            text they match is blanked before every layer (rules, concepts, framing, alarms), so a figure of speech
            (``气得想跳楼``) stops them all. Past, hypothetical or reported events are NOT listed here:
            the framing layer (:class:`FramingConfig`) handles them for every rule.
    """

    transfer_to: list[str] = MISSING
    keywords: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    unless: list[str] = field(default_factory=list)


@dataclass
class SignalRule:
    """A list of cues: literal ``keywords`` and regular-expression ``patterns`` (Python ``re``).

    Used for review signals (negative emotion, escalation, threats), framing cues, concept words and requests
    for a person.
    """

    keywords: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)


@dataclass
class FramingConfig:
    """When an emergency hit is no emergency now (``hotline_ml/triage/framing.py``).

    A framing cue in ``frame_window`` around a hit frames it; a framed hit never transfers (it goes to a person).
    A ``live`` cue in ``live_window`` around the hit, or an ``alarm`` cue anywhere in the text, overrides framing.
    In a long letter only an ``alarm`` cue in ``live_window`` does.

    Attributes:
        frame_window: Where framing cues count.
        live_window: Where live-now cues count.
        long_letter_chars: Texts at least this long are narrative letters: their hits are framed
            (``narrative``) unless an alarm cue is in the live window.
        past: Past events (``去年``, ``当时``, ``已经处理``).
        habitual: Recurring conditions (``经常``, ``每天``, ``多次``): a complaint, not an event now.
        hypothetical: Hypothetical or preventive (``万一``, ``隐患``, ``以免``).
        consultation: Questions about rules or procedures, and complaint letters (``咨询``, ``如何办理``,
            ``投诉``).
        reported: Reported speech and media (``听说``, ``新闻``).
        live: Live-now cues (``正在``, ``刚才``, ``马上``).
        alarm: Calls for help that make the whole text live (``救命``, ``快来``).
    """

    frame_window: TextWindow = MISSING
    live_window: TextWindow = MISSING
    long_letter_chars: int = MISSING
    past: SignalRule = MISSING
    habitual: SignalRule = MISSING
    hypothetical: SignalRule = MISSING
    consultation: SignalRule = MISSING
    reported: SignalRule = MISSING
    live: SignalRule = MISSING
    alarm: SignalRule = MISSING


@dataclass
class DangerState:
    """An acute state of the concept layer (in water, at a height, fire or smoke, ...).

    Attributes:
        transfer_to: Emergency lines for a strong hit of this state.
        keywords: Literal phrases naming the state.
        patterns: Regular expressions naming the state.
    """

    transfer_to: list[str] = MISSING
    keywords: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)


@dataclass
class ConceptConfig:
    """The danger-concept layer: a person x an acute state x now (``hotline_ml/triage/concepts.py``).

    A state with a person or a now cue in ``window`` is a hit (the order goes to a person at least); with a
    person and a now cue (or a vulnerable person when ``vulnerable_needs_now`` is false), unframed, it is
    strong and transfers.

    Attributes:
        window: Where the person and the now cue must be, around the state.
        vulnerable_needs_now: Whether a child, elderly, pregnant or disabled person in the state also needs a
            now cue to be strong.
        person: Any person.
        vulnerable: Children, the elderly, pregnant women, disabled people.
        now: Now or imminent (``正在``, ``刚才``, ``随时``).
        states: State name -> words and lines.
    """

    window: TextWindow = MISSING
    vulnerable_needs_now: bool = MISSING
    person: SignalRule = MISSING
    vulnerable: SignalRule = MISSING
    now: SignalRule = MISSING
    states: dict[str, DangerState] = MISSING


@dataclass
class DetectorConfig:
    """The learned emergency detector (``hotline_ml/triage/detector.py``): char n-gram TF-IDF + logistic
    regression, trained at load from the packaged corpus (``hotline_ml/triage/corpus/``).

    Attributes:
        enabled: Whether the layer runs.
        ngram_min: Shortest character n-gram.
        ngram_max: Longest character n-gram.
        min_df: N-grams in fewer training texts are dropped.
        c: Inverse regularisation strength of the logistic regression.
        review_threshold: Scores at least this go to a person (chosen for recall >= 0.99 on cross-validated
            corpus scores; ``bench/bench_triage.py`` prints the check).
        transfer_threshold: Scores at least this transfer (in texts shorter than a long letter).
        cv_folds: Folds of the cross-validation the bench and the tests use.
        synthetic_negatives: Ordinary (``一般``) appeals written by the synthetic generator's phrase bank, added
            as negatives (round-robin over the types, seed 0): everyday complaint language the corpus lacks.
    """

    enabled: bool = MISSING
    ngram_min: int = MISSING
    ngram_max: int = MISSING
    min_df: int = MISSING
    c: float = MISSING
    review_threshold: float = MISSING
    transfer_threshold: float = MISSING
    cv_folds: int = MISSING
    synthetic_negatives: int = MISSING


@dataclass
class PolicyConfig:
    """Which work-order grades a machine may close, and the operator's authority (``policy.py``).

    Attributes:
        automatable: Appeal type (``一级`` or ``一级/二级``) -> why a machine may close it. A first-level key
            covers all its second levels; any type not covered goes to a person.
        ask_for_person: Phrases of a caller asking for a person (``转人工``); they always reach a person.
    """

    automatable: dict[str, str] = MISSING
    ask_for_person: SignalRule = MISSING


@dataclass
class RoutingConfig:
    """The triage net: emergencies to 110/119/120, uncertain, charged or non-standard appeals to a person.

    Attributes:
        confidence_threshold: Appeals whose calibrated appeal-type probability is below this go to human review.
        emergency_review_threshold: Appeals the triage layers do not flag, but whose calibrated probability of
            ``emergency_label`` is at least this, go to human review (the model suspects an emergency).
        emergency_label: The urgency label forced on emergencies.
        emergency: Rule name -> emergency rule (the lexicon layer); an unframed hit transfers.
        review: Signal name -> signal; a hit sends the appeal to human review.
        framing: When a hit is past, hypothetical, a consultation or reported speech.
        concepts: The danger-concept layer.
        detector: The learned detector.
        policy: The automation policy by work-order grade and the human hand-off.
    """

    confidence_threshold: float = MISSING
    emergency_review_threshold: float = MISSING
    emergency_label: str = MISSING
    # MISSING, not empty: a routing config that forgot its rules must not silently transfer nothing
    emergency: dict[str, EmergencyRule] = MISSING
    review: dict[str, SignalRule] = MISSING
    framing: FramingConfig = MISSING
    concepts: ConceptConfig = MISSING
    detector: DetectorConfig = MISSING
    policy: PolicyConfig = MISSING


@dataclass
class PredictorConfig:
    """Which classifier the predictor loads and how it runs.

    Attributes:
        model: ``models:/<name>@<alias>`` or ``models:/<name>/<version>`` (registry), ``runs:/<run id>/model``
            (a run), or a local directory (a saved checkpoint, or a downloaded MLflow model).
        tracking_uri: MLflow tracking URI used to resolve ``models:/`` and ``runs:/`` URIs.
        num_threads: torch intra-op threads; ``None`` leaves torch's default (one per core).
        int8: Dynamically quantize the linear layers to int8 (faster on CPU, accuracy loss measured by
            ``bench/bench_inference.py``).
        batch_size: Texts per forward pass (sorted by length, padded per batch).
        device: ``auto`` (CUDA when available, else MPS, else CPU), ``cpu``, ``cuda``, ``cuda:1``, ``mps``.
        precision: ``fp32``; ``fp16`` or ``bf16`` run the encoder under autocast (GPU; ``bf16`` also on CPU).
    """

    model: str = MISSING
    tracking_uri: str = MISSING
    # Defaults kept: tests build PredictorConfig(model=..., tracking_uri=...) in code.
    num_threads: int | None = None
    int8: bool = False
    batch_size: int = 64
    device: str = "auto"
    precision: Precision = Precision.fp32


@dataclass
class DriftConfig:
    """When a scored day counts as drifted from the training data (:mod:`hotline_ml.drift`).

    Attributes:
        psi_threshold: Flag a population stability index above this (type mix, text lengths); 0.1-0.25 is a
            moderate shift, above 0.25 a large one.
        route_share_change: Flag a route share (human review, transfer) this far from its validation share.
        unknown_char_change: Flag a rate of characters unseen in training this far above validation's.
        min_orders: Days with fewer scored orders are not judged.
    """

    psi_threshold: float = MISSING
    route_share_change: float = MISSING
    unknown_char_change: float = MISSING
    min_orders: int = MISSING


@dataclass
class BatchScoreConfig:
    """Entry config of ``serving/batch_score.py``: a day's orders -> desensitize -> predict -> files.

    Attributes:
        input: The orders file and its column mapping (the ``data`` schema; ``synthetic`` must be ``None``).
        day: Score only orders created on this day (``YYYY-MM-DD``); ``None`` scores every row. Rows of
            other days are counted, not scored.
        chunk_rows: Input records per chunk: the unit of memory, progress and resumption.
        output_dir: Where predictions, rejects, the manifest and the summary go. Rerunning with the same
            input resumes; a different input or settings is an error (use another directory).
        output_format: ``parquet`` or ``csv`` for the predictions.
        examples: Routed examples printed at the end.
        desensitize: Masking instead of the model's own (``None``: the config logged with the model).
        routing: Routing instead of the model's own (``None``: the config logged with the model).
        drift: When the day is flagged as drifted from the model's training data.
        engine: ``local`` (resumable chunks in this process, :mod:`hotline_ml.predict.batch`) or ``spark``
            (:mod:`hotline_ml.predict.spark_batch`: Parquet partitioned by day, a rerun replaces its partition).
        spark: The Spark session of the ``spark`` engine (``conf/spark/``).
    """

    input: DataConfig = MISSING
    paths: PathsConfig = MISSING
    desensitize: DesensitizeConfig | None = None
    predictor: PredictorConfig = MISSING
    routing: RoutingConfig | None = None
    day: str | None = MISSING
    chunk_rows: int = MISSING
    output_dir: str = MISSING
    output_format: OutputFormat = MISSING
    examples: int = MISSING
    drift: DriftConfig = MISSING
    engine: Engine = MISSING
    spark: SparkConfig = MISSING


@dataclass
class ServeConfig:
    """Entry config of ``serving/app.py``: the FastAPI service.

    Attributes:
        host: Interface to bind (``127.0.0.1`` keeps it local; ``0.0.0.0`` behind a proxy).
        port: TCP port.
        max_text_chars: Longer texts are refused with 413 (never silently truncated).
        max_batch: Most records one ``/predict_batch`` request may carry.
        max_body_bytes: Requests with a larger body are refused with 413 before they are parsed.
        routing: Routing instead of the model's own (``None``: the config logged with the model).
        desensitize: Masking instead of the model's own (``None``: the config logged with the model).
    """

    paths: PathsConfig = MISSING
    predictor: PredictorConfig = MISSING
    routing: RoutingConfig | None = None
    desensitize: DesensitizeConfig | None = None
    host: str = MISSING
    port: int = MISSING
    max_text_chars: int = MISSING
    max_batch: int = MISSING
    max_body_bytes: int = MISSING
