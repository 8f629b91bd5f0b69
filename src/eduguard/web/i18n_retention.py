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
    "数据处置任务": "Disposition run",
    "处置前行数": "Rows before",
    "计划选中行数": "Rows selected by the plan",
    "按主体年龄": "By the subject's age",
    "不满十四周岁": "Under 14",
    "十四至十七周岁": "Aged 14 to 17",
    "成年": "Adults",
    "无法判断": "Age unknown",
    "数据集没有出生日期或身份证件号列，未按年龄统计": (
        "The dataset has no birth-date or ID-number column: not counted by age"
    ),
    "已处置行数": "Rows disposed",
    "处置后行数": "Rows after",
    "主体保全": "Subject hold",
    "主体所在的列（仅保全一个主体时填写）": "Subject's column (only to hold one subject)",
    "主体标识": "Subject's value",
    "核验：仍被选中的行数": "Verification: rows still selected",
    "行选择查询": "Row selection query",
    "提交审批": "Submit for approval",
    "审批": "Approvals",
    "步骤": "Step",
    "审批人": "Decided by",
    "决定": "Decision",
    "同意": "Approve",
    "驳回": "Reject",
    "退回修改": "Return for changes",
    "提交意见": "Submit decision",
    "销毁/归档证明": "Destruction/archiving certificate",
    "下载证明（JSON）": "Download certificate (JSON)",
    "下载证明（PDF）": "Download certificate (PDF)",
    "计划处置（干运行）": "Plan a disposition (dry run)",
    "仍存在的副本": "Residual copies",
    "备份在到期前仍含这些数据；受托处理者和接收方须书面确认已删除，未确认的在证明中如实写明“未确认”。任务完成后登记的答复会更新证明（新版本重新签名并记入审计日志）。": (
        "Backups hold the data until they expire; processors and recipients must confirm the "
        "deletion in writing, and the certificate states every one that has not as unconfirmed. "
        "An answer recorded after the run completes reissues the certificate (signed again and "
        "recorded in the audit log)."
    ),
    "持有方": "Holder",
    "确认日期": "Confirmed on",
    "确认函": "Confirmation letter",
    "答复": "Answer",
    "已确认删除": "Deletion confirmed",
    "未确认": "Not confirmed",
    "登记答复": "Record the answer",
    "已登记副本持有方的答复": "Holder's answer recorded",
}
