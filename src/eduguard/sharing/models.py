"""Tables: the share attribute (共享属性) of each catalog dataset and field, with the data
owner's protection requirements (notice item 7: 数据主管单位明确共享属性和防护要求).

One row per dataset (``field_id`` NULL) and at most one per field; a field without a row takes
its dataset's attribute. Datasets and fields belong to the catalog and are referenced by
foreign key only (cross-domain reads live in ``sharing.flows``).
"""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eduguard.db.base import Base, IdMixin, TimestampMixin


class ShareAttribute(enum.StrEnum):
    unconditional = "unconditional"  # 无条件共享
    conditional = "conditional"  # 有条件共享
    none = "none"  # 不予共享


# How open each attribute is: a field may not be more open than its dataset.
OPENNESS = {ShareAttribute.unconditional: 2, ShareAttribute.conditional: 1, ShareAttribute.none: 0}


class ShareSetting(IdMixin, TimestampMixin, Base):
    """The share attribute of one dataset (``field_id`` NULL) or one of its fields."""

    __tablename__ = "sharing_settings"
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id"), index=True)
    field_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_fields.id"), unique=True)
    attribute: Mapped[ShareAttribute] = mapped_column(
        Enum(ShareAttribute, native_enum=False, length=20)
    )
    conditions: Mapped[str] = mapped_column(Text, default="")  # 共享条件（有条件共享时必填）
    protection: Mapped[str] = mapped_column(Text, default="")  # 其他防护要求
    # a masking operator of eduguard.protection (mask, pseudonymise …) the data must go through
    masking: Mapped[str | None] = mapped_column(String(40))
    never_shared: Mapped[bool] = mapped_column(Boolean, default=False)  # 永不共享的字段
    responsible: Mapped[str] = mapped_column(String(200), default="")  # 责任人/责任部门
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
