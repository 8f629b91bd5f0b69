"""Seed a demo unit tree with systems and agreements (all names and numbers are synthetic)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import RunStatus
from eduguard.catalog.schemas import FieldReview, SourceCreate
from eduguard.classification import ColumnContext, classify, load_rules
from eduguard.classification.rules import LEVELS
from eduguard.compliance import flows as compliance_flows
from eduguard.compliance.schemas import FactsUpdate, UnitFactsUpdate
from eduguard.db.base import utcnow
from eduguard.demo.backup import seed_backup
from eduguard.demo.collection import seed_collection
from eduguard.demo.consent import seed_consent
from eduguard.demo.register import seed_register
from eduguard.demo.retention import seed_retention
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
        # a research release needs a requester and, for sensitive fields, the PI officer
        ("school-researcher", Role.data_user, school_a.id, "第一中学科研人员（申请数据发布）"),
        ("school-pio", Role.pi_officer, school_a.id, "第一中学个人信息保护负责人（审核发布）"),
        ("county-pio", Role.pi_officer, county.id, "县教育局个人信息保护负责人（处理活动记录）"),
        # a disposition's two approvals: the county's data owner and cybersecurity function
        ("county-owner", Role.data_owner, county.id, "县教育局数据主管（审批数据处置）"),
        ("county-security", Role.security_admin, county.id, "县教育局网络安全部门（审批数据处置）"),
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
    seed_compliance(session, today=today)
    seed_register(session)
    systems = {s.name: s for s in orgs_service.list_systems(session, limit=1000)}
    seed_consent(session, systems["实验小学智慧食堂"], today=today)
    seed_collection(session, systems["第一中学家校沟通 App"])
    seed_backup(session, systems, today=today)
    seed_retention(session, systems["县域学籍与成绩管理系统"], today=today)
    # evaluated once everything is seeded: the rules read the register too (issue #16)
    compliance_flows.evaluate(session, today=today)
    return DemoLogin(DEMO_ADMIN, password, tuple((o[0], o[3]) for o in others))


# ---------------------------------------------------------------- compliance posture


def _column(name: str, comment: str, types: list[str], **flags: bool) -> dict[str, Any]:
    """A column as the demo's (non-existent) database declares it; graded by :func:`_table`."""
    return {
        "name": name,
        "comment": comment,
        "pi_types": types,
        "minors": flags.get("minors", False),
        "confidence": 0.96 if types else 0.9,
        "evidence": [f"列名 {name} = {comment}"],
    }


def _table(name: str, comment: str, rows: int, columns: list[dict[str, Any]]) -> dict[str, Any]:
    """A table as a scan would report it: each column classified and graded by the same rules
    as a real scan (category, level, sensitivity: children's information is sensitive, PIPL
    Art. 28), so the demo's catalog never disagrees with what scanning would propose."""
    rules = load_rules(None)
    for column in columns:
        graded = classify(
            rules,
            ColumnContext(
                table_name=name,
                table_comment=comment,
                column_name=column["name"],
                column_comment=column["comment"],
                pi_types=tuple(column["pi_types"]),
                minors=column["minors"],
                subjects=rows,
            ),
        )
        column["category"] = graded.category
        column["level"] = graded.level
        column["sensitive"] = graded.sensitive or column["minors"]
        column["evidence"] = column["evidence"] + graded.evidence
    return {
        "name": name,
        "comment": comment,
        "row_count": rows,
        "rows_sampled": min(rows, 1000),
        "subjects": rows if any(c["pi_types"] for c in columns) else None,
        "minors": any(c["minors"] for c in columns),
        "level": min((c["level"] for c in columns), key=LEVELS.index, default="general-1"),
        "columns": columns,
    }


def _demo_catalog(
    session: Session, system_id: int, location: str, tables: list[dict[str, Any]]
) -> dict[str, Any]:
    """A system's catalog as a scan of ``location`` would leave it (applied by the catalog
    flows; nothing is scanned: the demo's databases do not exist)."""
    source = catalog_flows.add_source(
        session,
        system_id,
        SourceCreate(name="业务数据库", location=location),
        scope="/",
        policy=catalog_service.LocationPolicy(),
    )
    run = catalog_service.queue_run(session, source, requested_by="demo")
    run.status, run.started_at, run.finished_at = RunStatus.succeeded, utcnow(), utcnow()
    catalog_flows.apply_run(session, run, {"report_version": 1, "tables": tables})
    datasets = catalog_service.list_datasets(session, system_id=system_id, limit=100)
    return {d.name: d for d in datasets}


def _review_all(session: Session, dataset: Any) -> None:
    for field in dataset.fields:
        catalog_flows.review(
            session,
            field.id,
            FieldReview(decision="confirm", reason="演示：人工核对无误"),
            scope="/",
            reviewer="demo",
        )


