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
        resolved_at: When the order was closed, optional.
        satisfaction: Caller's satisfaction score 1 (very unsatisfied) .. 5 (very satisfied), optional.
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
    resolved_at: datetime | None = None
    satisfaction: int | None = None


#: The work-order fields, in schema order.
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(WorkOrder))
#: Fields holding free text that may contain personal information.
TEXT_FIELDS: tuple[str, ...] = ("title", "text")
#: Fields holding timestamps.
TIME_FIELDS: tuple[str, ...] = ("created_at", "resolved_at")
#: Fields holding labels that models learn.
LABEL_FIELDS: tuple[str, ...] = ("appeal_type", "urgency")


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
