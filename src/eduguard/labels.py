"""Display names for every code a person reads: one registry, Chinese and English.

Codes (PI types, levels, category ids, audit actions, roles, review states …) stay what the
JSON API, the database and the audit chain carry; pages, reports and exports show these names
and may show the code as a small hint. Any layer may import this module (it imports nothing of
the project). An unknown code (a newer one) is shown as itself, never dropped.

:func:`label` is the one entry point: ``label("pi_type", "PERSON_NAME")`` → ``"姓名"``,
``label("level", "general-4", "en")`` → ``"General data, level 4"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Names = dict[str, tuple[str, str]]  # code → (Chinese, English)

PI_TYPES: Names = {
    "CN_RESIDENT_ID": ("居民身份证号", "Resident ID number"),
    "STUDENT_REG_NO": ("全国学籍号", "National student registration number"),
    "PASSPORT": ("护照号", "Passport number"),
    "TRAVEL_PERMIT": ("通行证", "Travel permit number"),
    "MOBILE_PHONE": ("手机号", "Mobile phone number"),
    "LANDLINE_PHONE": ("固定电话", "Landline number"),
    "EMAIL": ("电子邮箱", "Email address"),
    "PERSON_NAME": ("姓名", "Name"),
    "ADDRESS": ("地址", "Address"),
    "HOUSEHOLD_REGISTRATION": ("户籍", "Household registration"),
    "BIRTH_DATE": ("出生日期", "Date of birth"),
    "GENDER": ("性别", "Gender"),
    "ETHNICITY": ("民族", "Ethnicity"),
    "RELIGION": ("宗教信仰", "Religion"),
    "POLITICAL_STATUS": ("政治面貌", "Political affiliation"),
    "HEALTH": ("健康生理", "Health"),
    "BIOMETRIC": ("生物识别", "Biometrics"),
    "BANK_CARD": ("银行卡号", "Bank card number"),
    "FINANCIAL": ("财产/资助", "Finances / financial aid"),
    "LOCATION": ("行踪轨迹/精准定位", "Location and movements"),
    "IP_ADDRESS": ("IP 地址", "IP address"),
    "DEVICE_ID": ("设备标识", "Device identifier"),
    "LICENSE_PLATE": ("车牌号", "Licence plate"),
    "SOCIAL_ACCOUNT": ("社交账号", "Social media account"),
    "STUDENT_NO": ("学号", "Student number"),
    "STAFF_NO": ("工号", "Staff number"),
    "TEACHER_CERT_NO": ("教师资格证书号", "Teacher certificate number"),
    "EXAM_REG_NO": ("考生号/准考证号", "Examination candidate number"),
    "EDUCATION_RECORD": ("学业记录", "Academic record"),
    "FAMILY_RELATION": ("家庭关系", "Family relations"),
    "CREDENTIAL": ("口令/凭证", "Password / credential"),
    "PHOTO": ("照片", "Photo"),
    "ORG_CODE": ("统一社会信用代码/组织机构代码", "Organisation code"),
    "SPECIAL_IDENTITY": (
        "特定身份（残疾、孤儿、低保、烈士子女等）",
        "Special identity (disability, orphan, subsistence allowance, martyr's child)",
    ),
    "DISCIPLINARY": ("处分记录", "Disciplinary sanctions"),
    "CRIMINAL_RECORD": ("违法犯罪记录", "Criminal record"),
}

LEVELS: Names = {
    "core": ("核心数据", "Core data"),
    "important": ("重要数据", "Important data"),
    "general-4": ("一般数据（4级）", "General data, level 4"),
    "general-3": ("一般数据（3级）", "General data, level 3"),
    "general-2": ("一般数据（2级）", "General data, level 2"),
    "general-1": ("一般数据（1级）", "General data, level 1"),
}

# The taxonomy of classification/data/education.toml (a test keeps the two equal).
CATEGORIES: Names = {
    "student": ("学生数据", "Student data"),
    "student.identity": ("学生身份标识", "Student identifiers"),
    "student.basic": ("学生基本信息", "Student basic information"),
    "student.contact": ("学生联系方式", "Student contact details"),
    "student.sensitive_identity": ("学生民族与宗教信仰", "Student ethnicity and religion"),
    "student.special_identity": (
        "学生特定身份（残疾、孤儿、低保、烈士子女等）",
        "Student special identity (disability, orphan, subsistence allowance, martyr's child)",
    ),
    "student.records": ("学生处分与违法犯罪记录", "Student sanctions and criminal records"),
    "student.health": ("学生健康生理", "Student health"),
    "student.biometric": ("学生生物识别与照片", "Student biometrics and photos"),
    "student.family": ("学生家庭信息", "Student family"),
    "student.finance": ("学生资助与财产", "Student aid and finances"),
    "student.academic": ("学生学业记录", "Student academic records"),
    "student.location": ("学生行踪与位置", "Student location"),
    "student.account": ("学生账号与设备", "Student accounts and devices"),
    "student.text": ("学生相关自由文本", "Free text about students"),
    "guardian": ("监护人/家长数据", "Guardian data"),
    "guardian.identity": ("监护人身份标识", "Guardian identifiers"),
    "guardian.basic": ("监护人基本信息", "Guardian basic information"),
    "guardian.contact": ("监护人联系方式", "Guardian contact details"),
    "guardian.sensitive_identity": ("监护人民族与宗教信仰", "Guardian ethnicity and religion"),
    "guardian.special_identity": (
        "监护人特定身份（残疾、低保、烈士等）",
        "Guardian special identity (disability, subsistence allowance, martyr)",
    ),
    "guardian.records": ("监护人处分与违法犯罪记录", "Guardian sanctions and criminal records"),
    "guardian.health": ("监护人健康生理", "Guardian health"),
    "guardian.biometric": ("监护人生物识别与照片", "Guardian biometrics and photos"),
    "guardian.family": ("监护人家庭关系", "Guardian family relations"),
    "guardian.finance": ("监护人财产信息", "Guardian finances"),
    "guardian.academic": ("监护人学历信息", "Guardian education"),
    "guardian.location": ("监护人位置", "Guardian location"),
    "guardian.account": ("监护人账号与设备", "Guardian accounts and devices"),
    "guardian.text": ("监护人相关自由文本", "Free text about guardians"),
    "staff": ("教职工数据", "Staff data"),
    "staff.identity": ("教职工身份标识", "Staff identifiers"),
    "staff.basic": ("教职工基本信息", "Staff basic information"),
    "staff.contact": ("教职工联系方式", "Staff contact details"),
    "staff.sensitive_identity": ("教职工民族与宗教信仰", "Staff ethnicity and religion"),
    "staff.special_identity": (
        "教职工特定身份（残疾、烈士家属等）",
        "Staff special identity (disability, martyr's family)",
    ),
    "staff.records": ("教职工处分与违法犯罪记录", "Staff sanctions and criminal records"),
    "staff.health": ("教职工健康生理", "Staff health"),
    "staff.biometric": ("教职工生物识别与照片", "Staff biometrics and photos"),
    "staff.family": ("教职工家庭信息", "Staff family"),
    "staff.finance": ("教职工薪酬与财产", "Staff pay and finances"),
    "staff.academic": ("教职工资格与业绩", "Staff qualifications and records"),
    "staff.location": ("教职工位置", "Staff location"),
    "staff.account": ("教职工账号与设备", "Staff accounts and devices"),
    "staff.text": ("教职工相关自由文本", "Free text about staff"),
    "school_operations": ("学校管理运行数据", "School operations"),
    "school_operations.organisation": ("机构信息", "Organisation"),
    "school_operations.assets": ("资产与设施", "Assets and facilities"),
    "school_operations.general": ("一般管理数据", "General administration"),
    "teaching": ("教学运行与教学资源", "Teaching"),
    "teaching.courses": ("课程与教学安排", "Courses and timetables"),
    "teaching.general": ("教学一般数据", "General teaching data"),
    "research": ("科研与学术活动", "Research"),
    "research.general": ("科研一般数据", "General research data"),
    "finance": ("学校财务", "School finance"),
    "finance.general": ("财务一般数据", "General finance data"),
    "secret": ("涉密数据", "Classified data"),
    "secret.state": (
        "涉密（国家秘密）— 不按一般数据分级",
        "State secret — outside general-data grading",
    ),
    "public": ("公开数据", "Public data"),
    "public.general": ("已公开信息", "Published information"),
}

ROLES: Names = {
    "system_admin": ("系统管理员", "System administrator"),
    "security_admin": ("安全管理员", "Security administrator"),
    "audit_admin": ("审计管理员", "Audit administrator"),
    "data_owner": ("数据主管", "Data owner"),
    "data_operator": ("数据运营", "Data operator"),
    "data_user": ("数据使用", "Data user"),
    "pi_officer": ("个人信息保护负责人", "PI protection officer"),
    "supervisor": ("上级监管", "Supervisor"),
}

# What an audited object is (audit events' object_type; <type>.create / .update / .delete).
OBJECT_TYPES: Names = {
    "unit": ("单位", "unit"),
    "system": ("信息系统", "information system"),
    "agreement": ("第三方协议", "third-party agreement"),
    "user": ("账户", "account"),
    "user_role": ("账户角色", "account role"),
    "data_source": ("数据源", "data source"),
    "catalog": ("数据资源目录", "data catalog"),
    "catalog_field": ("数据项", "data item"),
    "catalog_dataset": ("数据集", "dataset"),
    "scan_run": ("扫描任务", "scan run"),
    "compliance": ("合规态势", "compliance posture"),
    "compliance_facts": ("合规事实", "compliance facts"),
    "compliance_task": ("整改任务", "remediation task"),
    "review_request": ("审批申请", "review request"),
    "review_step": ("审批步骤", "review step"),
    "release": ("数据发布申请", "release request"),
    "release_request": ("数据发布申请", "release request"),
    "audit": ("审计日志", "audit log"),
    "audit_event": ("审计事件", "audit event"),
    "keys": ("密钥", "keys"),
    "clock": ("期限", "deadline"),
    "notify_message": ("消息", "message"),
    "notify_contact": ("通知邮箱", "notification address"),
    "processing": ("处理活动记录", "processing register"),
    "processing_register": ("处理活动记录（联系方式）", "processing register header"),
    "processing_purpose": ("处理目的", "processing purpose"),
    "processing_purpose_field": ("处理目的的数据项", "data item of a purpose"),
    "processing_recipient": ("处理目的的接收方", "recipient of a purpose"),
    "collection_rules": ("收集使用规则", "collection rules"),
    "consent_subject": ("同意主体", "consent subject"),
    "consent_guardian": ("监护人", "guardian"),
    "consent_event": ("同意记录", "consent record"),
    "consent_link": ("同意链接", "consent link"),
    "retention_rule": ("保存期限规则", "retention rule"),
    "retention_exemption": ("保存期限豁免", "retention exemption"),
    "retention_hold": ("保全（暂停销毁）", "retention hold"),
    "retention_run": ("数据处置任务", "disposition run"),
    "retention_write_credential": ("处置专用写入凭据", "disposition write credential"),
    "collection_plan": ("数据收集审核", "collection review"),
    "backup_policy": ("备份策略", "backup policy"),
    "recovery_drill": ("恢复演练", "recovery drill"),
    "drill_evidence": ("恢复演练证明文件", "recovery drill evidence"),
    "platform_backup": ("平台备份", "platform backup"),
}

_VERBS: Names = {
    "create": ("新建", "created"),
    "update": ("修改", "changed"),
    "delete": ("删除", "deleted"),
    "read": ("查看", "viewed"),
    "export": ("导出", "exported"),
}

AUDIT_ACTIONS: Names = {
    "access.denied": ("拒绝访问", "Access denied"),
    "access.csrf_rejected": ("拒绝：表单令牌无效", "Refused: form token invalid"),
    "access.not_found": ("拒绝：对象不存在或不在权限范围内", "Refused: not found or out of scope"),
    "access.rate_limited": ("拒绝：请求过于频繁", "Refused: too many requests"),
    "access.unauthenticated": ("拒绝：未登录", "Refused: not logged in"),
    "auth.rate_limited": ("登录尝试过于频繁", "Login attempts rate-limited"),
    "catalog.scan.cancel": ("取消扫描任务", "Scan cancelled"),
    "catalog.source.upload": ("上传数据源文件", "Data source file uploaded"),
    "publish.check": ("公示前检查", "Document checked before posting"),
    "publish.download": ("下载公示用脱敏副本", "De-identified copy for posting downloaded"),
    "publish.delete": ("删除公示前检查结果", "Publish check deleted"),
    "auth.login": ("登录", "Logged in"),
    "auth.login_failed": ("登录失败", "Login failed"),
    "auth.logout": ("退出登录", "Logged out"),
    "auth.mfa": ("通过双因素认证", "Second factor verified"),
    "auth.mfa_failed": ("双因素认证失败", "Second factor failed"),
    "auth.mfa_enrol": ("绑定双因素认证", "Second factor enrolled"),
    "auth.mfa_enrol_failed": ("绑定双因素认证失败", "Second factor enrolment failed"),
    "account.notices_acknowledged": ("确认账户变更提醒", "Account notices acknowledged"),
    "audit.read": ("查阅审计日志", "Audit log viewed"),
    "audit.search": ("检索审计日志", "Audit log searched"),
    "audit.export": ("导出审计日志", "Audit log exported"),
    "audit.verify": ("校验审计日志", "Audit log verified"),
    "audit.purge": ("清理过期审计日志", "Expired audit events purged"),
    "user.created": ("创建账户", "Account created"),
    "user.enable": ("启用账户", "Account enabled"),
    "user.disable": ("停用账户", "Account disabled"),
    "user.roles_changed": ("变更角色", "Roles changed"),
    "user.reset_password": ("重置密码", "Password reset"),
    "user.reset_mfa": ("重置双因素认证", "Second factor reset"),
    "user.unlock": ("解除账户锁定", "Account unlocked"),
    "keys.rotate_master": ("轮换主密钥", "Master key rotated"),
    "keys.rotate.start": ("开始密钥轮换", "Key rotation started"),
    "keys.rotate.finish": ("完成密钥轮换", "Key rotation finished"),
    "keys.reencrypt": ("重新加密数据", "Data re-encrypted"),
    "keys.migrate": ("迁移密钥", "Keys migrated"),
    "catalog.apply": ("写入扫描结果", "Scan results applied"),
    "catalog.retention": ("设置存储期限", "Retention set"),
    "catalog.alert.acknowledge": ("确认数据资源目录告警", "Catalog alert acknowledged"),
    "catalog.review.confirm": ("确认分类分级", "Classification confirmed"),
    "catalog.review.correct": ("更正分类分级", "Classification corrected"),
    "catalog.review.bulk_confirm": ("批量确认分类分级", "Classifications confirmed in bulk"),
    "catalog.scan.scheduled": ("定期扫描排队", "Scheduled scan queued"),
    "catalog.scan.worker_lost": ("扫描中断（后台任务丢失）", "Scan lost its worker"),
    "compliance.evaluate": ("执行合规评估", "Compliance evaluated"),
    "compliance.report.export": ("导出合规报告", "Compliance report exported"),
    "release.request": ("申请数据发布", "Release requested"),
    "release.produce": ("生成脱敏数据", "De-identified data produced"),
    "release.download": ("下载脱敏数据", "De-identified data downloaded"),
    "review.submit": ("提交审批", "Submitted for review"),
    "review.approve": ("审批同意", "Approved"),
    "review.reject": ("审批驳回", "Rejected"),
    "review.return": ("退回修改", "Returned for changes"),
    "review.withdraw": ("撤回申请", "Withdrawn"),
    "review.fulfil": ("申请办结", "Fulfilled"),
    "clock.open": ("开始计时（期限）", "Deadline started"),
    "clock.close": ("关闭期限", "Deadline closed"),
    "clock.remind": ("发出期限提醒", "Deadline reminder sent"),
    "clock.escalate": ("期限逾期升级", "Overdue deadline escalated"),
    "notify.contact": ("设置通知邮箱", "Notification address set"),
    "notify.read": ("标记消息已读/未读", "Messages marked read or unread"),
    "processing.purpose.activate": ("启用处理目的", "Purpose activated"),
    "processing.purpose.retire": ("停用处理目的", "Purpose retired"),
    "processing.rules.publish": ("发布收集使用规则", "Collection rules published"),
    "consent.grant": ("记录同意", "Consent recorded"),
    "consent.refuse": ("记录拒绝", "Refusal recorded"),
    "consent.withdraw": ("记录撤回同意", "Withdrawal recorded"),
    "consent.handover": ("年满十四周岁移交本人决定", "Decisions handed over at 14"),
    "consent.link.create": ("生成同意链接", "Consent link created"),
    "consent.link.refused": ("拒绝无效的同意链接", "Invalid consent link refused"),
    "retention.rule.save": ("登记保存期限规则", "Retention rule saved"),
    "retention.exempt": ("登记保存期限豁免", "Retention exemption recorded"),
    "retention.hold.place": ("设置保全", "Hold placed"),
    "retention.hold.release": ("解除保全", "Hold released"),
    "retention.credential": ("登记处置专用写入凭据", "Disposition write credential registered"),
    "retention.run.plan": ("计划数据处置（干运行）", "Disposition planned (dry run)"),
    "retention.run.start": ("开始执行数据处置", "Disposition started"),
    "retention.run.resume": ("续做中断的数据处置", "Disposition resumed"),
    "retention.run.complete": ("完成数据处置并出具证明", "Disposition completed and certified"),
    "retention.archive.read": ("查阅归档数据", "Archived rows read"),
}

# Deadline kinds (clocks.Clock.kind); each domain registers its own with register().
CLOCK_KINDS: Names = {
    "manual": ("人工登记的期限", "Deadline entered by hand"),
}

# The processing register (eduguard.processing.models): codes → names.
LEGAL_BASES: Names = {
    "consent": ("取得个人的同意", "Consent"),
    "contract": ("订立、履行合同或人力资源管理所必需", "Contract or HR management"),
    "statutory": ("履行法定职责或者法定义务所必需", "Statutory duty or obligation"),
    "emergency": ("应对突发公共卫生事件或紧急情况所必需", "Public-health emergency"),
    "news": ("为公共利益实施新闻报道、舆论监督", "News reporting in the public interest"),
    "published": ("处理已合法公开的个人信息", "Lawfully published information"),
    "other_law": ("法律、行政法规规定的其他情形", "Other cases laid down by law"),
}
NECESSITIES: Names = {
    "necessary": ("基本业务功能所必需", "Necessary for the basic service"),
    "optional": ("可选（可拒绝）", "Optional (may be refused)"),
}
PURPOSE_STATUSES: Names = {
    "draft": ("草稿（未启用）", "Draft"),
    "active": ("已启用", "Active"),
    "retired": ("已停用", "Retired"),
}
DISPOSALS: Names = {
    "delete": ("删除", "Delete"),
    "anonymise": ("匿名化处理", "Anonymise"),
    "archive": ("依法移交档案保管", "Transfer to the archives"),
}
RECIPIENT_KINDS: Names = {
    "third_party": ("第三方（接收方）", "Third party (recipient)"),
    "processor": ("受托处理者", "Entrusted processor"),
}
AUDIENCES: Names = {
    "general": ("收集使用规则", "Collection rules"),
    "children": ("儿童个人信息专门规则", "Rules for children under 14"),
}

AUDIT_RESULTS: Names = {
    "ok": ("成功", "Succeeded"),
    "denied": ("拒绝", "Denied"),
    "failed": ("失败", "Failed"),
}

# Access-policy actions (eduguard.access.policy.ACTIONS; a test keeps the codes equal).
PERMISSIONS: Names = {
    "public": ("公开访问", "Public"),
    "authenticated": ("已登录用户", "Any logged-in account"),
    "mfa:self": ("完成双因素认证", "Complete the second factor"),
    "unit:read": ("查看单位", "View units"),
    "unit:write": ("新建/编辑/归档单位", "Create, edit, archive units"),
    "system:read": ("查看信息系统", "View systems"),
    "system:write": ("登记/编辑/归档信息系统", "Register, edit, archive systems"),
    "agreement:read": ("查看第三方协议", "View agreements"),
    "agreement:write": ("登记/归档第三方协议", "Register, archive agreements"),
    "user:read": ("查看账户", "View accounts"),
    "user:manage": ("停用/启用账户", "Disable, enable accounts"),
    "user:credentials": (
        "创建账户、授予角色、重置密码与双因素（按三员分立规则）",
        "Create accounts, grant roles, reset passwords and second factors",
    ),
    "user:unlock": ("解除账户锁定", "Unlock accounts"),
    "catalog:read": ("查看数据资源目录", "View the data catalog"),
    "catalog:scan": ("扫描信息系统的数据", "Scan systems' data"),
    "catalog:review": ("审核分类分级", "Review classification"),
    "catalog:export": ("导出数据资源目录", "Export the data catalog"),
    "catalog:alert": ("处理数据资源目录告警（确认已知悉）", "Acknowledge catalog alerts"),
    "source:write": ("管理数据源（含访问凭据）", "Manage data sources"),
    "release:read": ("查看科研与统计数据发布申请", "View release requests"),
    "release:request": ("申请科研与统计数据发布", "Request releases"),
    "release:approve": ("审批科研与统计数据发布", "Approve releases"),
    "release:export": ("下载已批准发布的脱敏数据", "Download approved releases"),
    "audit:read": ("查阅审计日志", "Read the audit log"),
    "audit:export": ("导出审计日志", "Export the audit log"),
    "compliance:read": ("查看合规发现与整改任务", "View compliance findings"),
    "compliance:evaluate": ("执行合规评估", "Evaluate compliance"),
    "compliance:export": ("导出合规报告", "Export compliance reports"),
    "compliance:write": ("登记合规事实、处理整改任务", "Record facts, handle tasks"),
    "clock:read": ("查看法定期限", "View legal deadlines"),
    "clock:manage": ("开始/关闭法定期限", "Start and close legal deadlines"),
    "publish:check": ("公示前检查（上传待发布的文件）", "Check documents before posting"),
    "processing:read": ("查看处理活动记录", "View the processing register"),
    "processing:write": ("登记/编辑/启用处理目的", "Register, edit, activate purposes"),
    "processing:publish": ("发布收集使用规则", "Publish collection rules"),
    "consent:read": ("查看同意记录", "View consent records"),
    "consent:write": ("登记同意主体与监护人、录入同意/拒绝/撤回", "Record consent decisions"),
    "consent:check": ("查询处理是否有合法依据（同意闸门）", "Ask the consent gate"),
    "retention:read": ("查看保存期限规则与保全", "View retention rules and holds"),
    "retention:write": ("登记保存期限规则与豁免", "Record retention rules and exemptions"),
    "retention:hold": ("设置/解除保全", "Place and release holds"),
    "retention:approve": ("审批数据归档/销毁", "Approve dispositions"),
    "retention:archive": ("查阅归档数据（须说明理由，记入审计）", "Read archived rows (audited)"),
    "collection:read": ("查看数据收集审核", "View collection reviews"),
    "collection:request": ("申请数据收集审核（上传采集计划）", "Request collection reviews"),
    "collection:approve": ("审批数据收集审核", "Decide collection reviews"),
    "backup:read": ("查看备份策略与恢复演练", "View backup policies and recovery drills"),
    "backup:write": ("登记备份策略与恢复演练", "Record backup policies and recovery drills"),
    "sharing:read": (
        "查看共享属性、数据开放目录与数据共享责任清单",
        "View share attributes, the open-data catalog and the sharing responsibility list",
    ),
    "sharing:write": ("设置数据的共享属性与防护要求", "Set share attributes and protection"),
}

# The consent ledger (eduguard.consent.models): codes → names.
CONSENT_ACTIONS: Names = {
    "grant": ("同意", "Granted"),
    "refuse": ("拒绝", "Refused"),
    "withdraw": ("撤回同意", "Withdrawn"),
    "handover": ("年满十四周岁，移交本人决定", "Handed over at 14"),
}
CONSENT_STATES: Names = {
    "granted": ("已同意", "Consented"),
    "refused": ("已拒绝", "Refused"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "none": ("未作决定（不视为同意）", "No decision (not consent)"),
    "pending": ("尚有监护人未决定", "Guardians pending"),
    "handed_over": ("已满十四周岁，待本人决定", "14 or older: the person decides"),
}
CONSENT_GIVERS: Names = {
    "subject": ("本人", "The person"),
    "guardian": ("监护人", "Guardian"),
    "system": ("平台", "Platform"),
}
CONSENT_VERIFICATIONS: Names = {
    "signed_link": ("一次性签名链接", "One-time signed link"),
    "in_person": ("当面核验", "Verified in person"),
    "paper_form": ("纸质回执签名核对", "Signed paper slip"),
    "school_record": ("学籍登记信息核对", "School records"),
    "none": ("未核验", "Not verified"),
}
CONSENT_CHANNELS: Names = {
    "link": ("一次性链接", "One-time link"),
    "paper": ("纸质回执", "Paper slip"),
    "console": ("控制台录入", "Console"),
    "api": ("学校系统接口", "School system API"),
    "system": ("后台任务", "Background task"),
}
SUBJECT_KINDS: Names = {
    "student": ("学生", "Student"),
    "staff": ("教职工", "Staff"),
}
GUARDIAN_POLICIES: Names = {
    "any": ("任一监护人同意即可", "Any one guardian"),
    "all": ("须全部监护人同意", "All guardians"),
}

REVIEW_STATUSES: Names = {  # a catalog field's classification review
    "proposed": ("待审核", "To review"),
    "confirmed": ("已确认", "Confirmed"),
    "corrected": ("已更正", "Corrected"),
    "rereview": ("待复核", "To review again"),
}

RUN_STATUSES: Names = {
    "queued": ("排队中", "Queued"),
    "running": ("扫描中", "Running"),
    "succeeded": ("已完成", "Done"),
    "failed": ("失败", "Failed"),
    "cancelled": ("已取消", "Cancelled"),
}

SEVERITIES: Names = {
    "high": ("高", "High"),
    "medium": ("中", "Medium"),
    "low": ("低", "Low"),
}

UNIT_KINDS: Names = {
    "ministry": ("教育部", "Ministry"),
    "province": ("省级教育行政部门", "Provincial education department"),
    "city": ("市级教育行政部门", "City education bureau"),
    "county": ("县级教育行政部门", "County education bureau"),
    "school": ("学校", "School"),
    "university": ("高等学校", "University"),
    "affiliated": ("直属单位", "Affiliated body"),
}

SYSTEM_KINDS: Names = {
    "system": ("信息系统", "Information system"),
    "website": ("网站", "Website"),
    "app": ("App", "App"),
    "mini_program": ("小程序", "Mini program"),
}

# Compliance rule ids → titles: filled from the shipped rules file by whoever loads it
# (eduguard.compliance, through register()); unknown ids are shown as themselves.
RULES: Names = {}

REGISTRY: dict[str, Names] = {
    "pi_type": PI_TYPES,
    "level": LEVELS,
    "category": CATEGORIES,
    "role": ROLES,
    "object_type": OBJECT_TYPES,
    "audit_action": AUDIT_ACTIONS,
    "audit_result": AUDIT_RESULTS,
    "permission": PERMISSIONS,
    "review_status": REVIEW_STATUSES,
    "run_status": RUN_STATUSES,
    "severity": SEVERITIES,
    "unit_kind": UNIT_KINDS,
    "system_kind": SYSTEM_KINDS,
    "rule": RULES,
    "clock_kind": CLOCK_KINDS,
    "legal_basis": LEGAL_BASES,
    "necessity": NECESSITIES,
    "purpose_status": PURPOSE_STATUSES,
    "disposal": DISPOSALS,
    "recipient_kind": RECIPIENT_KINDS,
    "audience": AUDIENCES,
    "consent_action": CONSENT_ACTIONS,
    "consent_state": CONSENT_STATES,
    "consent_giver": CONSENT_GIVERS,
    "consent_verification": CONSENT_VERIFICATIONS,
    "consent_channel": CONSENT_CHANNELS,
    "subject_kind": SUBJECT_KINDS,
    "guardian_policy": GUARDIAN_POLICIES,
}


def register(kind: str, names: dict[str, tuple[str, str]]) -> None:
    """Add names of one kind (e.g. rule titles read from a rules file); later wins."""
    REGISTRY.setdefault(kind, {}).update(names)


def _code(value: object) -> str:
    raw = getattr(value, "value", value)  # enums
    return "" if raw is None else str(raw)


def _audit_action(code: str) -> tuple[str, str] | None:
    # "<object type>.<verb>" (unit.create, catalog.read …) is composed from its two parts.
    head, _, verb = code.rpartition(".")
    if head in OBJECT_TYPES and verb in _VERBS:
        zh_verb, en_verb = _VERBS[verb]
        zh_obj, en_obj = OBJECT_TYPES[head]
        return f"{zh_verb}{zh_obj}", f"{en_obj.capitalize()} {en_verb}"
    return None


def known(kind: str, value: object) -> bool:
    code = _code(value)
    return code in REGISTRY[kind] or (kind == "audit_action" and _audit_action(code) is not None)


def label(kind: str, value: object, lang: str = "zh") -> str:
    """The display name of ``value`` (a code or an enum) of ``kind``; the code if unknown."""
    code = _code(value)
    names = REGISTRY[kind].get(code)
    if names is None and kind == "audit_action":
        names = _audit_action(code)
    if names is None:
        return code
    return names[1] if lang == "en" else names[0]


def labels(kind: str, values: Iterable[object], lang: str = "zh", sep: str = "、") -> str:
    """Several codes joined for reading (``姓名、手机号``); "" for none."""
    return sep.join(label(kind, v, lang) for v in values)


def choices(kind: str, lang: str = "zh") -> list[tuple[str, str]]:
    """(code, name) pairs of a kind, in registry order: for a form's chooser."""
    return [
        (code, names[1] if lang == "en" else names[0]) for code, names in REGISTRY[kind].items()
    ]


# ---------------------------------------------------------------- time for people

DEFAULT_TIMEZONE = "Asia/Shanghai"  # EDUGUARD_TIMEZONE's default (eduguard.config)
TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_time(value: datetime, zone: str = DEFAULT_TIMEZONE) -> datetime:
    """``value`` in ``zone``; a naive datetime is UTC (what the database stores)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(zone))


def format_time(
    value: datetime | date | None, zone: str = DEFAULT_TIMEZONE, fmt: str = TIME_FORMAT
) -> str:
    """A datetime as people read it in ``zone`` (no offset shown); a date as itself; "—"."""
    if value is None:
        return "—"
    if not isinstance(value, datetime):
        return value.isoformat()
    return local_time(value, zone).strftime(fmt)
