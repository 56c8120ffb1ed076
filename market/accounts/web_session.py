"""Who is looking at a page: the bearer token kept in an HttpOnly cookie.

The pages reuse the API's bearer tokens instead of a second session mechanism, so logging in
on the web is exactly ``market.accounts.service.login`` and the token's lifetime, hashing
and revocation rules stay in one place. The cookie is HttpOnly (no script can read it) and
SameSite=Lax; state-changing forms are additionally protected by CSRF tokens (see
:mod:`market.web.config`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlmodel import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import sees_everything
from market.accounts.models import ApiToken, Organization, User
from market.accounts.organizations import organizations_of
from market.accounts.service import user_for_token
from market.core.security import token_digest
from market.web.i18n import gettext
from market.web.render import LoginRequired

COOKIE = "market_session"


@dataclass(frozen=True)
class Viewer:
    """The logged-in user and the organisations they belong to (for the header and forms)."""

    user: User
    orgs: list[tuple[Organization, str]]

    @property
    def regulator(self) -> bool:
        """Regulators and the platform admin read everything and see the city page."""
        return sees_everything(self.user)

    @property
    def org_label(self) -> str:
        names = [o.name for o, _ in self.orgs]
        if not names:
            return gettext("Regulator") if self.regulator else gettext("No organisation yet")
        if len(names) == 1:
            return names[0]
        more = {"first": names[0], "n": len(names) - 1, "total": len(names)}
        return gettext("%(first)s and %(n)s more") % more

    @property
    def org_ids(self) -> list[int]:
        return [o.id for o, _ in self.orgs if o.id is not None]


def safe_next(raw: str | None, default: str = "/my") -> str:
    """Only same-site paths: "/x" yes, "//evil.example" or "https://…" never (open redirect)."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):  # no header injection
        return default
    if raw.startswith(("/login", "/logout")):
        return default
    return raw


def here(request: Request[Any, Any, Any]) -> str:
    """The path and query of the current request, to come back to after logging in."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return request.url.path + (f"?{query}" if query else "")


async def provide_viewer(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> Viewer | None:
    """The user of the session cookie, or None when there is none or it has expired."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    user = await user_for_token(db, token)
    if user is None:
        return None
    return Viewer(user, await organizations_of(db, user))


async def provide_member(
    request: Request[Any, Any, Any], viewer: NamedDependency[Viewer | None]
) -> Viewer:
    """Like ``viewer`` but required: anonymous visitors are sent to /login and back."""
    if viewer is None:
        raise LoginRequired(here(request))
    return viewer


async def rollback(db: AsyncSession, viewer: Viewer) -> Viewer:
    """Undo a failed form's writes and reload the viewer, whose rows the rollback expired.

    A failed post must leave nothing half-written, but the page is then rendered in the same
    request; expired ORM objects would try to lazy-load outside the async context.
    """
    await db.rollback()
    await db.refresh(viewer.user)
    return Viewer(viewer.user, await organizations_of(db, viewer.user))


async def revoke(db: AsyncSession, token: str) -> None:
    """Delete the token so a copied cookie stops working after logout."""
    await db.exec(delete(ApiToken).where(ApiToken.token_hash == token_digest(token)))  # type: ignore[arg-type]


#: Names for handler signatures, like ``market.core.deps``.
OptionalViewer = NamedDependency[Viewer | None]
Member = NamedDependency[Viewer]
