"""The one place that decides access.

``user:credentials`` (create accounts, grant roles, reset passwords and second factors) is held
by the three administrators, and each act is further bound by the 三员分立 stewardship rule —
data in :data:`eduguard.identity.separation.STEWARDS` (re-exported here as ``ROLE_STEWARDS``):
the security administrator stewards the audit administrator and vice versa, the system
administrator every other role and never those two.

Every route declares an action (``eduguard.web.deps.permission``); :func:`decide` answers
allow/deny **with a reason**, which later goes into the audit event. Scope follows the unit
tree: a principal sees its own unit and the units below it (``Unit.path`` prefix).
"""

from __future__ import annotations

from dataclasses import dataclass

from eduguard import labels
from eduguard.identity.models import Role
from eduguard.identity.separation import STEWARDS

ROLE_STEWARDS = STEWARDS  # who grants the audit/security administrator roles, resets their keys

PUBLIC = "public"
AUTHENTICATED = "authenticated"  # any logged-in account (own profile, logout, home)
MFA_PENDING = "mfa:self"  # reachable after the password, before the second factor

ACTIONS: dict[str, str] = {
    PUBLIC: "公开访问",
    AUTHENTICATED: "已登录用户",
    MFA_PENDING: "完成双因素认证",
    "unit:read": "查看单位",
    "unit:write": "新建/编辑/归档单位",
    "system:read": "查看信息系统",
    "system:write": "登记/编辑/归档信息系统",
    "agreement:read": "查看第三方协议",
    "agreement:write": "登记/归档第三方协议",
    "user:read": "查看账户",
    "user:manage": "停用/启用账户",
    "user:credentials": "创建账户、授予角色、重置密码与双因素（按三员分立规则）",
    "user:unlock": "解除账户锁定",
    "catalog:read": "查看数据资源目录",
    "catalog:scan": "扫描信息系统的数据",
    "catalog:review": "审核分类分级",
    "catalog:export": "导出数据资源目录",
    "catalog:alert": "处理数据资源目录告警（确认已知悉）",
    "source:write": "管理数据源（含访问凭据）",
    "release:read": "查看科研与统计数据发布申请",
    "release:request": "申请科研与统计数据发布",
    "release:approve": "审批科研与统计数据发布",
    "release:export": "下载已批准发布的脱敏数据",
    "audit:read": "查阅审计日志",
    "audit:export": "导出审计日志",
    "compliance:read": "查看合规发现与整改任务",
    "compliance:evaluate": "执行合规评估",
    "compliance:export": "导出合规报告",
    "compliance:write": "登记合规事实、处理整改任务",
    "clock:read": "查看法定期限",
    "clock:manage": "开始/关闭法定期限",
    "publish:check": "公示前检查（上传待发布的文件）",
    "processing:read": "查看处理活动记录",
    "processing:write": "登记/编辑/启用处理目的",
    "processing:publish": "发布收集使用规则",
    "consent:read": "查看同意记录",
    "consent:write": "登记同意主体与监护人、录入同意/拒绝/撤回",
    "consent:check": "查询处理是否有合法依据（同意闸门）",
    "retention:read": "查看保存期限规则与保全",
    "retention:write": "登记保存期限规则与豁免",
    "retention:hold": "设置/解除保全",
    "retention:approve": "审批数据归档/销毁",
    "retention:archive": "查阅归档数据（须说明理由，记入审计）",
    "collection:read": "查看数据收集审核",
    "collection:request": "申请数据收集审核（上传采集计划）",
    "collection:approve": "审批数据收集审核",
    "backup:read": "查看备份策略与恢复演练",
    "backup:write": "登记备份策略与恢复演练",
    "sharing:read": "查看共享属性、数据开放目录与数据共享责任清单",
    "sharing:write": "设置数据的共享属性与防护要求",
}

