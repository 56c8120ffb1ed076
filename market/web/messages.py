"""Service messages in the page's language.

Services raise precise English reasons ("must be at least 10 characters", "check character
should be 'X', got 'Y'"); they know nothing of pages or languages. A page shows a reason
through :func:`reason`: the reason itself when it is a message id of the catalogues, else the
first pattern below that matches it, with its numbers and characters carried over, else the
reason as it is (English; a test lists the pages that must never show one in Chinese).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from market.web.i18n import gettext

#: (pattern of a service's English reason, message id with the pattern's named groups).
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"must be at least (?P<n>\d+) characters"), "must be at least %(n)s characters"),
    (re.compile(r"must be at most (?P<n>\d+) characters"), "must be at most %(n)s characters"),
    (re.compile(r"must be (?P<n>\d+) characters"), "must be %(n)s characters"),
    (
        re.compile(r"check character should be '(?P<want>.)', got '(?P<got>.)'"),
        "check character should be '%(want)s', got '%(got)s'",
    ),
    (
        re.compile(r"character '(?P<ch>.+)' at position (?P<pos>\d+) is not allowed"),
        "character '%(ch)s' at position %(pos)s is not allowed",
    ),
    (
        re.compile(
            r"(?P<value>\S+) is (?:below|above) the valid range (?P<min>[^–]*)–(?P<max>\S*) ?(?P<unit>.*)"
        ),
        "%(value)s is outside the valid range %(min)s–%(max)s %(unit)s",
    ),
    (re.compile(r"unknown district "), "unknown district; choose one of the list"),
    (re.compile(r"unknown coordinate system "), "unknown coordinate system"),
    (
        re.compile(r"(?P<f>lat|lon) must be between (?P<lo>[-\d.]+) and (?P<hi>[-\d.]+)"),
        "must be between %(lo)s and %(hi)s",
    ),
    (re.compile(r"(?:lat|lon) must be a (?:finite )?number"), "enter a number"),
    (re.compile(r"a user with e-mail .* already exists"), "already registered"),
    (re.compile(r".* is already a member$"), "already a member"),
    (
        re.compile(r"an organisation with 统一社会信用代码 .* is already registered"),
        "an organisation with this registration code is already registered",
    ),
]


def reason(text: str) -> str:
    """``text`` (a service's English reason) in the current language."""
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, msgid in PATTERNS:
        match = pattern.search(text)
        if match:
            return gettext(msgid) % match.groupdict()
    return text


def reasons(texts: Iterable[str]) -> list[str]:
    return [reason(t) for t in texts]
