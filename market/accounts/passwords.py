"""The password policy: long enough, not a well-known password, not the e-mail.

Length is what makes a password hard to guess; the common-password list
(``market/data/common_passwords.txt``) catches the long ones every attacker tries first
("1234567890", "password123", "woaini1314"). No rules about digits and symbols: they push
people towards "Password1!" and add nothing a longer password does not.
"""

from __future__ import annotations

from functools import cache

from market.core.datafiles import DATA_DIR
from market.core.errors import Invalid

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased; lines starting with ``#`` are comments."""
    text = (DATA_DIR / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def password_problem(password: str, email: str) -> str | None:
    """Why ``password`` is refused for the account ``email``, or None if it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return "is one of the most common passwords; choose another"
    email = email.strip().lower()
    if lowered == email or lowered == email.partition("@")[0]:
        return "must not be the e-mail address"
    return None


def check_password(password: str, email: str, field: str = "password") -> None:
    """Raise Invalid (422 naming ``field``) unless the password meets the policy."""
    problem = password_problem(password, email)
    if problem is not None:
        raise Invalid(field, problem)
