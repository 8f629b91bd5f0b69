"""English for the backup and recovery page (issue #20 part 7); merged into
:data:`eduguard.web.i18n.EN`."""

from __future__ import annotations

EN_BACKUP: dict[str, str] = {
    "备份与恢复": "Backup and recovery",
    "每个信息系统须有备份策略（备份频率、存放位置、加密方式、备份保留期限），并至少每 12 个月进行一次恢复演练，记录演练日期、实际达到的 RTO 与 RPO 和证明材料。": (
        "Every information system needs a backup policy (how often, where the copies are, how "
        "they are encrypted, how long they are kept) and a recovery drill at least every 12 "
        "months, recorded with its date, the RTO and RPO achieved and evidence."
    ),
    "缺少备份策略或恢复演练逾期的系统": "Systems without a policy or with a drill overdue",
    "备份策略": "Backup policy",
    "最近一次恢复演练": "Last recovery drill",
    "下次演练期限": "Next drill due",
    "未加密": "not encrypted",
    "保留": "kept",
    "天": "days",
    "本单位还没有登记信息系统。": "The unit has no information systems yet.",
    "恢复演练": "Recovery drills",
    "演练日期": "Drill date",
    "演练内容": "What was restored",
    "分钟": "minutes",
    "证明材料": "Evidence",
    "登记人": "Recorded by",
    "尚未登记恢复演练。": "No recovery drill recorded.",
    "备份频率": "Frequency",
    "存放位置": "Location",
    "加密方式": "Encryption",
    "备份保留天数": "Copies kept (days)",
    "有异地或离线副本": "Off-site or offline copy",
    "保存备份策略": "Save backup policy",
    "登记恢复演练": "Record recovery drill",
    "上传": "Upload",
}
