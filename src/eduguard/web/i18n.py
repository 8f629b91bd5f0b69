"""Console text: Simplified Chinese first, English on request (cookie ``lang``).

Templates write the Chinese text and call ``_("…")``; :data:`EN` holds the English.
"""

from __future__ import annotations

from collections.abc import Callable

from eduguard.web.i18n_backup import EN_BACKUP
from eduguard.web.i18n_collection import EN_COLLECTION
from eduguard.web.i18n_consent import EN_CONSENT
from eduguard.web.i18n_processing import EN_PROCESSING
from eduguard.web.i18n_retention import EN_RETENTION
from eduguard.web.i18n_sharing import EN_SHARING

LANGUAGES = ("zh", "en")

EN: dict[str, str] = {
    "教育数据安全治理平台": "Education Data Security Governance",
    "概览": "Overview",
    "单位": "Units",
    "信息系统": "Information systems",
    "第三方协议": "Third-party agreements",
    "数据发现": "Data discovery",
    "数据资源目录": "Data resource catalog",
    "合规态势": "Compliance posture",
    "导出 HTML 报告": "Export HTML report",
    "导出 PDF 报告": "Export PDF report",
    "立即评估": "Evaluate now",
    "各单位得分": "Scores by unit",
    "得分": "Score",
    "高": "High",
    "中": "Medium",
    "低": "Low",
    "涉及条款": "Clauses cited",
    "涉及《通知》重点任务": "Notice items concerned",
    "本单位得分": "Own score",
    "依据": "Basis",
    "其他": "Other",
    "得分 = 按严重性加权的规则通过率（高 15、中 8、低 3；每条规则只计一次，不论涉及多少数据集）；上级单位的得分为本单位及所辖各单位得分的平均值，与数据看板一致。": "Score = the rules passed, weighted by severity (high 15, medium 8, low 3; each rule counts once however many datasets fail it); a supervising unit scores the mean of itself and the units below it, as on the dashboard.",
    "合规发现": "Findings",
    "未整改": "Open",
    "已整改": "Resolved",
    "规则": "Rule",
    "条款": "Clauses",
    "严重性": "Severity",
    "单位 / 系统": "Unit / system",
    "证据": "Evidence",
    "整改任务": "Remediation task",
    "负责": "Owner",
    "期限": "Due",
    "待整改": "To do",
    "已关闭": "Closed",
    "已完成": "Done",
    "关闭理由": "Reason for closing",
    "关闭任务": "Close task",
    "信息系统的合规事实": "Compliance facts of the systems",
    "合规事实": "Compliance facts",
    "已落实": "In place",
    "本系统的合规发现": "Findings of this system",
    "单位的合规事实": "Compliance facts of the units",
    "整表重要数据建议（待人工复核）": "Important-data proposals for whole tables (to review)",
    "本单位的合规发现": "Findings of this unit",
    "登记本单位的数据安全管理办法、应急预案、培训、数据开放目录与共享责任清单、网络数据安全负责人；每次修改均记入审计日志。": (
        "Record the unit's data security rules, incident plan, training, open-data catalog and "
        "sharing list, and its network data security officer; every change is audited."
    ),
    "返回合规态势": "Back to the compliance posture",
    "最后修改": "Last changed",
    "备注": "Notes",
    "数据安全态势": "Data security posture",
    "一数一源": "One data, one source",
    "合规得分": "Compliance score",
    "定期扫描": "Scheduled scan",
    "处理说明": "What was done",
    "确认已知悉": "Acknowledge",
    "每 %d 天": "every %d days",
    "按需": "on demand",
    "定期扫描间隔（天，可不填）": "Scan every … days (optional)",
    "未整改的合规发现": "Open compliance findings",
    "合规得分（低者在前）": "Compliance score (lowest first)",
    "下级单位排名": "Units below, ranked",
    "排序": "Sort by",
    "一数一源：多个系统重复采集的个人信息": "One data, one source: personal data collected by several systems",
    "敏感与未成年人个人信息最多的信息系统": "Systems with the most sensitive and minors' data",
    "数据保护": "Protection",
    "审计日志": "Audit log",
    "账户与权限": "Accounts & access",
    "审批": "Reviews",
    # research and statistics release (release/, reviews/)
    "科研与统计数据发布": "Research and statistics release",
    "申请数据发布": "Request a release",
    "申请科研与统计数据发布": "Request a research or statistics release",
    "数据发布申请": "Release request",
    "审批步骤": "Approval steps",
    "过程记录": "Timeline",
    "脱敏数据": "De-identified data",
    "下载脱敏数据": "Download de-identified data",
    "下载脱敏报告": "Download the report",
    "提交决定": "Submit decision",
    "提交申请": "Submit request",
    "提交审批": "Submit for approval",
    "撤回申请": "Withdraw request",
    "同意": "Approve",
    "驳回": "Reject",
    "退回修改": "Return for changes",
    "草稿/退回修改": "Draft / returned",
    "审批中": "Under review",
    "已批准": "Approved",
    "已驳回": "Rejected",
    "已撤回": "Withdrawn",
    "待审批": "Awaiting decision",
    "未开始": "Not yet due",
    "数据主管单位审批": "Owner unit's data owner approves",
    "个人信息保护负责人审核（含敏感个人信息）": "PI protection officer reviews (sensitive PI)",
    "接收方": "Recipient",
    "伦理审查说明": "Ethics review note",
    "申请人": "Requester",
    "申请字段": "Fields requested",
    "准标识符": "Quasi-identifiers",
    "理由": "Reason",
    "决定": "Decision",
    "即将上线": "coming soon",
    "登录": "Log in",
    "退出": "Log out",
    "用户名": "Username",
    "密码": "Password",
    "名称": "Name",
    "类型": "Type",
    "上级单位": "Parent unit",
    "统一社会信用代码": "Unified social credit code",
    "主要负责人": "Principal leader",
    "分管负责人": "Leader in charge",
    "网络安全部门": "Network security department",
    "网络安全联系人": "Security contact",
    "新建单位": "New unit",
    "编辑单位": "Edit unit",
    "登记信息系统": "Register a system",
    "编辑信息系统": "Edit system",
    "登记协议": "Register an agreement",
    "保存": "Save",
    "搜索": "Search",
    "归档": "Archive",
    "编辑": "Edit",
    "操作": "Actions",
    "所属单位": "Unit",
    "用途": "Purpose",
    "网址": "URL",
    "部署位置": "Deployment location",
    "存储位置": "Storage location",
    "境内": "In China",
    "境外": "Outside China",
    "等保级别": "MLPS level",
    "等保备案号": "MLPS filing number",
    "个人信息主体数量": "People whose PI it holds",
    "主管单位": "Owner unit",
    "运营单位": "Operator unit",
    "外部运营方": "Outside operator",
    "使用单位": "User units",
    "服务商": "Provider",
    "数据范围": "Data scope",
    "使用场景": "Scenarios",
    "使用边界": "Boundaries",
    "有效期自": "Valid from",
    "有效期至": "Valid until",
    "协议文件": "Signed document",
    "无": "None",
    "暂无记录": "Nothing here yet",
    "共": "Total",
    "条": "",
    "已归档": "Archived",
    "请更正以下错误": "Please correct the errors below",
    "出错了": "Something went wrong",
    "返回": "Back",
    "信息系统/网站/App": "System / website / app",
    "学校": "School",
    "已登录": "Logged in as",
    "下载": "Download",
    "单位数": "Units",
    "系统数": "Systems",
    "协议数": "Agreements",
    "存储在境外的系统": "Systems storing data outside China",
    "未定等保级别的系统": "Systems without an MLPS level",
    "百万级个人信息系统": "Systems with PI of 1,000,000+ people",
    "即将到期的协议（90 天内）": "Agreements expiring within 90 days",
    "API 文档": "API docs",
    "编辑协议": "Edit agreement",
    "我的账户": "My account",
    "双因素认证": "Two-factor authentication",
    "动态验证码": "One-time code",
    "无法扫码时，在 App 中选择“手动输入密钥”，账号填": (
        "If you cannot scan, choose “enter a setup key” in the app; account"
    ),
    "，密钥：": ", key: ",
    "（基于时间，6 位）": " (time-based, 6 digits)",
    "验证": "Verify",
    "已启用": "On",
    "全平台": "Platform-wide",
    "无角色": "No roles",
    "未启用": "Off",
    "登录会话": "Sessions",
    "API 令牌": "API tokens",
    "修改密码": "Change password",
    "创建令牌": "Create token",
    "脱敏方式": "Treatment",
    "保留原值（目录中无个人信息）": "Kept as is (no personal information in the catalog)",
    "已不在数据资源目录中": "No longer in the data catalog",
    "注意：以下字段在脱敏数据中不含任何原值": "Note: the copy carries no value of these fields",
    "我已知悉以下字段在脱敏数据中不含原值，仍同意": "I know the copy carries no value of these fields and approve",
    "“脱敏方式”一列是生成的数据对每个字段的处理：标为“抑制（输出为空）”或“替换”的字段在数据中不含原值，审批人会看到同样的说明。": "The Treatment column is what the copy does with each field: fields marked suppressed (empty) or redacted carry no value; approvers see the same.",
    "账户变更提醒": "Account change notices",
    "自您上次确认以来，他人对您的账户做了以下操作。如非您本人知情，请立即联系审计管理员并检查审计日志。": (
        "Since you last acknowledged, others did the following to your account. If you did not "
        "know of it, contact the audit administrator and check the audit log at once."
    ),
    "操作者": "By",
    "时间": "Time",
    "我已知悉": "Acknowledge",
    "没有待确认的账户变更提醒。": "No account change notices to acknowledge.",
    "审计管理员角色由安全管理员授予、收回并重置其密码与双因素，安全管理员角色由审计管理员办理；系统管理员办理其他角色。": (
        "The security administrator grants and revokes the audit administrator role and resets "
        "its password and second factor, the audit administrator does the same for the security "
        "administrator; the system administrator handles every other role."
    ),
    # issue #15: menus, breadcrumbs, Chinese-only confirmations, choosers
    "菜单": "Menu",
    "功能菜单": "Modules",
    "当前位置": "You are here",
    "确定归档？归档后不再出现在列表中。": "Archive? It will no longer be listed.",
    "确定在所有设备上退出？": "Log out on every device?",
    "确定停用该账户？": "Disable this account?",
    "确定重置该账户的双因素认证？": "Reset this account's second factor?",
    "确认全部置信度不低于阈值的待审核建议？": "Confirm every proposal at or above the threshold?",
    "全部个人信息类型": "All PI types",
    "个人信息类型": "PI types",
    "个人信息类型（更正时勾选；都不勾选表示无个人信息）": "PI types (tick when correcting; none ticked means no personal information)",
    "个人信息类型代码（逗号分隔；勾选上面的类型会自动填写）": "PI type codes (comma-separated; ticking above fills this in)",
    "合规事实与发现": "Compliance facts and findings",
    "数据源": "Data sources",
    "全部": "All",
    "对象": "Object",
    "全部标记为已读": "Mark all read",
    "关闭": "Close",
    "关闭原因": "Reason for closing",
    "内容": "Content",
    "到期": "Due",
    "只看未读": "Unread only",
    "填写后，提醒也会发到这个邮箱（平台已配置邮件服务时）。留空则只在这里查看。": "Reminders are also e-mailed to this address (when the platform has a mail server configured). Leave it empty to read them here only.",
    "已读": "Read",
    "已逾期": "Overdue",
    "开始": "Started",
    "我的消息": "My messages",
    "显示全部": "Show all",
    "未读": "Unread",
    "本单位尚未办结的法定期限，按到期时间排序。工作日按国务院公布的节假日与调休安排计算（北京时间）；到期前提醒负责角色，逾期后升级。": "The unit’s open legal deadlines, soonest first. Working days follow the State Council’s public holidays and make-up working days (Beijing time); the responsible role is reminded before the due time, and an overdue deadline is escalated.",
    "查看": "Show",
    "标记已读": "Mark read",
    "标记未读": "Mark unread",
    "标题": "Subject",
    "没有消息。": "No messages.",
    "没有计时中的期限。": "No open deadlines.",
    "法定期限": "Legal deadlines",
    "状态": "Status",
    "类别": "Kind",
    "系统发给您的提醒与通知（期限提醒、逾期升级等）。消息只写对象编号，详情请打开链接查看。": "Reminders and notices the platform sent you (deadline reminders, escalations). Messages name the object only; open the link for details.",
    "计时中": "Running",
    "负责角色": "Responsible role",
    "通知邮箱": "Notification e-mail",
    "逾期升级至": "Escalated to when overdue",
    "（节假日安排未收录，按周一至周五估算）": "(holiday calendar not yet published: counted Monday to Friday)",
    "，已升级": ", escalated",
    "期限已关闭": "Deadline closed",
    "已标记为已读": "Marked read",
    "已标记为未读": "Marked unread",
    "通知邮箱已保存": "Notification e-mail saved",
    "已删除通知邮箱": "Notification e-mail removed",
    "人工登记的期限": "Deadline entered by hand",
    # 公示前检查 (publish check)
    "公示前检查": "Check before posting",
    "文件": "File",
    "上传待发布的文件": "Upload the document to be posted",
    "上传的原文件检查后已立即删除；检查结果和脱敏副本保留 1 小时，仅您本人可见。": "The uploaded original was deleted right after the check; the verdict and the de-identified copy are kept for one hour, for you only.",
    "下载脱敏副本": "Download the de-identified copy",
    "位置": "Where",
    "公示名单、录取名单、成绩单、通知附件等：Excel、Word（.docx）、PDF、网页、CSV 或文本，大小不超过 %d MB。检查后原文件立即删除，不会保存。": "Lists, admission lists, transcripts, notice attachments: Excel, Word (.docx), PDF, web page, CSV or text, up to %d MB. The original is deleted right after the check and never kept.",
    "发布前请先处理下列问题。": "Fix the following before posting.",
    "处理": "What to do",
    "未发现未脱敏的个人信息、敏感信息或隐藏内容，可以发布。": "No unmasked personal information, sensitive information or hidden content found: it may be posted.",
    "未发现未脱敏的直接标识，但文件涉及儿童信息，发布前请确认下列事项。": "No unmasked identifiers, but the document concerns children: confirm the following before posting.",
    "检查": "Check",
    "立即删除检查结果和副本": "Delete the verdict and the copy now",
    "等": "and more",
    "脱敏副本已删除隐藏工作表、清空隐藏行列、按公示惯例屏蔽个人信息，并清除作者等文档属性；发布前请再检查一遍副本。": "The copy has its hidden sheets removed, hidden rows and columns emptied, personal information masked by publication conventions and author properties stripped; check the copy once more before posting.",
    "可以发布": "May be posted",
    "需确认": "Confirm first",
    "需处理": "Fix first",
    # processing register and collection rules
    "处理活动记录": "Processing register",
    "收集使用规则": "Collection rules",
    "儿童个人信息专门规则": "Rules for children under 14",
    "新增处理目的": "Add a purpose",
    "编辑处理目的": "Edit purpose",
    "处理目的": "Purposes",
    "法律依据": "Legal basis",
    "必要性": "Necessity",
    "数据项": "Data items",
    "保存期限": "Retention",
    "到期后处理": "After retention",
    "自动化决策": "Automated decisions",
    "修订": "Revision",
    "启用": "Activate",
    "停用": "Retire",
    "未登记": "Not recorded",
    "发布新版本": "Publish a new version",
    "预览（按当前登记）": "Preview (as registered now)",
    "尚未发布": "Not published yet",
    "未发布": "Not published",
    "现行版本": "Current version",
    "已被新版本取代": "Superseded by a newer version",
    "历史版本": "Earlier versions",
    "联系方式与权利行使": "Contact and rights",
    "个人信息收集清单": "Personal information collected",
    "第三方共享清单": "Third parties",
    "一、谁收集您的个人信息": "1. Who collects your personal information",
    "二、处理目的、方式与法律依据": "2. Purposes, methods and legal bases",
    "三、个人信息收集清单": "3. Personal information collected",
    "四、第三方共享清单": "4. Third parties",
    "五、您的权利及行使方式": "5. Your rights and how to exercise them",
    "尚未登记处理目的": "No purposes registered yet",
}