def seed_compliance(session: Session, *, today: date) -> None:
    """Catalog data, partly filled compliance facts and one evaluation, so the compliance page
    shows findings of several kinds in the county, both schools and the province."""
    systems = {s.name: s for s in orgs_service.list_systems(session, limit=1000)}
    register = systems["县域学籍与成绩管理系统"]
    identity = systems["省级教育身份认证平台"]
    family_app = systems["第一中学家校沟通 App"]
    canteen = systems["实验小学智慧食堂"]

    # County register: children's and health data; reviewed in part; one dataset without a
    # retention period; guardian consent and encryption recorded, access logging not.
    register_data = _demo_catalog(
        session,
        register.id,
        "postgresql://xj-db.county.example/xueji",
        [
            _table(
                "xs_jbxx",
                "学生基本信息",
                48_000,
                [
                    _column("xh", "学号", ["STUDENT_NO"], minors=True),
                    _column("xm", "姓名", ["PERSON_NAME"], minors=True),
                    _column("sfzjh", "身份证件号", ["CN_RESIDENT_ID"], minors=True),
                    _column("jtzz", "家庭住址", ["ADDRESS"], minors=True),
                    _column("jkzk", "健康状况", ["HEALTH"], minors=True),
                ],
            ),
            _table(
                "xs_cj",
                "学生成绩",
                410_000,
                [
                    _column("xh", "学号", ["STUDENT_NO"], minors=True),
                    _column("kcmc", "课程名称", []),
                    _column("cj", "成绩", ["EDUCATION_RECORD"], minors=True),
                ],
            ),
        ],
    )
    _review_all(session, register_data["xs_jbxx"])
    catalog_flows.set_retention(session, register_data["xs_jbxx"].id, "学生毕业后 3 年", scope="/")
    compliance_flows.save_facts(
        session,
        register.id,
        FactsUpdate(
            guardian_consent_recorded=True,
            separate_consent_recorded=True,
            sensitive_fields_encrypted=True,
            pi_encrypted_storage=True,
            pi_encrypted_transit=True,
            system_admin_name="县教育局信息中心 孙系统",
            security_admin_name="县教育局信息中心 周安全",
            audit_admin_name="县教育局 纪检 吴审计",
            operation_logs_complete=True,
            operation_log_retention_days=365,
            notes="监护人同意书随入学登记表收集",
        ),
        scope="/",
        by="demo",
    )

    # Province identity platform (6,200,000 people): filed and graded, but no PI protection
    # officer named and the last security audit is more than a year old.
    compliance_flows.save_facts(
        session,
        identity.id,
        FactsUpdate(
            provincial_filing_no="示例教备〔2025〕012号",
            provincial_filing_date=today - timedelta(days=420),
            last_security_audit_date=today - timedelta(days=430),
            # one engineer is both the system administrator and the auditor; logs kept 90 days
            system_admin_name="省平台运维 郑工",
            security_admin_name="省平台 钱安全",
            audit_admin_name="省平台运维 郑工",
            operation_logs_complete=True,
            operation_log_retention_days=90,
        ),
        scope="/",
        by="demo",
    )

    # School A's parent app: stored overseas without an assessment, run by a company without
    # an agreement, children's data with no consent basis; catalog not reviewed yet.
    _demo_catalog(
        session,
        family_app.id,
        "mysql+pymysql://app-db.vendor.example/jxt",
        [
            _table(
                "jz_lxr",
                "家长联系人",
                3_100,
                [
                    _column("xsxm", "学生姓名", ["PERSON_NAME"], minors=True),
                    _column("jzxm", "家长姓名", ["PERSON_NAME"]),
                    _column("sjhm", "手机号码", ["MOBILE_PHONE"]),
                    _column("gx", "关系", ["FAMILY_RELATION"]),
                ],
            ),
            _table(
                "qj_jl",
                "请假记录",
                9_800,
                [
                    _column("xsxm", "学生姓名", ["PERSON_NAME"], minors=True),
                    _column("qjyy", "请假原因", ["HEALTH"], minors=True),
                    _column("qjrq", "请假日期", []),
                ],
            ),
        ],
    )

    # School B's canteen: bank card numbers of pupils' families; separate consent recorded,
    # no collective decision, no encryption; catalog reviewed, retention set.
    canteen_data = _demo_catalog(
        session,
        canteen.id,
        "postgresql://canteen.school-b.example/ykt",
        [
            _table(
                "ykt_kh",
                "一卡通账户",
                1_450,
                [
                    _column("xm", "姓名", ["PERSON_NAME"], minors=True),
                    _column("kh", "卡号", []),
                    _column("yhkh", "绑定银行卡号", ["BANK_CARD"]),
                ],
            ),
        ],
    )
    _review_all(session, canteen_data["ykt_kh"])
    catalog_flows.set_retention(session, canteen_data["ykt_kh"].id, "离校后 1 年", scope="/")
    compliance_flows.save_facts(
        session,
        canteen.id,
        FactsUpdate(
            separate_consent_recorded=True,
            guardian_consent_recorded=True,
            system_admin_name="实验小学 冯老师",
            security_admin_name="实验小学 陈老师",
            audit_admin_name="实验小学 褚老师",
        ),
        scope="/",
        by="demo",
    )
    # The county's own duties: rules issued and a sharing list, but the incident plan does not
    # cover data incidents yet and the last staff training is more than a year old.
    compliance_flows.save_unit_facts(
        session,
        register.unit_id,
        UnitFactsUpdate(
            security_rules_ref="示例县教育局数据安全管理办法（示例教〔2025〕7号）",
            security_rules_date=today - timedelta(days=300),
            incident_plan_ref="示例县教育局网络安全事件应急预案（2024 年修订）",
            incident_plan_date=today - timedelta(days=500),
            incident_plan_covers_data=False,
            last_training_date=today - timedelta(days=400),
            training_record_ref="2025 年网络安全宣传周培训签到表",
            open_catalog_ref="县教育局官网/信息公开/数据开放目录",
            sharing_list_ref="示例县教育数据共享责任清单（2025 版）",
        ),
        scope="/",
        by="demo",
    )
