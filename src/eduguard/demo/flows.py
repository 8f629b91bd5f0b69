"""Seed a demo unit tree with systems and agreements (all names and numbers are synthetic)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import StorageLocation, SystemKind, UnitKind
from eduguard.orgs.schemas import AgreementCreate, SystemCreate, UnitCreate

DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    others: tuple[tuple[str, str], ...] = ()  # (username, what the account shows)


def seed(session: Session, *, today: date | None = None) -> DemoLogin:
    today = today or date.today()
    province = orgs_service.create_unit(
        session,
        UnitCreate(
            name="示例省教育厅",
            kind=UnitKind.province,
            principal_leader="赵示例",
            leader_in_charge="钱示例",
            security_department="科技与信息化处",
        ),
    )
    city = orgs_service.create_unit(
        session,
        UnitCreate(
            name="示例市教育局",
            kind=UnitKind.city,
            parent_id=province.id,
            principal_leader="孙示例",
            leader_in_charge="李示例",
            security_department="信息中心",
        ),
    )
    county = orgs_service.create_unit(
        session,
        UnitCreate(
            name="示例县教育局",
            kind=UnitKind.county,
            parent_id=city.id,
            principal_leader="周示例",
            leader_in_charge="吴示例",
            security_department="电教站",
        ),
    )
    school_a = orgs_service.create_unit(
        session,
        UnitCreate(
            name="示例县第一中学",
            kind=UnitKind.school,
            parent_id=county.id,
            principal_leader="郑示例",
            leader_in_charge="王示例",
            security_department="信息技术中心",
        ),
    )
    school_b = orgs_service.create_unit(
        session,
        UnitCreate(
            name="示例县实验小学",
            kind=UnitKind.school,
            parent_id=county.id,
            principal_leader="冯示例",
            leader_in_charge="陈示例",
        ),
    )
    student_register = orgs_service.create_system(
        session,
        SystemCreate(
            name="县域学籍与成绩管理系统",
            unit_id=county.id,
            purpose="学生学籍、成绩、综合素质评价管理",
            url="https://xj.county.example",
            deployment_location="县教育局机房",
            storage_location=StorageLocation.domestic,
            mlps_level=2,
            pi_subject_count=48_000,
            operator_name="示例软件有限公司",
            user_unit_ids=[school_a.id, school_b.id],
        ),
    )
    orgs_service.create_system(
        session,
        SystemCreate(
            name="省级教育身份认证平台",
            unit_id=province.id,
            purpose="全省师生统一身份认证",
            url="https://id.province.example",
            mlps_level=3,
            mlps_filing_no="示例-30001-0001",
            pi_subject_count=6_200_000,
            user_unit_ids=[city.id, county.id, school_a.id, school_b.id],
        ),
    )
    orgs_service.create_system(
        session,
        SystemCreate(
            name="第一中学家校沟通 App",
            kind=SystemKind.app,
            unit_id=school_a.id,
            purpose="通知发布、请假、家长沟通",
            storage_location=StorageLocation.overseas,
            pi_subject_count=3_100,
            operator_name="示例互联科技公司",
        ),
    )
    orgs_service.create_system(
        session,
        SystemCreate(
            name="实验小学智慧食堂",
            unit_id=school_b.id,
            purpose="就餐刷卡、缴费",
            pi_subject_count=1_450,
        ),
    )
    orgs_service.create_system(
        session,
        SystemCreate(
            name="实验小学门户网站",
            kind=SystemKind.website,
            unit_id=school_b.id,
            purpose="信息公开",
            url="https://www.school-b.example",
            mlps_level=2,
        ),
    )
    orgs_service.create_agreement(
        session,
        AgreementCreate(
            unit_id=county.id,
            system_id=student_register.id,
            provider="示例软件有限公司",
            scope="学生基本信息、成绩",
            scenarios="系统运维",
            boundaries="不得留存、不得用于其他目的",
            valid_from=today - timedelta(days=300),
            valid_until=today + timedelta(days=60),
        ),
    )
    password = secrets.token_urlsafe(12)
    admin = identity_service.create_user(
        session,
        username=DEMO_ADMIN,
        password=password,
        roles={Role.system_admin},
        unit_id=None,
        display_name="演示系统管理员",
    )
    # One account per post, so the separation of duties can be tried out (same password).
    others = (
        ("security", Role.security_admin, None, "安全管理员"),
        ("auditor", Role.audit_admin, None, "审计管理员"),
        ("county-supervisor", Role.supervisor, county.id, "县教育局上级监管（只读本县）"),
        ("school-owner", Role.data_owner, school_a.id, "第一中学数据主管（只见本校）"),
    )
    for username, role, unit_id, label in others:
        identity_service.create_user(
            session,
            username=username,
            password=password,
            roles={role},
            unit_id=unit_id,
            display_name=label,
            granted_by=admin,
        )
    return DemoLogin(DEMO_ADMIN, password, tuple((o[0], o[3]) for o in others))
