"""English for the processing register's pages and the public collection rules (issue #18);
merged into :data:`eduguard.web.i18n.EN` (kept apart so that module stays readable)."""

from __future__ import annotations

EN_PROCESSING: dict[str, str] = {
    "暂无信息系统": "No information systems yet",
    "每个信息系统的处理目的、法律依据（《个人信息保护法》第十三条）、使用的数据项、保存期限与接收方；由此生成并公开收集使用规则。": (
        "Each information system's purposes, legal bases (PIPL Art. 13), data items used, "
        "retention periods and recipients; the published collection rules are generated "
        "from them."
    ),
    "第 %d 版": "Version %d",
    "草稿": "Draft",
    "使用的数据项（数据资源目录）": "Data items used (data resource catalog)",
    "依据说明（所依据的法律、行政法规或合同）": (
        "Basis in detail (the law, regulation or contract relied on)"
    ),
    "儿童": "Children",
    "利用个人信息进行自动化决策": "Automated decisions using personal information",
    "处理目的与方式": "Purpose and method of processing",
    "接收方名称": "Recipient",
    "接收方（第三方或受托处理者）": "Recipients (third parties or entrusted processors)",
    "收集方式": "How it is collected",
    "敏感个人信息的必要性及对个人权益的影响": (
        "Why sensitive personal information is necessary and its effect on the people concerned"
    ),
    "本系统的数据资源目录中尚无数据项（先扫描数据源）": (
        "This system's catalog has no data items yet (scan a data source first)"
    ),
    "法律依据（《个人信息保护法》第十三条第一款）": "Legal basis (PIPL Art. 13 ¶1)",
    "联系方式": "Contact",
    "说明": "Notes",
    "（无协议）": "(no agreement)",
    "（未选择：不能启用）": "(none chosen: cannot be activated)",
    "一致": "Intact",
    "不一致（内容可能被篡改）": "Mismatch (the content may have been altered)",
    "个人信息保护联系方式（部门、电话或邮箱，公开展示）": (
        "Personal-information contact (department, phone or e-mail; shown publicly)"
    ),
    "个人行使权利的方式和途径": "How people exercise their rights",
    "到期后": "After the period",
    "协议": "Agreement",
    "发布人": "Published by",
    "发布时间": "Published at",
    "本系统的数据资源目录含不满十四周岁未成年人的个人信息：发布时将同时发布儿童个人信息专门规则（《个人信息保护法》第三十一条第二款）。": (
        "This system's catalog holds personal information of children under 14: separate "
        "rules for children's personal information are published with it (PIPL Art. 31 ¶2)."
    ),
    "校验": "Digest check",
    "版本": "Version",
    "预览儿童个人信息专门规则": "Preview the rules for children",
    "（现行）": "(current)",
    "不向第三方提供，也不委托他人处理。": (
        "Not provided to third parties and not entrusted to others."
    ),
    "个人信息处理者": "Personal information processor",
    "个人信息种类": "Categories of personal information",
    "发布于": "Published",
    "受托运营": "Entrusted operation",
    "必要性及对个人权益的影响": "Necessity and effect on the people concerned",
    "您可以拒绝，拒绝不影响基本服务。": (
        "You may refuse; refusing does not affect the basic service."
    ),
    "敏感个人信息": "Sensitive personal information",
    "现行": "Current",
    "种类": "Categories",
    "预览：按当前登记生成，尚未发布。": (
        "Preview: generated from the current register, not yet published."
    ),
}
