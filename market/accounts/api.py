"""Register, log in, and who am I."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import JSONBody

from market.accounts import service as accounts
from market.accounts.deps import CurrentUser
from market.accounts.models import User
from market.accounts.organizations import organizations_of
from market.core.deps import AppSettings, Db
from market.core.schemas import LoginIn, RegisterIn


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
    }


@post("/auth/register", tags=["accounts"], summary="Create a user account")
async def register(data: JSONBody[RegisterIn], db: Db) -> dict[str, Any]:
    user = await accounts.create_user(db, data.email, data.password, data.display_name)
    return user_view(user)


@post("/auth/login", tags=["accounts"], summary="Exchange e-mail and password for a bearer token")
async def login(data: JSONBody[LoginIn], db: Db, settings: AppSettings) -> dict[str, Any]:
    token = await accounts.login(db, data.email, data.password, settings.token_ttl_hours)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": settings.token_ttl_hours * 3600,
    }


@get("/me", tags=["accounts"], summary="The logged-in user and their organisations")
async def me(user: CurrentUser, db: Db) -> dict[str, Any]:
    orgs = await organizations_of(db, user)
    return user_view(user) | {
        "organizations": [
            {"id": o.id, "name": o.name, "kind": o.kind, "role": role} for o, role in orgs
        ]
    }


routes = [register, login, me]
