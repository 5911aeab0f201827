"""Record and result types shared across the toolkit."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime


@dataclass(frozen=True)
class WorkOrder:
    """One hotline work order (工单), the unit every part of the toolkit works on.

    Attributes:
        order_id: Unique id of the order in the source system (kept as text: ids may have leading zeros).
        created_at: When the appeal was received (local time, naive).
        text: The appeal itself (诉求内容 / 留言详情). Desensitized before it leaves the data layer.
        title: Short title (留言主题), optional.
        channel: Intake channel (电话, 微信, 网站, APP, ...), optional.
        district: District (区) the appeal concerns, optional.
        appeal_type: Appeal type as a path of levels joined by ``/``, e.g. ``城乡建设/物业管理``; a first-level
            label alone (``城乡建设``) is fine. ``None`` when unlabelled.
        urgency: ``紧急`` (transfer to 110/119/120 now), ``加急`` (within 24 h) or ``一般`` (routine); ``None``
            when unlabelled.
        caller_id: Caller identifier. Phone numbers are replaced by a salted hash during desensitization.
        responded_at: First response to the caller (dispatched and answered, or an official reply), optional.
        resolved_at: When the order was closed, optional.
        satisfaction: Caller's satisfaction score 1 (very unsatisfied) .. 5 (very satisfied), optional.
        likes: Endorsements by other citizens (点赞数 on a public message board), optional.
    """

    order_id: str
    created_at: datetime
    text: str
    title: str | None = None
    channel: str | None = None
    district: str | None = None
    appeal_type: str | None = None
    urgency: str | None = None
    caller_id: str | None = None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    satisfaction: int | None = None
    likes: int | None = None


#: The work-order fields, in schema order.
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(WorkOrder))
#: Fields holding free text that may contain personal information.
TEXT_FIELDS: tuple[str, ...] = ("title", "text")
#: Fields holding timestamps.
TIME_FIELDS: tuple[str, ...] = ("created_at", "responded_at", "resolved_at")


@dataclass(frozen=True)
class LoadReport:
    """What happened to every row of an input file: ``read == kept + rejected`` always holds.

    Attributes:
        source: The file that was read.
        encoding: Text encoding used (detected or configured); ``None`` for binary formats.
        read: Data rows read from the file (header excluded).
        kept: Rows that passed validation.
        rejected: Rows written to the rejects table, each with its reason.
        reasons: Reject reason code -> number of rows.
    """

    source: str
    encoding: str | None
    read: int
    kept: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.read != self.kept + self.rejected:
            raise AssertionError(f"{self.source}: read {self.read} != kept {self.kept} + rejected {self.rejected}")


#: Routes an appeal can take, most protective first.
ROUTES: tuple[str, ...] = ("transfer", "human_review", "automated")


@dataclass(frozen=True)
class RoutingDecision:
    """Where an appeal goes and why.

    Attributes:
        route: ``transfer`` (an emergency: hand over to ``transfer_to`` now), ``human_review`` (a person
            decides) or ``automated`` (dispatched on the model's prediction).
        transfer_to: Emergency lines (``110``, ``119``, ``120``), empty unless ``route == "transfer"``.
        reasons: Why, one entry per finding, e.g. ``emergency:fire(着火)``, ``low_confidence(0.42<0.60)``.
        forced_urgency: The urgency the safety net imposes (``紧急`` on a transfer), else ``None``.
    """

    route: str
    transfer_to: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    forced_urgency: str | None = None


@dataclass(frozen=True)
class Prediction:
    """One routed prediction for one appeal, traceable to the model that made it.

    Attributes:
        order_id: The input's order id, when it had one.
        appeal_type: First-level appeal type (from the model's own label map).
        appeal_type_score: Its calibrated probability.
        appeal_type_top3: ``((label, probability), ...)``, best first.
        appeal_subtype: ``一级/二级`` type when the model has that head, else ``None``.
        appeal_subtype_score: Its calibrated probability, else ``None``.
        urgency: Final urgency (the safety net's when it forced one, else the model's; ``None`` when the
            model has no urgency head and nothing was forced).
        urgency_score: The model's calibrated probability of ``urgency`` (low on a forced ``紧急`` means the
            model disagreed); ``None`` without an urgency head.
        routing: The routing decision.
        model_name: Registered model name (``None`` for a local directory).
        model_version: Registered version (``None`` unless loaded from the registry).
        run_id: MLflow run that produced the model (``None`` for a local directory).
        input_hash: First 16 hex digits of the SHA-256 of the desensitized text the model read.
        predicted_at: When the prediction was made (UTC); not part of equality.
    """

    order_id: str | None
    appeal_type: str
    appeal_type_score: float
    appeal_type_top3: tuple[tuple[str, float], ...]
    appeal_subtype: str | None
    appeal_subtype_score: float | None
    urgency: str | None
    urgency_score: float | None
    routing: RoutingDecision
    model_name: str | None
    model_version: str | None
    run_id: str | None
    input_hash: str
    predicted_at: datetime = field(compare=False)
