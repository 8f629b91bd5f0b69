"""Password policy and hashing (argon2id via argon2-cffi).

A password is refused when it is shorter than 12 characters, contains the username, is on a
known-breached list (zxcvbn's 30,000 most common passwords plus a list of passwords common in
Chinese breach corpora that ships in ``data/common_passwords_zh.txt``), or is guessable: zxcvbn
(keyboard walks, sequences, repeats, dates, l33t-speak of dictionary words, with the username and
school words such as ``xuexiao`` or ``jiaoyu`` as extra dictionary) scores it below 3 of 4, or
its letters alone are such a common password or school word (``Summer2024!!``, ``Banji2024!!!``).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from eduguard.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline attacks"
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters are judged
# Words an attacker of a school platform tries first (zxcvbn user inputs).
EDUCATION_WORDS = (
    "eduguard",
    "edu",
    "jiaoyu",
    "jiaoyuju",
    "xuexiao",
    "xuesheng",
    "laoshi",
    "jiaoshi",
    "banji",
    "xiaozhang",
    "school",
    "student",
    "teacher",
    "class",
    "admin",
    "system",
)
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


def strength(username: str, password: str) -> int:
    """zxcvbn's score 0–4 of ``password`` (with the username and school words known)."""
    from zxcvbn import zxcvbn

    inputs = [username.strip().lower(), *EDUCATION_WORDS] if username.strip() else EDUCATION_WORDS
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=list(inputs))
    return int(result["score"])


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
    core = "".join(c for c in password.lower() if "a" <= c <= "z")
    if len(core) >= 4 and (core in common_passwords() or core in EDUCATION_WORDS):
        raise ValidationFailed(
            "weak_password",
            "密码由常见密码或学校相关词语加数字、符号组成（如 Summer2024!、Laoshi@888），"
            "很容易被猜中，请换一个",
            "a common word with digits or symbols around it",
        )
    score = strength(username, password)
    if score < MIN_SCORE:
        raise ValidationFailed(
            "weak_password",
            f"密码太容易被猜中（强度 {score}/4，至少需要 {MIN_SCORE}）：请避免常见密码、"
            "键盘连续键、字母或数字序列、重复字符、年份日期、学校相关词语及其字母替换（如 "
            "P@ssw0rd），建议用几个不相关的词加数字或符号组成较长的口令",
            f"password too guessable (zxcvbn score {score}/4, need {MIN_SCORE})",
            details={"score": score},
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