# issue #15, the newer console text: account, audit, catalog (upload, bulk confirm, runs),
# releases, the worker banner, API docs. tests/core/test_console_labels.py checks that every
# _("…") of the templates has an entry here.
EN.update(
    {
        # account and sign-in
        "立即绑定": "Set up now",
        "您的角色必须启用": "Your role requires it",
        "新令牌（只显示这一次，请立即保存）": "New token (shown only this once: save it now)",
        "登录时间": "Logged in",
        "地址": "Address",
        "浏览器": "Browser",
        "到期": "Expires",
        "当前会话": "This session",
        "注销": "End",
        "在所有设备上退出": "Log out on every device",
        "前缀": "Prefix",
        "权限": "Permissions",
        "最近使用": "Last used",
        "已撤销": "Revoked",
        "撤销": "Revoke",
        "有效期（天）": "Valid for (days)",
        "原密码": "Current password",
        "新密码": "New password",
        "请输入身份验证器 App 显示的 6 位动态验证码。": "Enter the 6-digit code your authenticator app shows.",
        "绑定双因素认证": "Set up two-factor authentication",
        "用身份验证器 App（如微信小程序“腾讯身份验证器”、Google Authenticator、Microsoft Authenticator）扫描二维码，然后输入显示的 6 位验证码。": (
            "Scan the QR code with an authenticator app (Tencent Authenticator, Google "
            "Authenticator, Microsoft Authenticator …), then enter the 6-digit code it shows."
        ),
        "确认绑定": "Confirm",
        "演示模式：数据均为虚构，管理员登录时不强制双因素认证。": (
            "Demo mode: all data is made up; administrators log in without a second factor."
        ),
        # the worker banner (web/worker.py)
        "有后台任务（扫描、数据发布、消息发送或期限提醒）在排队，但最近没有后台任务进程在运行。请平台管理员运行 eduguard worker，或启用 Web 服务内置的后台任务（见安装说明中的设置）。": (
            "Background work (scans, releases, messages or deadline reminders) is queued, but "
            "no worker has run lately. Ask the platform administrator to run eduguard worker, "
            "or to turn on the web server's own worker (see the settings in the installation "
            "guide)."
        ),
        # API docs
        "平台的全部功能都可以通过 /api/v1 下的 JSON 接口调用；本页按模块列出各接口及其参数，可以直接在页面上试用（以当前登录身份、按当前角色的权限执行，并记入审计日志）。": (
            "Everything the platform does is available as JSON under /api/v1; this page lists "
            "each endpoint and its parameters by module, and lets you try them (as the account "
            "you are logged in with, with its role's permissions, recorded in the audit log)."
        ),
        '脚本与其他系统调用时，在“我的账户”中创建 API 令牌，以请求头 Authorization: Bearer <令牌> 发送。出错时返回 {"error": {"code": …, "message": …}}，message 为中文说明，code 保持不变。': (
            "Scripts and other systems create an API token under My account and send it as "
            'Authorization: Bearer <token>. Errors come back as {"error": {"code": …, '
            '"message": …}}: message explains in Chinese, code stays the same.'
        ),
        "接口定义（OpenAPI）": "Interface definition (OpenAPI)",
        # audit
        "校验日志": "Verify the log",
        "导出 CSV": "Export CSV",
        "导出 Excel": "Export Excel",
        "最新事件序号": "Newest event",
        "最近签名检查点": "Last signed checkpoint",
        "检查点之后的事件": "Events since the checkpoint",
        "起始": "From",
        "截止": "Until",
        "账户": "Account",
        "对象类型": "Object type",
        "对象 ID": "Object ID",
        "检索": "Search",
        "序号": "No.",
        "涉及字段": "Fields",
        "行数": "Rows",
        "结果": "Result",
        "没有符合条件的审计事件": "No audit event matches",
        "下一页": "Next page",
        "审计事件": "Audit event",
        "返回审计日志": "Back to the audit log",
        "角色": "Roles",
        "客户端地址": "Client address",
        "授权依据": "Grounds",
        "前一哈希": "Previous hash",
        "哈希(SM3)": "Hash (SM3)",
        "审计日志校验": "Audit log verification",
        "审计日志完好": "The audit log is intact",
        "校验事件": "Events checked",
        "签名检查点": "Signed checkpoints",
        "用时": "Time taken",
        "审计日志校验失败": "Audit log verification failed",
        "第一个异常事件": "First bad event",
        "已校验事件范围": "Events checked",
        # catalog
        "待处理的发现": "Open alerts",
        "数据集或数据项名称": "Dataset or field name",
        "全部信息系统": "All systems",
        "全部审核状态": "Any review status",
        "仅个人信息": "Personal information only",
        "筛选": "Filter",
        "置信度不低于": "Confidence at least",
        "批量确认的置信度阈值": "Confidence threshold for bulk confirmation",
        "批量确认当前筛选结果…": "Confirm the filtered rows…",
        "信息系统的数据源与扫描": "Systems' data sources and scans",
        "批量确认": "Bulk confirm",
        "批量确认分类分级": "Confirm classifications in bulk",
        "数据集": "Dataset",
        "数据项": "Field",
        "级别": "Level",
        "置信度": "Confidence",
        "审核": "Review",
        "范围：": "Scope: ",
        "名称含": "name contains",
        "待审核且置信度不低于": "awaiting review with confidence at least",
        "将确认 %d 个字段的分类分级（仅限上述范围，敏感字段不包括），确定吗？": (
            "Confirm the classification of %d fields (this scope only, sensitive fields left out)?"
        ),
        "将确认以下 %d 个字段的扫描建议，每个字段单独记入审计日志。": (
            "The scan's proposal for these %d fields will be confirmed, each recorded in the "
            "audit log."
        ),
        "确认这 %d 个字段": "Confirm these %d fields",
        "返回，不确认": "Back, confirm nothing",
        "该范围内没有可批量确认的非敏感字段。": "No non-sensitive field in this scope to confirm.",
        "返回数据资源目录": "Back to the data catalog",
        "敏感个人信息字段（%d 个，默认不批量确认）": (
            "Sensitive personal information fields (%d, not confirmed in bulk unless included)"
        ),
        "敏感字段宜逐个审核；如确已核对，可明确包括它们一并确认。": (
            "Sensitive fields are best reviewed one by one; if you have checked them, include "
            "them explicitly."
        ),
        "将确认 %d 个字段的分类分级，其中 %d 个为敏感个人信息字段，确定吗？": (
            "Confirm the classification of %d fields, %d of them sensitive personal information?"
        ),
        "包括敏感字段，确认全部 %d 个": "Include the sensitive fields: confirm all %d",
        "比较的是各系统身份标识类数据项取值的密钥哈希草图（HMAC-SM3，密钥不在数据库中），不读取、不保存原值。重叠人数为估计值（括号内为 95% 区间）；两数据项不同取值均少于草图容量时为精确值。只计扫描读取到的行。": (
            "What is compared are keyed hash sketches (HMAC-SM3, the key outside the database) "
            "of the systems' identifier fields; no value is read back or kept. Overlaps are "
            "estimates (95% interval in brackets), exact when both fields have fewer distinct "
            "values than a sketch holds. Only the rows a scan read count."
        ),
        "系统甲": "System A",
        "系统乙": "System B",
        "重叠（估计）": "Overlap (estimated)",
        "包含度": "Containment",
        "不同取值": "Distinct values",
        "精确": "exact",
        "未发现重叠不少于 %d 个取值的重复采集": "No collection overlapping in %d values or more",
        "审核分类分级": "Review the classification",
        "扫描建议": "Scan's proposal",
        "无个人信息": "No personal information",
        "当前审核结论": "Current review",
        "审核后扫描建议发生了变化，请复核。": "The scan's proposal changed after the review: please review again.",
        "确认扫描建议": "Confirm the proposal",
        "更正": "Correct",
        "分类": "Category",
        "提交审核": "Submit review",
        "状态": "Status",
        "进度（表）": "Progress (tables)",
        "已读行数": "Rows read",
        "当前表": "Current table",
        "申请时间": "Requested",
        "取消": "Cancel",
        "个数据集": " datasets",
        "个数据项": " fields",
        "处变化": " changes",
        "项发现": " alerts",
        "查看该系统的数据资源目录": "This system's data catalog",
        "其中的个人信息": "with personal information",
        "待审核的字段": "Fields awaiting review",
        "该系统待处理的数据发现": "This system's open alerts",
        "前往确认": "Review them",
        "数据库": "Database",
        "文件": "File",
        "上传的文件": "Uploaded file",
        "演示用的虚构数据库，不参与扫描": "The demo's made-up database: not scanned",
        "尚未登记数据源": "No data source yet",
        "上传文件作为数据源": "Upload a file as a data source",
        "支持 CSV（UTF-8 或 GBK 编码）、Excel（.xlsx/.xls）和 Parquet，大小不超过 %d MB。文件保存在平台的数据目录中，只供扫描读取。": (
            "CSV (UTF-8 or GBK), Excel (.xlsx/.xls) and Parquet, up to %d MB. The file is kept "
            "in the platform's data folder and read only by scans."
        ),
        "名称（可不填，缺省为文件名）": "Name (optional: the file's name)",
        "上传并登记": "Upload and register",
        "手头没有文件？演示环境自带一份虚构的学生名单（GBK 编码的 CSV，200 行）。": (
            "No file at hand? The demo comes with a made-up student list (a GBK CSV, 200 rows)."
        ),
        "使用演示样例文件": "Use the demo's sample file",
        "登记数据库或服务器上的文件位置": "Register a database or a file location on the server",
        "数据库地址或文件位置": "Database URL or file location",
        "地址中的密码单独以 SM4 加密保存，页面和接口都不会再显示。": (
            "A password in the URL is stored apart, SM4-encrypted, and never shown again."
        ),
        "登记数据源": "Register the source",
        "扫描任务": "Scans",
        "扫描": "Scan",
        "扫描由后台任务执行（Web 服务自带，或另行运行的 eduguard worker），进度自动刷新。": (
            "Scans run in the background (the web server's own worker, or a separate eduguard "
            "worker); progress refreshes by itself."
        ),
        "敏感": "Sensitive",
        "未成年人": "Minors",
        "审核状态": "Review status",
        "是": "Yes",
        "否": "No",
        # compliance and dashboard
        "范围": "Scope",
        "登记平台无法自动获知的事项（负责人、备案、审计、同意依据、集体决策、加密）；每次修改均记入审计日志。": (
            "Record what the platform cannot learn by itself (officers, filings, audits, "
            "consent, collective decisions, encryption); every change is audited."
        ),
        "统计范围：本单位及全部下级单位的在用信息系统；数据来自数据资源目录（审核后的分类分级优先于扫描建议）。": (
            "Scope: the systems in use of this unit and every unit below it, from the data "
            "catalog (reviewed classifications before the scan's proposals)."
        ),
        "个人信息": "Personal information",
        "待审核敏感": "Sensitive awaiting review",
        "暂无已编目的信息系统": "No catalogued system yet",
        "信息系统（已编目/在用）": "Systems (catalogued / in use)",
        "未设存储期限数据集": "Datasets without a retention period",
        # releases
        "字段": "Field",
        "k-匿名": "k-anonymity",
        "敏感属性": "Sensitive attribute",
        "步骤": "Step",
        "审批单位": "Deciding unit",
        "审批人": "Decided by",
        "第": "step",
        "步": "",
        "待批准": "Awaiting approval",
        "待生成": "Waiting to be produced",
        "已批准，等待后台任务生成": "Approved, waiting for the background worker",
        "生成中": "Being produced",
        "已生成": "Produced",
        "生成失败": "Failed",
        "完成": "Done",
        "行": "rows",
        "个字段": "fields",
        "可见范围内的数据资源目录中还没有数据集。": "No dataset in the catalog you can see yet.",
        "选择字段": "Choose fields",
        "申请": "Request",
        "用途（研究/统计目的）": "Purpose (research or statistics)",
        "脱敏采用内置默认策略；如勾选准标识符，还需给出 k（每个等价类至少 k 条记录）。": (
            "The built-in default policy de-identifies the copy; with quasi-identifiers ticked, "
            "give k too (each equivalence class keeps at least k records)."
        ),
        "敏感属性列（l 大于 1 时）": "Sensitive attribute (when l is above 1)",
        "申请经数据主管单位审批后，由后台任务（eduguard release run）生成脱敏数据，仅申请人可下载。": (
            "Once the owner unit approves, the background worker (eduguard release run) "
            "produces the de-identified copy; only the requester can download it."
        ),
        "暂无申请": "No request yet",
        # the masking operators, as a request's treatment of each field
        "泛化": "Generalised",
        "屏蔽": "Masked",
        "置换": "Shuffled",
        "替换": "Redacted",
        "假名化": "Pseudonymised",
        "噪声添加": "Noise added",
        "抑制": "Suppressed",
        "顶层与底层编码": "Top/bottom coded",
        "抑制（输出为空）": "Suppressed (comes out empty)",
        "替换（替换为类型占位符）": "Redacted (a placeholder of its type)",
        "屏蔽（逐段处理文中的个人信息）": "Masked (the personal information in the text, span by span)",
        "替换（逐段处理文中的个人信息）": "Redacted (the personal information in the text, span by span)",
        "抑制（逐段处理文中的个人信息）": "Suppressed (the personal information in the text, span by span)",
        # users
        "系统管理员、安全管理员、审计管理员须由不同人员担任；任何人不能修改自己的角色。": (
            "The system, security and audit administrators must be different people; nobody "
            "changes their own roles."
        ),
        "双因素": "Second factor",
        "保存角色": "Save roles",
        "已停用": "Disabled",
        "已锁定至": "Locked until",
        "正常": "Active",
        "解除锁定": "Unlock",
        "停用": "Disable",
        "启用": "Enable",
        "重置双因素": "Reset second factor",
        "新建账户": "New account",
        "姓名": "Name",
        "初始密码": "Initial password",
    }
)

EN.update(EN_PROCESSING)
EN.update(EN_CONSENT)
EN.update(EN_RETENTION)
EN.update(EN_COLLECTION)
EN.update(EN_BACKUP)
EN.update(EN_SHARING)


def translator(language: str) -> Callable[[str], str]:
    if language == "en":
        return lambda text: EN.get(text, text)
    return lambda text: text
