"""English for the retention pages (issue #20); merged into :data:`eduguard.web.i18n.EN`."""

from __future__ import annotations

EN_RETENTION: dict[str, str] = {
    "保存期限": "Retention",
    "每个含个人信息的数据集须有保存期限规则（起算依据、期限、法定最短期限、期满后删除、匿名化或归档），或登记不设规则的理由；保全期间不得归档或销毁。": (
        "Every dataset holding personal information needs a retention rule (what starts the "
        "period, how long, the legal minimum, and deletion, anonymisation or archiving after "
        "it) or a recorded reason for having none; nothing on hold is archived or destroyed."
    ),
    "缺少保存期限规则的数据集": "Datasets without a retention rule",
    "数据集": "Dataset",
    "规则": "Rule",
    "期满日界": "Expired up to",
    "保全": "Holds",
    "本单位的数据资源目录中还没有数据集。": "The unit's catalog has no datasets yet.",
    "不设规则的理由": "Why there is no rule",
    "文号": "Reference",
    "理由": "Reason",
    "设置人": "Placed by",
    "设置时间": "Placed at",
    "已解除": "Released",
    "解除理由": "Reason for release",
    "解除": "Release",
    "保全中": "On hold",
    "没有保全。": "No holds.",
    "设置保全": "Place a hold",
    "保存期限规则": "Retention rule",
    "起算依据": "Period starts from",
    "日期列": "Date column",
    "事件": "Event",
    "事件日期": "Event date",
    "法定最短保存期限": "Legal minimum",
    "依据": "Legal basis",
    "期满后": "When it ends",
    "行键列": "Row key column",
    "保存规则": "Save rule",
    "登记豁免": "Record exemption",
}
