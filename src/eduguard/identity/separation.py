"""三员分立 against the administrators' own powers: who stewards which role.

The steward of a role may grant it, revoke it, and reset the credentials (password, second
factor) of an account that holds it. The rule is data — :data:`STEWARDS` — so it can be read,
reviewed and tested on its own:

- the security administrator stewards the audit administrator, and the audit administrator the
  security administrator;
- the system administrator stewards every other role (their own included), and never either of
  those two.

An account is stewarded by whoever stewards **every** role it holds (an account without roles:
the system administrator). Changing an account's roles needs the stewardship of the account as
it is and of every role it is left with, so nobody prepares an account (knowing its password)
for someone else to promote, yet a steward may revoke the role it stewards. The shell CLI (an operator holding the server's keys) is not bound by
the rule — it is the recovery path when every web administrator is locked out — but each of its
acts is audited and shown to the affected administrator like any other (see identity.flows).
"""

from __future__ import annotations

from collections.abc import Iterable

from eduguard.identity.models import Role

# role -> the roles whose holders steward it (grant, revoke, reset credentials)
STEWARDS: dict[Role, frozenset[Role]] = {
    Role.audit_admin: frozenset({Role.security_admin}),
    Role.security_admin: frozenset({Role.audit_admin}),
}
DEFAULT_STEWARDS = frozenset({Role.system_admin})
# Acts on an account holding one of these roles are shown to it after its next login.
NOTIFIED_ROLES = frozenset({Role.system_admin, Role.security_admin, Role.audit_admin})


def stewards_of(role: Role) -> frozenset[Role]:
    return STEWARDS.get(role, DEFAULT_STEWARDS)


def account_stewards(roles: Iterable[Role]) -> frozenset[Role]:
    """The roles that steward an account holding ``roles`` (all of them at once)."""
    held = frozenset(roles)
    if not held:
        return DEFAULT_STEWARDS
    return frozenset.intersection(*(stewards_of(role) for role in held))


def may_steward(caller_roles: Iterable[Role], roles: Iterable[Role]) -> bool:
    """Whether a holder of ``caller_roles`` stewards an account holding ``roles``."""
    return bool(frozenset(caller_roles) & account_stewards(roles))
