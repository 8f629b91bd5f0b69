"""Console text: Simplified Chinese first, English on request (cookie ``lang``).

Templates write the Chinese text and call ``_("…")``; :data:`EN` holds the English.
"""

from __future__ import annotations

from collections.abc import Callable

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
    "数据保护": "Protection",
    "审计日志": "Audit log",
    "账户与权限": "Accounts & access",
    "审批": "Reviews",
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
}


def translator(language: str) -> Callable[[str], str]:
    if language == "en":
        return lambda text: EN.get(text, text)
    return lambda text: text
