"""The bundling linter (issue #18 part 8): what refuses publishing the collection rules, each
finding with the clause it rests on.

It reads the structured rules (:class:`notice.RulesInput`), never the wording. What a system's
register can get wrong is checked here; what the console's consent page could get wrong — a
pre-selected answer, a sensitive purpose folded into another purpose's choice — cannot be
configured in eduguard (the page renders one unanswered choice per consent-based purpose,
pinned by tests/processing/test_lint.py); asking again after a refusal is refused where links
are made (:func:`eduguard.consent.collect.create_link`, the cool-down).
"""

from __future__ import annotations

from dataclasses import dataclass

from eduguard.processing import notice
from eduguard.processing.models import Audience, LegalBasis, Necessity, RecipientKind


@dataclass(frozen=True)
class Finding:
    code: str
    clause: str
    zh: str
    en: str
    purpose: str | None = None

    @property
    def text(self) -> str:
        return f"{self.zh}（{self.clause}）"


def _purpose_findings(purpose: notice.PurposeInput) -> list[Finding]:
    found: list[Finding] = []
    name = purpose.name
    if not purpose.retention_period.strip():
        found.append(
            Finding(
                "retention_missing",
                "网络数据安全管理条例 第二十一条第一款第（三）项",
                f"处理目的“{name}”未登记保存期限",
                f"purpose {name!r} states no retention period",
                name,
            )
        )
    if purpose.legal_basis == LegalBasis.consent and purpose.necessity == Necessity.necessary:
        found.append(
            Finding(
                "consent_marked_necessary",
                "个人信息保护法 第十六条；网络数据安全管理条例 第二十二条第一款第（一）项",
                f"处理目的“{name}”以同意为依据却标为“基本业务功能所必需”：拒绝同意就不能使用"
                "基本服务，即捆绑同意。确为提供服务所必需的，请改用第十三条第一款第（二）或"
                "（三）项依据；否则请标为“可选”",
                f"purpose {name!r} rests on consent but is marked necessary for the basic service "
                "(bundled consent)",
                name,
            )
        )
    # A consent-based sensitive purpose is asked as its own choice, which must state necessity
    # and impact; for the other bases the compliance rule N11-SENSITIVE-NECESSITY reports it.
    sensitive = any(item.sensitive or item.minors for item in purpose.items)
    consent = purpose.legal_basis == LegalBasis.consent
    if consent and sensitive and not purpose.sensitive_necessity.strip():
        found.append(
            Finding(
                "sensitive_necessity_missing",
                "个人信息保护法 第二十九条、第三十条；网络数据安全管理条例 第二十一条第一款第（二）项",
                f"处理目的“{name}”处理敏感个人信息，未说明其必要性及对个人权益的影响，"
                "无法单独告知、单独同意",
                f"purpose {name!r} processes sensitive information without stating its necessity "
                "and impact",
                name,
            )
        )
    for recipient in purpose.recipients:
        missing = [
            label
            for label, value in (("联系方式", recipient.contact), ("处理目的和方式", recipient.use))
            if not value.strip()
        ]
        if recipient.kind == RecipientKind.third_party and missing:
            found.append(
                Finding(
                    "recipient_incomplete",
                    "个人信息保护法 第二十三条；网络数据安全管理条例 第二十一条第二款",
                    f"处理目的“{name}”的接收方“{recipient.name}”未登记{'、'.join(missing)}",
                    f"recipient {recipient.name!r} of purpose {name!r} lacks a contact or its use",
                    name,
                )
            )
    return found


def lint(rules: notice.RulesInput, *, children_data: bool) -> list[Finding]:
    """Every reason the rules may not be published now (empty: publishable).
    ``children_data``: the system's catalog holds information of children under 14."""
    found: list[Finding] = []
    if not rules.purposes:
        found.append(
            Finding(
                "no_purposes",
                "个人信息保护法 第十七条第一款",
                "没有已启用的处理目的",
                "no active processing purpose",
            )
        )
    if not rules.contact.strip():
        found.append(
            Finding(
                "contact_missing",
                "网络数据安全管理条例 第二十一条第一款第（一）项",
                "未登记个人信息保护联系方式",
                "no contact for personal-information protection",
            )
        )
    consent_based = [p for p in rules.purposes if p.legal_basis == LegalBasis.consent]
    if consent_based and not rules.rights_channel.strip():
        found.append(
            Finding(
                "withdrawal_path_missing",
                "个人信息保护法 第十五条第一款；网络数据安全管理条例 第二十一条第一款第（四）项",
                "有以同意为依据的处理目的（"
                + "、".join(p.name for p in consent_based)
                + "），但未登记撤回同意和行使权利的方式",
                "consent-based purposes but no stated way to withdraw consent",
            )
        )
    for purpose in rules.purposes:
        found.extend(_purpose_findings(purpose))
    if children_data and not notice.render(rules, Audience.children)["purposes"]:
        found.append(
            Finding(
                "children_rules_empty",
                "个人信息保护法 第三十一条第二款；网络数据安全管理条例 第二十一条第二款",
                "目录中有不满十四周岁未成年人的数据，但没有一个已启用的处理目的使用标为"
                "“未成年人”的字段，儿童个人信息专门规则将是空的：请在处理目的中关联这些字段，"
                "或在目录中更正标记",
                "the catalog holds children's data but no active purpose uses a field flagged "
                "minors, so the children's rules would be empty",
            )
        )
    return found
