"""Register, log in, and who am I."""

from __future__ import annotations

from litestar import get, post
from litestar.params import JSONBody

from market.accounts import service as accounts
from market.accounts.deps import CurrentUser
from market.accounts.organizations import organizations_of
from market.accounts.schemas import LoginIn, MeOut, MyOrganizationOut, RegisterIn, TokenOut, UserOut
from market.core.deps import AppSettings, Db
from market.core.openapi import problems


@post(
    "/auth/register",
    tags=["accounts"],
    summary="Create a user account",
    responses=problems(409),
)
async def register(data: JSONBody[RegisterIn], db: Db) -> UserOut:
    user = await accounts.create_user(db, data.email, data.password, data.display_name)
    return UserOut.model_validate(user)


@post(
    "/auth/login",
    tags=["accounts"],
    summary="Exchange e-mail and password for a bearer token",
    responses=problems(401),
)
async def login(data: JSONBody[LoginIn], db: Db, settings: AppSettings) -> TokenOut:
    token = await accounts.login(db, data.email, data.password, settings.token_ttl_hours)
    return TokenOut(access_token=token, expires_in=settings.token_ttl_hours * 3600)


@get("/me", tags=["accounts"], summary="The logged-in user and their organisations")
async def me(user: CurrentUser, db: Db) -> MeOut:
    orgs = await organizations_of(db, user)
    return MeOut(
        **UserOut.model_validate(user).model_dump(),
        organizations=[
            MyOrganizationOut.model_validate(
                {"id": o.id, "name": o.name, "kind": o.kind, "role": r}
            )
            for o, r in orgs
        ],
    )


routes = [register, login, me]
