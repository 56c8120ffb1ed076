"""Page language: Chinese by default, English on request, through gettext catalogues.

Message ids are the English text; ``market/web/locale/zh/*.po`` holds the Chinese. Every
``.po`` file in a language's folder is merged at start-up, so each domain keeps its own
catalogue (``offers.po``, ``trading.po``, ``ledger.po`` …) and no two pages fight over one
file. English needs no catalogue: a message id is its own English.

The language of a request is chosen once, by :class:`LocaleMiddleware`: the ``lang`` cookie
(set by the language switch) first, then ``Accept-Language``, then Chinese. It is kept in a
context variable so templates (``_``), Python labels and error pages all read the same one
without passing the request around.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from litestar.datastructures import Cookie
from litestar.types import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LOCALES: tuple[str, ...] = ("zh", "en")
DEFAULT_LOCALE = "zh"
COOKIE = "lang"

_current: ContextVar[str] = ContextVar("market_locale", default=DEFAULT_LOCALE)


@cache
def catalogue(locale: str) -> dict[str, str]:
    """msgid → translation for ``locale``, merged from its ``*.po`` files (fuzzy and empty skipped)."""
    merged: dict[str, str] = {}
    folder = LOCALE_DIR / locale
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale.replace("zh", "zh_Hans_CN")):
                if message.id and message.string and not message.fuzzy:
                    msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
                    text = message.string
                    merged[str(msgid)] = str(text[0] if isinstance(text, (tuple, list)) else text)
    return merged


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    """Fix the language for the rest of this task (the middleware, tests, the CLI)."""
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def gettext(message: str) -> str:
    """``message`` in the current language; English (the id itself) when no translation exists."""
    locale = _current.get()
    if locale == "en":
        return message
    return catalogue(locale).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if _current.get() == "en":
        return singular if n == 1 else plural
    return catalogue(_current.get()).get(singular, singular)


_ = gettext


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The cookie if it names a language we have, else the best ``Accept-Language`` match, else zh."""
    if cookie in LOCALES:
        return cookie
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _sep, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.split("-")[0]
        if primary in LOCALES and q > 0 and (best is None or q > best[0]):
            best = (q, primary)
    return best[1] if best else DEFAULT_LOCALE


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    for part in (raw or "").split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class LocaleMiddleware:
    """Choose the request's language before the handler runs (and so before its page renders)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            set_locale(negotiate(_cookie(scope, COOKIE), _header(scope, b"accept-language")))
        await self.app(scope, receive, send)


def language_cookie(locale: str, *, secure: bool) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=locale if locale in LOCALES else DEFAULT_LOCALE,
        max_age=365 * 86400,
        samesite="lax",
        secure=secure,
        httponly=False,
    )


def install(env: Any) -> None:
    """``_``/``gettext``/``ngettext`` and ``{% trans %}`` in the templates, plus ``lang``."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals["current_locale"] = current_locale
