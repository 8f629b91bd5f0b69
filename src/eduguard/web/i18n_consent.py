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
}
