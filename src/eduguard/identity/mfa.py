"""TOTP multi-factor authentication (RFC 6238 via pyotp); the enrolment QR code is drawn by
``eduguard.web.render.qr_svg``.

The shared secret is a sealed column (SM4-GCM with a data key under the master key, which is kept
outside the database; see eduguard.db.sealed); a code is accepted once only (the last used time
step is remembered).
"""

from __future__ import annotations

import time

import pyotp

from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.identity.models import Role, User

ISSUER = "eduguard"
MFA_REQUIRED_ROLES = frozenset(
    {Role.system_admin, Role.security_admin, Role.audit_admin, Role.pi_officer}
)
BAD_CODE = ValidationFailed("bad_totp", "动态验证码错误或已使用", "wrong or reused one-time code")


def required_for(user: User) -> bool:
    return bool(user.role_set & MFA_REQUIRED_ROLES)


def enrolled(user: User) -> bool:
    return user.totp_confirmed_at is not None and user.totp_secret is not None


def begin_enrolment(user: User) -> str:
    """The secret being enrolled (unconfirmed until a code from it is verified); returns the
    otpauth URI. A pending secret is kept, so a second tab or a reload shows the same QR code
    as the first and the code from an app that scanned either is accepted."""
    if user.totp_secret is None or user.totp_confirmed_at is not None:
        user.totp_secret = pyotp.random_base32()
        user.totp_confirmed_at = None
        user.totp_last_step = None
    return provisioning_uri(user)


def manual_key(user: User) -> str:
    """The secret as people type it into an authenticator app: groups of four letters."""
    if user.totp_secret is None:
        raise ValidationFailed("mfa_not_started", "尚未开始绑定动态验证码")
    secret = user.totp_secret
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User) -> str:
    if user.totp_secret is None:
        raise ValidationFailed("mfa_not_started", "尚未开始绑定动态验证码")
    secret = user.totp_secret
    return str(pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER))


def _accept(user: User, code: str, now: float | None = None) -> None:
    if user.totp_secret is None or not code.strip().isdigit():
        raise BAD_CODE
    totp = pyotp.TOTP(user.totp_secret)
    moment = time.time() if now is None else now
    current = int(moment // totp.interval)
    for step in (current - 1, current, current + 1):  # one step of clock drift either way
        if step > (user.totp_last_step or -1) and totp.generate_otp(step) == code.strip():
            user.totp_last_step = step
            return
    raise BAD_CODE


def confirm_enrolment(user: User, code: str, now: float | None = None) -> None:
    _accept(user, code, now)
    user.totp_confirmed_at = utcnow()


def verify(user: User, code: str, now: float | None = None) -> None:
    if not enrolled(user):
        raise BAD_CODE
    _accept(user, code, now)


def reset(user: User) -> None:
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