READ_ORGS = frozenset({"unit:read", "system:read", "agreement:read"})
CATALOG_READ = frozenset({"catalog:read"})
COMPLIANCE_MANAGE = frozenset(
    {"compliance:read", "compliance:evaluate", "compliance:export", "compliance:write"}
)
CLOCKS = frozenset({"clock:read", "clock:manage"})  # deadlines (clocks/): who keeps them
# The register is kept by the data-owning department and the PI protection officer.
PROCESSING_MANAGE = frozenset({"processing:read", "processing:write", "processing:publish"})
# The consent ledger: kept by the same people; operators' systems ask the gate (consent:check).
CONSENT_MANAGE = frozenset({"consent:read", "consent:write", "consent:check"})
# Retention rules are kept by the data owners and PI officers; holds also by security (incidents).
RETENTION_MANAGE = frozenset({"retention:read", "retention:write", "retention:hold"})
# Collection reviews (notice item 4): requested by the operator or owner of a system, decided by
# the owner, the 网络安全职能部门 (security administrator) and the PI protection officer.
COLLECTION_REVIEW = frozenset({"collection:read", "collection:approve"})
# Backup policies and recovery drills (notice item 5): kept by whoever runs the systems (the
# system administrator) and their owners; read by security (incidents) and supervisors.
BACKUP_MANAGE = frozenset({"backup:read", "backup:write"})
# Share attributes (notice item 7: 数据主管单位明确共享属性和防护要求): set by the data owner;
# read by the PI officer, the 网络安全职能部门 (security administrator) and supervisors.
SHARING_MANAGE = frozenset({"sharing:read", "sharing:write"})

ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    Role.system_admin: READ_ORGS
    | CATALOG_READ
    | {"unit:write", "system:write", "agreement:write", "user:read", "user:manage", "user:unlock"}
    | {"user:credentials"}
    | {"source:write", "catalog:scan"}
    | {"compliance:read", "compliance:evaluate"}
    | BACKUP_MANAGE,
    Role.security_admin: READ_ORGS
    | CATALOG_READ
    | {"user:read", "user:unlock", "user:credentials", "catalog:alert"}
    | COMPLIANCE_MANAGE
    | CLOCKS
    | {"processing:read"}
    | {"retention:read", "retention:hold", "retention:approve"}
    | COLLECTION_REVIEW
    | {"backup:read"}
    | {"sharing:read"},
    # user:read and user:credentials: to steward the security administrator (三员分立)
    Role.audit_admin: frozenset({"audit:read", "audit:export", "user:read", "user:credentials"})
    | {"retention:archive"},
    Role.data_owner: READ_ORGS
    | CATALOG_READ
    | {"system:write", "agreement:write", "source:write", "catalog:scan", "catalog:review"}
    | {"catalog:export"}
    | {"release:read", "release:approve"}
    | COMPLIANCE_MANAGE
    | CLOCKS
    | PROCESSING_MANAGE
    | {"publish:check"}
    | CONSENT_MANAGE
    | RETENTION_MANAGE
    | {"retention:approve", "retention:archive"}
    | COLLECTION_REVIEW
    | {"collection:request"}
    | BACKUP_MANAGE
    | SHARING_MANAGE,
    Role.data_operator: READ_ORGS
    | CATALOG_READ
    | {"catalog:scan", "compliance:read", "clock:read", "processing:read"}
    | {"publish:check"}
    | {"consent:check"}
    | {"collection:read", "collection:request"},
    # the staff who post notices: a 公示 is checked by whoever is about to post it
    Role.data_user: frozenset({"unit:read", "system:read", "catalog:read"})
    | {"release:read", "release:request", "release:export"}
    | {"publish:check"},
    Role.pi_officer: READ_ORGS
    | CATALOG_READ
    | {"catalog:export"}
    | {"release:read", "release:approve"}
    | COMPLIANCE_MANAGE
    | CLOCKS
    | PROCESSING_MANAGE
    | {"publish:check"}
    | CONSENT_MANAGE
    | RETENTION_MANAGE
    | COLLECTION_REVIEW
    | {"sharing:read"},
    Role.supervisor: READ_ORGS
    | CATALOG_READ
    | {"catalog:export", "compliance:read", "compliance:export"}
    | {"release:read", "clock:read", "processing:read"}
    | {"retention:read"}
    | {"collection:read"}
    | {"backup:read"}
    | {"sharing:read"},
}

ROLE_LABELS: dict[Role, tuple[str, str]] = {role: labels.ROLES[role.value] for role in Role}


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account with its roles and the unit-tree path it belongs to."""

    user_id: int
    username: str
    roles: frozenset[Role]
    unit_path: str  # "/" for a platform-wide account
    unit_id: int | None = None
    token_scopes: frozenset[str] | None = None  # set when the caller is an API token

    @property
    def scope(self) -> str:
        return self.unit_path


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def decide(principal: Principal | None, action: str, unit_path: str | None = None) -> Decision:
    """Allow or deny ``action`` on a resource of the unit at ``unit_path`` (None: no unit)."""
    if action not in ACTIONS:
        return Decision(False, f"未定义的操作 {action}")
    if action == PUBLIC:
        return Decision(True, "公开页面")
    if principal is None:
        return Decision(False, "未登录")
    if action in (AUTHENTICATED, MFA_PENDING):
        return Decision(True, "已登录")
    if principal.token_scopes is not None and action not in principal.token_scopes:
        return Decision(False, f"API 令牌未被授予“{ACTIONS[action]}”权限")
    granting = sorted(role for role in principal.roles if action in ROLE_ACTIONS[role])
    if not granting:
        held = "、".join(ROLE_LABELS[r][0] for r in sorted(principal.roles)) or "无角色"
        return Decision(False, f"角色（{held}）无“{ACTIONS[action]}”权限")
    if unit_path is not None and not unit_path.startswith(principal.unit_path):
        return Decision(False, "资源不在本单位及下级单位范围内")
    label = ROLE_LABELS[granting[0]][0]
    return Decision(True, f"{label}在本单位范围内可{ACTIONS[action]}")


def actions_of(roles: frozenset[Role]) -> frozenset[str]:
    """Every action the roles grant (what an API token of that account may be scoped to)."""
    return frozenset().union(*(ROLE_ACTIONS[role] for role in roles)) if roles else frozenset()
