"""Tables: units in a hierarchy, their information systems, third-party agreements."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.db.base import Base, IdMixin, TimestampMixin
from eduguard.db.sealed import sealed

_CONTACT = sealed(legacy_plaintext=True)  # stored in plaintext before revision 0004


class UnitKind(enum.StrEnum):
    ministry = "ministry"
    province = "province"
    city = "city"
    county = "county"
    school = "school"
    university = "university"
    affiliated = "affiliated"  # 直属单位


# Which kinds may sit directly below which (a university may sit under the ministry or a province).
ALLOWED_PARENTS: dict[UnitKind, frozenset[UnitKind | None]] = {
    UnitKind.ministry: frozenset({None}),
    UnitKind.province: frozenset({None, UnitKind.ministry}),
    UnitKind.city: frozenset({None, UnitKind.province}),
    UnitKind.county: frozenset({None, UnitKind.city, UnitKind.province}),
    UnitKind.school: frozenset({None, UnitKind.county, UnitKind.city, UnitKind.province}),
    UnitKind.university: frozenset({None, UnitKind.ministry, UnitKind.province, UnitKind.city}),
    UnitKind.affiliated: frozenset({None, UnitKind.ministry, UnitKind.province, UnitKind.city}),
}


class StorageLocation(enum.StrEnum):
    domestic = "domestic"  # 境内
    overseas = "overseas"  # 境外


class SystemKind(enum.StrEnum):
    system = "system"
    website = "website"
    app = "app"
    mini_program = "mini_program"


class Unit(IdMixin, TimestampMixin, Base):
    """A school or an education department. ``path`` ("/1/4/9/") makes scope queries a prefix."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_units_parent_name"),)

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(Enum(UnitKind, native_enum=False, length=20))
    code: Mapped[str | None] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True, default="/")
    # Contacts are personal information: sealed (SM4-GCM with a data key, eduguard.db.sealed).
    principal_leader: Mapped[str | None] = mapped_column(Text, info=_CONTACT)  # 主要负责人
    leader_in_charge: Mapped[str | None] = mapped_column(Text, info=_CONTACT)  # 分管负责人
    security_department: Mapped[str | None] = mapped_column(String(200))  # 网络安全部门
    security_contact: Mapped[str | None] = mapped_column(Text, info=_CONTACT)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", lazy="joined")


system_user_units = Table(
    "system_user_units",
    Base.metadata,
    Column("system_id", ForeignKey("information_systems.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
)


class InformationSystem(IdMixin, TimestampMixin, Base):
    """An information system, website or app, with who owns (主管), operates (运营) and uses it."""

    __tablename__ = "information_systems"
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_systems_unit_name"),)

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SystemKind] = mapped_column(
        Enum(SystemKind, native_enum=False, length=20), default=SystemKind.system
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    deployment_location: Mapped[str | None] = mapped_column(String(200))
    storage_location: Mapped[StorageLocation] = mapped_column(
        Enum(StorageLocation, native_enum=False, length=20), default=StorageLocation.domestic
    )
    mlps_level: Mapped[int | None] = mapped_column(Integer)  # 等保级别 1–5
    mlps_filing_no: Mapped[str | None] = mapped_column(String(100))  # 备案号
    pi_subject_count: Mapped[int] = mapped_column(Integer, default=0)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    operator_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    operator_name: Mapped[str | None] = mapped_column(String(200))  # an outside operator company
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined")
    owner_unit: Mapped[Unit] = relationship(foreign_keys=[owner_unit_id], lazy="joined")
    operator_unit: Mapped[Unit | None] = relationship(
        foreign_keys=[operator_unit_id], lazy="joined"
    )
    user_units: Mapped[list[Unit]] = relationship(secondary=system_user_units, lazy="selectin")


class Agreement(IdMixin, TimestampMixin, Base):
    """A third-party platform's 数据使用和保密协议, with its signed document on disk."""

    __tablename__ = "agreements"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("information_systems.id"))
    provider: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text, default="")  # 数据范围
    scenarios: Mapped[str] = mapped_column(Text, default="")  # 使用场景
    boundaries: Mapped[str] = mapped_column(Text, default="")  # 使用边界
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    document_name: Mapped[str | None] = mapped_column(String(255))  # original file name
    document_path: Mapped[str | None] = mapped_column(String(255))  # relative to uploads dir
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_size: Mapped[int | None] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit] = relationship(lazy="joined")
    system: Mapped[InformationSystem | None] = relationship(lazy="joined")
