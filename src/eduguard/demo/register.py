"""The demo's processing register: purposes of the county's student register and of school
B's canteen, with their legal bases, and their published collection rules (synthetic)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eduguard.catalog import service as catalog_service
from eduguard.orgs import service as orgs_service
from eduguard.processing import flows as processing_flows
from eduguard.processing.models import Disposal, LegalBasis, Necessity, RecipientKind
from eduguard.processing.schemas import PurposeCreate, RecipientIn, RegisterUpdate

# Children under 14: their information is sensitive (PIPL Art. 28); necessity and impact stated.
CHILDREN_NOTE = (
    "学生多为不满十四周岁的未成年人，其个人信息属于敏感个人信息；仅为实现本目的所必需的范围内处理，"
    "泄露可能危害学生的人身、财产安全，仅经授权的工作人员可访问"
)


def _field_ids(session: Session, system_id: int, *names: str) -> list[int]:
    fields = catalog_service.list_fields(session, system_id=system_id, limit=1000)
    by_name = {f"{f.dataset.name}.{f.name}": f.id for f in fields}
    return [by_name[name] for name in names]


def seed_register(session: Session) -> None:
    systems = {s.name: s for s in orgs_service.list_systems(session, limit=1000)}
    register = systems["县域学籍与成绩管理系统"]
    canteen = systems["实验小学智慧食堂"]
    vendor = next(
        a for a in orgs_service.list_agreements(session) if a.provider == "示例软件有限公司"
    )
    processing_flows.save_register(
        session,
        register.id,
        RegisterUpdate(
            contact="示例县教育局电教站（个人信息保护）电话 0000-0000000，邮箱 pi@county.example",
            rights_channel="请向学生所在学校或县教育局电教站提出书面申请，我们将在 15 个工作日内答复。",
        ),
        scope="/",
    )
    operator = RecipientIn(
        name="示例软件有限公司",
        kind=RecipientKind.processor,
        agreement_id=vendor.id,
        use="受托进行系统运维，不得留存、不得用于其他目的",
    )
    purposes = [
        PurposeCreate(
            name="学籍管理",
            description="学生入学注册、转学、休学复学与毕业的学籍管理",
            legal_basis=LegalBasis.statutory,
            basis_detail="《中华人民共和国义务教育法》；《中小学生学籍管理办法》",
            necessity=Necessity.necessary,
            collection_method="入学时由学校登记，监护人提供户口簿等证明材料",
            retention_period="学生毕业或离校后 3 年",
            disposal=Disposal.archive,
            sensitive_necessity=CHILDREN_NOTE,
            field_ids=_field_ids(
                session, register.id, "xs_jbxx.xh", "xs_jbxx.xm", "xs_jbxx.sfzjh", "xs_jbxx.jtzz"
            ),
            recipients=[
                operator,
                RecipientIn(
                    name="示例省教育厅（全国中小学生学籍信息管理系统）",
                    kind=RecipientKind.third_party,
                    contact="示例省教育厅基础教育处 电话 0000-0000002",
                    use="学籍注册与转学审核（依法报送）",
                ),
            ],
        ),
        PurposeCreate(
            name="成绩管理与学业评价",
            description="记录考试成绩，开展学业水平评价",
            legal_basis=LegalBasis.statutory,
            basis_detail="《中华人民共和国教育法》",
            collection_method="任课教师录入",
            retention_period="学生毕业后 3 年",
            disposal=Disposal.delete,
            sensitive_necessity=CHILDREN_NOTE,
            field_ids=_field_ids(session, register.id, "xs_cj.xh", "xs_cj.cj"),
            recipients=[operator],
        ),
        PurposeCreate(
            name="学生体检与健康管理",
            description="组织学生健康体检，安排体育课程与突发疾病处置",
            legal_basis=LegalBasis.statutory,
            basis_detail="《学校卫生工作条例》",
            collection_method="校医室记录体检结果",
            retention_period="学生离校后 1 年",
            disposal=Disposal.delete,
            sensitive_necessity="健康状况用于安排体育课程与突发疾病处置；泄露可能使学生受到歧视，"
            "仅校医与班主任可查看",
            field_ids=_field_ids(session, register.id, "xs_jbxx.xm", "xs_jbxx.jkzk"),
        ),
        # Consent-based and still without its basis recorded: a draft that cannot be activated.
        PurposeCreate(
            name="校园风采展示",
            description="在学校公众号展示学生活动照片与姓名",
            necessity=Necessity.optional,
            collection_method="活动现场拍摄",
            retention_period="发布后 1 年",
            field_ids=_field_ids(session, register.id, "xs_jbxx.xm"),
        ),
    ]
    created = [
        processing_flows.create_purpose(session, register.id, p, scope="/") for p in purposes
    ]
    for purpose in created[:3]:
        processing_flows.activate(session, purpose.id, scope="/")
    processing_flows.publish(session, register.id, scope="/", by="demo")

    processing_flows.save_register(
        session,
        canteen.id,
        RegisterUpdate(
            contact="示例县实验小学总务处 电话 0000-0000001",
            rights_channel="监护人可随时通过同意回执中的撤回链接或到总务处撤回绑定银行卡的同意，"
            "撤回不影响就餐；查阅、更正、删除请向总务处书面申请，15 个工作日内答复。",
        ),
        scope="/",
    )
    meals = processing_flows.create_purpose(
        session,
        canteen.id,
        PurposeCreate(
            name="就餐与缴费",
            description="学生凭一卡通就餐，按月结算餐费",
            legal_basis=LegalBasis.contract,
            basis_detail="学校与监护人签订的就餐服务协议",
            collection_method="办卡时由监护人填写",
            retention_period="学生离校后 1 年",
            sensitive_necessity=CHILDREN_NOTE,
            field_ids=_field_ids(session, canteen.id, "ykt_kh.xm", "ykt_kh.kh"),
        ),
        scope="/",
    )
    bank = processing_flows.create_purpose(
        session,
        canteen.id,
        PurposeCreate(
            name="绑定银行卡自动充值",
            description="监护人自愿绑定银行卡，余额不足时自动充值",
            legal_basis=LegalBasis.consent,
            basis_detail="监护人的单独同意",
            necessity=Necessity.optional,
            collection_method="监护人在办卡表上自愿填写",
            retention_period="解除绑定或学生离校后 30 日",
            sensitive_necessity="银行卡号仅用于自动充值；泄露可能造成财产损失，以加密方式存储",
            field_ids=_field_ids(session, canteen.id, "ykt_kh.xm", "ykt_kh.yhkh"),
            recipients=[
                RecipientIn(
                    name="示例银行股份有限公司",
                    kind=RecipientKind.third_party,
                    contact="客服 00000",
                    use="代扣充值款",
                )
            ],
        ),
        scope="/",
    )
    for purpose in (meals, bank):
        processing_flows.activate(session, purpose.id, scope="/")
    processing_flows.publish(session, canteen.id, scope="/", by="demo")
