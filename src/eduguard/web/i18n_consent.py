"""English for the consent ledger's pages and the public consent page (issue #18); merged into
:data:`eduguard.web.i18n.EN` (kept apart so that module stays readable)."""

from __future__ import annotations

EN_CONSENT: dict[str, str] = {
    "同意记录": "Consent records",
    "以同意为法律依据的处理目的，每位学生或教职工的同意、拒绝与撤回都记入只能追加的哈希链账本。学校编号（学籍号、工号）只保存其密钥哈希，不保存原文。": (
        "For purposes that rest on consent, every student's or staff member's consent, "
        "refusal and withdrawal goes into an append-only hash-chained ledger. The school's "
        "ids (student or staff numbers) are kept only as keyed hashes, never as written."
    ),
    "出生日期（未满十四周岁由监护人决定）": "Birth date (under 14: the guardian decides)",
    "哈希链不符": "Hash chain broken",
    "学校编号（学籍号或工号，只保存其密钥哈希）": (
        "School id (student or staff number; only its keyed hash is kept)"
    ),
    "完整": "Intact",
    "尚未登记同意主体": "No subjects registered yet",
    "显示名": "Display name",
    "显示名（加密保存，可不填）": "Display name (stored encrypted; optional)",
    "未满十四周岁": "Under 14",
    "登记": "Register",
    "登记同意主体": "Register a subject",
    "监护人": "Guardian",
    "监护人同意规则": "Guardians' consent rule",
    "编号": "No.",
    "账本": "Ledger",
    "作出决定的人": "Decided by",
    "关系": "Relation",
    "只记录本人（或不满十四周岁者的监护人）明确作出的决定；未作回应不是同意。撤回只对此后的处理生效。": (
        "Record only a decision the person (or the guardian of a child under 14) actually "
        "made; no answer is not consent. A withdrawal takes effect for processing after it."
    ),
    "同意主体": "Subject",
    "哈希": "Hash",
    "密钥哈希": "Keyed hash",
    "导出同意回执（ISO/IEC TS 27560 JSON）": "Export consent receipts (ISO/IEC TS 27560 JSON)",
    "年满十四周岁之日": "Turns 14 on",
    "当前状态": "Current state",
    "录入决定": "Record a decision",
    "是（处理目的已实质变更）": "Yes (the purpose changed materially)",
    "未满十四周岁：由监护人决定": "Under 14: the guardian decides",
    "未登记监护人": "No guardian registered",
    "核验方式": "Verification",
    "没有以同意为依据的已启用处理目的": "No active purpose rests on consent",
    "渠道": "Channel",
    "父亲、母亲或其他监护人": "Father, mother or other guardian",
    "登记监护人": "Register a guardian",
    "监护人编号（如学籍登记的家长编号，只保存其密钥哈希）": (
        "Guardian id (e.g. the parent number in school records; only its keyed hash is kept)"
    ),
    "自": "Since",
    "记入账本": "Record in the ledger",
    "账本哈希链不符，可能已被篡改": "The ledger's hash chain is broken: it may have been altered",
    "账本哈希链完整": "The ledger's hash chain is intact",
    "账本（最新在前）": "Ledger (newest first)",
    "需重新同意": "Re-consent needed",
    "我不同意": "I do not agree",
    "我同意": "I agree",
    "个人信息处理的同意": "Consent to processing of personal information",
    "保持同意": "Keep my consent",
    "您已明确表示不同意。%s 之前学校不会就此再次征求您的同意（网络数据安全管理条例 第二十二条第一款第（五）项）；如改变主意，可使用您提交后获得的更改链接。": (
        "You clearly refused. The school will not ask you about this again before %s (Network "
        "Data Security Regulation Art. 22(1)(5)); if you change your mind, use the change link "
        "you were given after submitting."
    ),
    "处理目的已实质变更，需要重新选择": "The purpose changed materially: please choose again",
    "学校请您对下列可选的个人信息处理分别作出选择。每一项都可以同意或不同意，不同意不影响基本服务（学籍、教学等依法进行的处理无需您同意）。不作选择不视为同意。": (
        "The school asks you to choose, one by one, about the optional processing below. You "
        "may agree or not to each; not agreeing does not affect the basic service (processing "
        "required by law, such as school records and teaching, needs no consent). Making no "
        "choice is not consent."
    ),
    "已记录您的 %d 项选择。": "%d choices recorded.",
    "您可以随时撤回同意，撤回不影响撤回前基于同意已进行的处理。请保存下面的撤回链接（只能使用一次，有效期三年）：": (
        "You may withdraw consent at any time; withdrawal does not affect processing done "
        "before it. Keep the withdrawal link below (usable once, valid three years):"
    ),
    "提交我的选择": "Submit my choices",
    "撤回同意": "Withdraw consent",
    "撤回或更改我的选择": "Withdraw or change my choices",
    "本链接发给学生的监护人：请您代不满十四周岁的子女作出决定。": (
        "This link is for the student's guardian: please decide for your child under 14."
    ),
    "没有需要您选择的处理目的": "Nothing to choose",
    "涉及敏感个人信息，单独征求同意": "Sensitive personal information: asked separately",
    "信息系统编号": "System no.",
    "发给": "For",
    "新链接": "New link",
    "有效天数": "Valid for (days)",
    "有效至": "Valid until",
    "生成一次性同意链接": "Make a one-time consent link",
    "生成链接": "Make link",
    "链接只显示这一次：请通过电子邮件发送或打印成二维码回执。链接只能提交一次，过期失效。": (
        "The link is shown only now: e-mail it or print it as a QR slip. It can be submitted "
        "once and expires."
    ),
    "以同意为依据的处理目的：同意台账": "Purposes based on consent: the consent ledger",
    "按平台的同意闸口逐人判断：未同意、已拒绝或已撤回的人，不得为该目的处理其个人信息；实质变更后须重新取得同意（个人信息保护法 第十四条第二款）。": (
        "Counted as the platform's consent gate answers, person by person: people who have not "
        "consented, or who refused or withdrew, may not be processed for the purpose; after a "
        "material change consent must be obtained again (PIPL Art. 14 ¶2)."
    ),
    "登记人数": "Registered",
    "有效同意": "Valid consent",
    "拒绝/撤回": "Refused/withdrawn",
    "未决定": "Undecided",
    "覆盖率": "Coverage",
    "台账记录被改动": "ledger rows changed",
    "统计时间": "Counted",
    "导入名册": "Import a roster",
    "名册文件": "Roster file",
    "导入": "Import",
    "学籍导出的 .xlsx 或 .csv（UTF-8 或 GBK），首行为标题：“学籍号”（或学号、工号）必填，可选“出生日期”“显示名”“监护人规则”（任一/全部）“监护人编号”“监护人关系”“监护人显示名”；同一学籍号的下一行登记另一位监护人。已登记的不变，重复导入不会重复登记；任何一行有误则整份名册都不导入，并指出行号。": (
        "A student-register export (.xlsx or .csv, UTF-8 or GBK), headers in the first row: "
        "学籍号 (or 学号, 工号) required; optional 出生日期, 显示名, 监护人规则 (任一/全部), 监护人编号, "
        "监护人关系, 监护人显示名; a repeated 学籍号 adds another guardian. Registered people stay "
        "as they are and a second import registers nothing twice; one bad row and nothing in the "
        "file is imported, with its row number."
    ),
    "刚刚": "just now",
    "之后台账有新记录，后台每 10 分钟重新统计": (
        "the ledger has new rows since; the worker counts again every 10 minutes"
    ),
    "登记人数较多，尚未统计：后台任务每 10 分钟统计一次，统计后显示": (
        "many people registered and not counted yet: the worker counts every 10 minutes"
    ),
    "个人信息处理同意确认单": "Consent slip for the processing of personal information",
    "致": "To",
    "以下处理目的须经您同意；不同意其中任何一项，不影响其他服务：": (
        "These purposes need your consent; refusing any of them does not affect other services:"
    ),
    "请用手机扫描二维码，阅读收集使用规则后逐项选择。链接只能提交一次。": (
        "Scan the QR code with a phone, read the collection rules, then choose purpose by "
        "purpose. The link can be submitted once."
    ),
    "用浏览器的“打印”只打印上面的确认单（其余内容不打印）。": (
        "The browser's Print prints only the slip above (nothing else on the page)."
    ),
    "学生": "Student",
    "本人": "The person",
}
