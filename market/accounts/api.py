"""Register, log in and out, who am I, my tokens, my password.

Registration keeps answering 409 for an e-mail that is already registered, and the refusals
are rate-limited per client address (``register_max_taken_per_client`` an hour, then 429).
Why not answer every registration the same "202, check your inbox": this service sends no
e-mail, so there is no inbox step to hide behind, and an organisation admin adding a member
by e-mail is told whether that user exists anyway (``POST /organizations/{id}/members``).
An exchange's users are firms whose contact addresses are on their business cards; what
must not be possible is testing thousands of addresses, and the limit stops that. Login,
where a yes/no would be a guessing oracle, tells nothing: the same 401 at the same speed.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from market.accounts import service as accounts
from market.accounts import throttle, tokens
from market.accounts.deps import CurrentUser
from market.accounts.organizations import organizations_of
from market.accounts.schemas import (
    LoginIn,
    MeOut,
    MyOrganizationOut,
    PasswordChangedOut,
    PasswordChangeIn,
    RegisterIn,
    TokenInfoOut,
    TokenOut,
    UserOut,
)
from market.core.deps import AppSettings, Db, bearer_token
from market.core.errors import Conflict, Invalid, Unauthorized
from market.core.openapi import problems
from market.core.schemas import Page
from market.core.security import token_digest


def client_address(request: Request[Any, Any, Any]) -> str:
    """The peer address (behind a proxy: the proxy's, unless the server rewrites it)."""
    return request.client.host if request.client else "unknown"


@post(
    "/auth/register",
    tags=["accounts"],
    summary="Create a user account",
    description="409 if the e-mail is registered; too many of those from one address: 429.",
    responses=problems(409, 429),
)
async def register(
    data: JSONBody[RegisterIn], db: Db, settings: AppSettings, request: Request[Any, Any, Any]
) -> UserOut:
    checks = throttle.register_checks(settings, client_address(request))
    await throttle.check(db, checks)
    await db.commit()  # only a read so far: no lock held while the password is hashed
    try:
        user = await accounts.create_user(db, data.email, data.password, data.display_name)
    except Conflict:
        await throttle.record(db, checks)
        await db.commit()  # the count outlives the request's rollback
        raise
    return UserOut.model_validate(user)


@post(
    "/auth/login",
    tags=["accounts"],
    summary="Exchange e-mail and password for a bearer token",
    description="Too many failures for the e-mail or from the address: 429 with Retry-After.",
    responses=problems(401, 429),
)
async def login(
    data: JSONBody[LoginIn], db: Db, settings: AppSettings, request: Request[Any, Any, Any]
) -> TokenOut:
    try:
        token = await accounts.login(
            db, data.email, data.password, settings, client_address(request)
        )
    except Unauthorized:
        await db.commit()  # the counted failure outlives the request's rollback
        raise
    return TokenOut(access_token=token, expires_in=settings.token_ttl_hours * 3600)


@post(
    "/auth/logout",
    tags=["accounts"],
    summary="Revoke the bearer token this request carries",
    status_code=204,
)
async def logout(user: CurrentUser, db: Db, request: Request[Any, Any, Any], state: State) -> None:
    token = bearer_token(request)
    assert token is not None  # CurrentUser resolved it
    await tokens.revoke_bearer(db, token)
    await db.commit()  # then forget: a read meanwhile would have kept the token again
    state.tokens.clear()


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


@get("/me/tokens", tags=["accounts"], summary="Your unexpired bearer tokens, newest first")
async def my_tokens(
    user: CurrentUser, db: Db, request: Request[Any, Any, Any]
) -> Page[TokenInfoOut]:
    """All on one page: a user has a handful of tokens, one per device or script."""
    current = token_digest(bearer_token(request) or "")
    items = [
        TokenInfoOut(
            id=t.id or 0,
            created_at=t.created_at,
            expires_at=t.expires_at,
            current=t.token_hash == current,
        )
        for t in await tokens.live_tokens(db, user)
    ]
    return Page[TokenInfoOut](items=items, total=len(items), page=1, page_size=len(items))


@delete("/me/tokens/{token_id:int}", tags=["accounts"], summary="Revoke one of your tokens")
async def revoke_my_token(token_id: FromPath[int], user: CurrentUser, db: Db, state: State) -> None:
    await tokens.revoke_token(db, user, token_id)
    await db.commit()  # then forget (see logout)
    state.tokens.clear()


@post(
    "/me/password",
    tags=["accounts"],
    summary="Change your password; every other token of yours is revoked",
    status_code=200,
    responses=problems(429),
)
async def change_password(
    data: JSONBody[PasswordChangeIn],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    request: Request[Any, Any, Any],
    state: State,
) -> PasswordChangedOut:
    try:
        revoked = await tokens.change_password(
            db,
            user,
            data.old_password,
            data.new_password,
            keep_token=bearer_token(request),
            settings=settings,
            client=client_address(request),
        )
    except Invalid:
        await db.commit()  # a wrong old password counts; nothing else was written
        raise
    await db.commit()  # then forget (see logout)
    state.tokens.clear()
    return PasswordChangedOut(revoked_tokens=revoked)


routes = [register, login, logout, me, my_tokens, revoke_my_token, change_password]
