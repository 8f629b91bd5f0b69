"""English for the collection review pages (issue #19); merged into :data:`eduguard.web.i18n.EN`."""

from __future__ import annotations

EN_COLLECTION: dict[str, str] = {
    "处理活动记录中的处理目的": "Purpose in the processing register",
    "未选择（审核通过时新建处理目的草稿）": "None chosen (approval creates a draft purpose)",
    "写入处理活动记录": "Written into the processing register",
    "查看处理活动记录": "Open the processing register",
    "经采集审核批准，待收集": "approved by a collection review, not yet collected",
    "数据收集审核": "Collection reviews",
    "新建审核": "New review",
    "新建数据收集审核": "New collection review",
    "新建系统或已建系统新增、调整数据收集，应先对计划收集的数据分类分级，并审核其合规性与合理性（最小必要、一数一源、敏感个人信息须经领导班子集体决策）。": (
        "A new system, or new or changed collection in an existing one, first has its planned "
        "data classified and graded and its lawfulness and reasonableness reviewed (minimum "
        "necessary, one data one source, sensitive personal information decided collectively "
        "by the unit's leadership)."
    ),
    "采集计划": "Collection plan",
    "未通过的预检": "Failing pre-checks",
    "暂无数据收集审核": "No collection reviews yet",
    "各系统的收集清单": "Each system's collection list",
    "收集清单是经审核批准收集的字段；数据资源目录中没有任何已批准审核覆盖的个人信息字段，列为“未经采集审核的数据项”。": (
        "The collection list holds the fields approved reviews allow; personal fields in the "
        "catalog that no approved review covers are listed as data items no collection review "
        "approved."
    ),
    "已批准字段": "Approved fields",
    "目录中的个人信息字段": "Personal fields in the catalog",
    "未经采集审核的数据项": "Data items no collection review approved",
    "还没有系统的数据资源目录或已批准的收集清单。": (
        "No system has a catalog or an approved collection list yet."
    ),
    "请选择": "Choose",
    "系统类型（最小必要基线）": "System type (minimum-necessary baseline)",
    "系统类型": "System type",
    "收集目的": "Purpose of collection",
    "上传文件": "Upload a file",
    "支持 Excel 采集表（.xlsx/.xls，读取表头、合并表头、下拉选项和示例行）、CSV（UTF-8 或 GBK）、DDL（.sql）、OpenAPI 或 JSON Schema（.json、.yaml 或 .yml）": (
        "Excel collection forms (.xlsx/.xls: header row, merged headers, drop-down lists and "
        "example rows), CSV (UTF-8 or GBK), DDL (.sql), OpenAPI or JSON Schema (.json, .yaml or .yml)"
    ),
    "文件上限": "Size limit",
    "或逐行填写计划收集的字段": "Or type the planned fields, one a line",
    "或从已登记的数据库读取新增表和字段": (
        "Or read the new tables and columns of a registered database"
    ),
    "不使用": "Not used",
    "读取数据库当前的表、字段、类型和注释（不读取数据行），与该数据源最近一次应用的目录版本比较：新增的表和字段即为采集计划。数据源须属于所选信息系统。": (
        "The database's current tables, columns, types and comments are read (no rows) and "
        "compared with the source's last applied catalog version: the new tables and columns "
        "are the plan. The source must belong to the chosen system."
    ),
    "每行一个字段：名称，或 名称 | 说明 | 选项、选项": (
        "One field a line: name, or name | description | choice、choice"
    ),
    "读取并生成审核草稿": "Read it and draft the review",
    "预计收集人数": "Expected number of people",
    "含不满十四周岁儿童": "Children under 14",
    "下载审核汇总（Excel）": "Download the review summary (Excel)",
    "预检": "Pre-checks",
    "以下预检未通过，不能同意": "These pre-checks fail, so the review cannot be approved",
    "结论": "Result",
    "计划收集的字段": "Planned fields",
    "每个字段由数据发现引擎按名称、说明和示例值分类分级，并列出依据。": (
        "The discovery engine classified and graded every field from its name, description "
        "and example values; its evidence is listed."
    ),
    "字段组": "Field group",
    "定级": "Grade",
    "可选": "Optional",
    "获取方式": "Obtained by",
    "直接收集": "Collecting it",
    "共享/核验": "Sharing/verification",
    "保存字段说明": "Save field choices",
    "说明与存储": "Details and storage",
    "收集对象含不满十四周岁的儿童": "The people include children under 14",
    "出境安全评估（境外存储时）": "Cross-border assessment (when stored abroad)",
    "必要性、科学性论证（敏感个人信息）": "Necessity and scientific argument (sensitive data)",
    "伦理性论证（敏感个人信息）": "Ethics argument (sensitive data)",
    "存储期限（每组字段）": "Retention (each field group)",
    "如：学生毕业后 1 年删除": "e.g. deleted 1 year after graduation",
    "保存说明": "Save details",
    "领导班子集体决策": "Collective decision of the leadership",
    "会议日期": "Meeting date",
    "参会人员": "Attendees",
    "会议纪要": "Minutes",
    "尚未上传": "Not uploaded yet",
    "参会人员（每行一人）": "Attendees (one a line)",
    "会议纪要文件（PDF、Word、OFD 或图片）": "Minutes file (PDF, Word, OFD or an image)",
    "登记集体决策": "Record the decision",
    "预检未通过时只能退回修改或驳回": (
        "While a pre-check fails the review can only be returned or rejected"
    ),
    "意见": "Comment",
    "收集清单": "Collection list",
    "经审核批准收集的字段": "Fields approved for collection",
    "导出收集清单（Excel）": "Export the collection list (Excel)",
    "导出收集清单（CSV）": "Export the collection list (CSV)",
    "批准的审核": "Approved by review",
    "批准时间": "Approved at",
    "该系统还没有经审核批准的收集字段。": "No field of this system is approved yet.",
    "数据资源目录（最近一次扫描后）中的个人信息字段，没有任何已批准的数据收集审核覆盖：应补办审核，或停止收集。": (
        "Personal fields of the catalog (as its last scan left it) that no approved collection "
        "review covers: have them reviewed, or stop collecting them."
    ),
    "原因": "Reason",
    "发现的扫描": "Found by scan",
    "目录第": "catalog version",
    "版": "",
    "目录中的个人信息字段均已经审核批准。": "Every personal field of the catalog is approved.",
    "（目录中还没有个人信息字段）": "(the catalog has no personal fields yet)",
    "最小必要": "Minimum necessary",
    "不满十四周岁儿童": "Children under 14",
    "存储期限": "Retention",
    "100 万人以上": "1,000,000+ people",
    "通过": "passed",
    "未通过": "failed",
    "提示": "note",
    "不适用": "not applicable",
    "学籍管理": "Student registration",
    "教务管理": "Academic affairs",
    "学生资助": "Student financial aid",
    "招生入学": "Admissions",
    "学生体检": "Student health check",
    "家校沟通类 App": "Home-school communication app",
    "学习教育类 App": "Learning / education app",
    "数据主管单位审核": "Review by the data owner unit",
    "网络安全职能部门审核": "Review by the cybersecurity department",
    "个人信息保护负责人审核（含敏感个人信息）": (
        "Review by the PI protection officer (sensitive personal information)"
    ),
    "已收集（扫描已发现）": "Collected (found by a scan)",
    "来自": "From",
    "这些数据项已经数据收集审核批准并写入处理活动记录，数据资源目录中尚未发现；扫描发现同名（或说明相同）的字段后自动关联，不再列在这里。": (
        "A collection review approved these data items and wrote them into the processing "
        "register; the catalog does not hold them yet. Once a scan finds a field of the same "
        "name (or description) it is linked and leaves this list."
    ),
}
