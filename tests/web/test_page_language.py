"""The page language: Chinese by default, English by cookie or Accept-Language."""

from __future__ import annotations

import pytest

from market.web.i18n import catalogue, gettext, negotiate, set_locale


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "zh"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR,en;q=0.5,zh;q=0.8", "zh"),
        ("en", "zh-CN", "en"),
        ("xx", "en", "en"),
        (None, "de, fr;q=x", "zh"),
    ],
)
def test_the_language_is_negotiated(cookie: str | None, accept: str | None, expected: str) -> None:
    assert negotiate(cookie, accept) == expected


def test_messages_are_english_ids_with_chinese_translations() -> None:
    assert catalogue("zh")["Skip to content"] == "跳到正文"
    set_locale("en")
    assert gettext("Skip to content") == "Skip to content"
    set_locale("zh")
    assert gettext("Skip to content") == "跳到正文"
