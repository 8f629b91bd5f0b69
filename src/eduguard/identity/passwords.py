"""Password policy and hashing (argon2id via argon2-cffi).

A password is refused when it is shorter than 12 characters, contains the username, or is on a
known-breached list: zxcvbn's 30,000 most common passwords plus a list of passwords common in
Chinese breach corpora that ships in ``data/common_passwords_zh.txt``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from eduguard.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 256
_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    shipped = resources.files("eduguard.identity").joinpath("data/common_passwords_zh.txt")
    extra = [
        line.strip().lower()
        for line in shipped.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(extra)


def check_policy(username: str, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            "weak_password",
            f"密码至少 {MIN_LENGTH} 个字符",
            f"password must have at least {MIN_LENGTH} characters",
        )
    if len(password) > MAX_LENGTH:
        raise ValidationFailed("weak_password", f"密码不能超过 {MAX_LENGTH} 个字符")
    if username.strip() and username.strip().lower() in password.lower():
        raise ValidationFailed(
            "weak_password", "密码不能包含用户名", "password contains the username"
        )
    if password.lower() in common_passwords() or len(set(password)) < 4:
        raise ValidationFailed(
            "weak_password",
            "该密码在已泄露的常见密码列表中，请换一个",
            "this password is on a list of breached passwords",
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


# Verified against when the account does not exist, so both paths cost one argon2 verification.
DUMMY_HASH = hash_password("no-such-account: constant-time placeholder")
