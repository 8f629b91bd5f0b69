"""The demo's pending collection review: the school's new 家校沟通 App asks for 身份证号,
家庭住址 and 人脸照片; its pre-checks say why each is a problem (not in the app's baseline,
already held by the county's 学籍 system, sensitive without the 领导班子 decision)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eduguard.collection import flows as collection_flows
from eduguard.collection import readers
from eduguard.collection.schemas import PlanCreate
from eduguard.orgs.models import InformationSystem

APP_PLAN = (
    "学生姓名\n"
    "家长手机号 | 接收通知\n"
    "身份证号 | 学生身份证号，用于实名认证\n"
    "家庭住址 | 家访与上下学路线\n"
    "人脸照片 | 刷脸进校\n"
)
REQUESTER = "school-owner"


def seed_collection(session: Session, app: InformationSystem) -> int:
    """Request and submit the review in the school data owner's name; returns the plan id."""
    person = collection_flows.person_of(session, REQUESTER)
    data = PlanCreate(
        system_id=app.id,
        system_type="jiaxiao_app",
        purpose="家校通知、请假与刷脸进校",
        title="第一中学家校沟通 App 新增采集字段",
    )
    plan = collection_flows.request(session, data, readers.read_form(APP_PLAN), person)
    collection_flows.submit(session, plan.id, person)
    return plan.id
