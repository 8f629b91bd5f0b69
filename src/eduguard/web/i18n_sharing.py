"""English for the sharing pages and the public open-data catalog (issue #21 part 1); merged
into :data:`eduguard.web.i18n.EN`."""

from __future__ import annotations

EN_SHARING: dict[str, str] = {
    "数据共享": "Data sharing",
    "数据主管单位为数据资源目录中的每个数据集和数据项明确共享属性（无条件共享、有条件共享、不予共享）和防护要求；数据开放目录和数据共享责任清单由此生成。含敏感个人信息或儿童个人信息的数据项不得无条件共享。": (
        "The data-owning unit sets a share attribute (unconditional, conditional, not shared) "
        "and protection requirements for every dataset and field of the data catalog; the "
        "open-data catalog and the sharing responsibility list are generated from them. Fields "
        "holding sensitive or children's personal information are never shared unconditionally."
    ),
    "导出数据开放目录（Excel）": "Export the open-data catalog (Excel)",
    "导出数据共享责任清单（Excel）": "Export the sharing responsibility list (Excel)",
    "公开的数据开放目录页面": "Public open-data catalog page",
    "无条件共享的数据集": "Datasets shared unconditionally",
    "尚未设置共享属性的数据集": "Datasets without a share attribute",
    "共享属性": "Share attribute",
    "共享条件": "Conditions",
    "最后设置人": "Last set by",
    "未设置": "Not set",
    "其他防护要求": "Other protection requirements",
    "责任人/责任部门": "Responsible person or department",
    "永不共享的数据项": "Fields never shared",
    "永不共享": "Never shared",
    "保存共享属性": "Save share attribute",
    "数据项的共享属性不得比所属数据集更开放；含敏感个人信息或儿童个人信息的数据项不得无条件共享（《通知》重点任务第7项、《个人信息保护法》第二十三条）。": (
        "A field is never more open than its dataset; fields holding sensitive or children's "
        "personal information are never shared unconditionally (notice item 7, PIPL Art. 23)."
    ),
    "敏感/儿童": "Sensitive / children",
    "脱敏要求": "Masking requirement",
    "设置": "Set",
    "随数据集": "from the dataset",
    "请先设置数据集的共享属性": "Set the dataset's attribute first",
    "数据开放目录": "Open-data catalog",
    "以下数据由本单位标为无条件共享；目录只列名称、说明与级别，不含任何数据值。依据《教育部等七部门关于加强教育系统数据安全工作的通知》重点任务第7项。": (
        "The unit shares the data below unconditionally; the catalog lists names, descriptions "
        "and levels only, never values (notice 教科信函〔2021〕20号, item 7)."
    ),
    "暂无开放数据。": "No open data.",
}
