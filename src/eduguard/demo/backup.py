"""The demo's backup posture (issue #20 part 7): the provincial identity platform is backed up
hourly and was drilled two months ago; the county's student register has a policy but its last
recovery drill is fourteen months old (overdue: N5-BACKUP-RECOVERY); the primary school's
canteen drilled last month and the restore failed; the other systems have no policy yet."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from eduguard.backup import flows as backup_flows
from eduguard.backup.models import DrillOutcome, Frequency
from eduguard.backup.schemas import DrillIn, PolicyIn
from eduguard.orgs.models import InformationSystem

BY = "admin"


def seed_backup(session: Session, systems: dict[str, InformationSystem], *, today: date) -> None:
    register = systems["县域学籍与成绩管理系统"]
    backup_flows.save_policy(
        session,
        register.id,
        PolicyIn(
            frequency=Frequency.daily,
            location="县教育局机房备份服务器；每周一份离线副本存市教育数据中心",
            offsite=True,
            encryption="SM4 加密（密钥由电教站另行保管）",
            retention_days=90,
            rto_target_minutes=240,
            rpo_target_minutes=1440,
        ),
        scope="/",
        by=BY,
    )
    backup_flows.record_drill(
        session,
        register.id,
        DrillIn(
            drilled_on=today - timedelta(days=425),
            scope="将前一日全量备份恢复到测试服务器，核对学籍与成绩表行数",
            outcome=DrillOutcome.success,
            rto_minutes=180,
            rpo_minutes=720,
            notes="演练记录已由电教站存档",
        ),
        scope="/",
        by=BY,
        today=today,
    )
    identity = systems["省级教育身份认证平台"]
    backup_flows.save_policy(
        session,
        identity.id,
        PolicyIn(
            frequency=Frequency.hourly,
            location="省数据中心主备两地（同城双活 + 异地灾备）",
            offsite=True,
            encryption="SM4 加密传输与存储",
            retention_days=180,
            rto_target_minutes=30,
            rpo_target_minutes=15,
        ),
        scope="/",
        by=BY,
    )
    backup_flows.record_drill(
        session,
        identity.id,
        DrillIn(
            drilled_on=today - timedelta(days=60),
            scope="灾备切换演练：主中心停机，异地灾备接管认证服务",
            outcome=DrillOutcome.success,
            rto_minutes=25,
            rpo_minutes=5,
        ),
        scope="/",
        by=BY,
        today=today,
    )
    canteen = systems["实验小学智慧食堂"]
    backup_flows.save_policy(
        session,
        canteen.id,
        PolicyIn(
            frequency=Frequency.weekly,
            location="供应商云平台（境内）",
            encryption="",
            retention_days=30,
        ),
        scope="/",
        by=BY,
    )
    backup_flows.record_drill(
        session,
        canteen.id,
        DrillIn(
            drilled_on=today - timedelta(days=30),
            scope="从供应商备份恢复消费流水",
            outcome=DrillOutcome.failed,
            rto_minutes=600,
            rpo_minutes=10_080,
            notes="备份文件缺少最近一周的流水，需供应商排查",
        ),
        scope="/",
        by=BY,
        today=today,
    )
