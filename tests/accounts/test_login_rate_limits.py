"""Failed logins are limited per e-mail and per client, in the database, with Retry-After."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from market.app import create_app
from market.core.settings import Settings
from tests.conftest import Actors, assert_problem

LOGIN = "/api/v1/auth/login"


async def _fail(client, email: str, times: int) -> None:
    for _ in range(times):
        r = await client.post(LOGIN, json={"email": email, "password": "wrong-password"})
        assert r.status_code == 401, r.text


async def test_an_account_is_locked_after_five_failures_even_with_the_right_password(
    client, actors: Actors, settings: Settings
) -> None:
    await actors.user("target")
    await _fail(client, "target@example.cn", settings.login_max_failures_per_account)
    r = await client.post(LOGIN, json={"email": "target@example.cn", "password": "secret-pass-1"})
    assert_problem(r, 429, "too many failed attempts")
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= settings.login_window_seconds


async def test_an_unknown_email_is_locked_the_same_way(client, settings: Settings) -> None:
    """Otherwise the 429 for a real account would itself tell that the account exists."""
    await _fail(client, "nobody@example.cn", settings.login_max_failures_per_account)
    r = await client.post(LOGIN, json={"email": "Nobody@Example.cn", "password": "whatever-1"})
    assert_problem(r, 429)
    assert "retry-after" in r.headers


async def test_successful_logins_are_not_counted(
    client, actors: Actors, settings: Settings
) -> None:
    await actors.user("often")
    for _ in range(settings.login_max_failures_per_account + 2):
        await actors.login("often@example.cn", "secret-pass-1")


async def test_one_client_is_limited_across_many_accounts(client, settings: Settings) -> None:
    per_account = settings.login_max_failures_per_account - 1
    emails = [f"spray{i}@example.cn" for i in range(settings.login_max_failures_per_client)]
    tried = 0
    for email in emails:
        take = min(per_account, settings.login_max_failures_per_client - tried)
        await _fail(client, email, take)
        tried += take
        if tried >= settings.login_max_failures_per_client:
            break
    r = await client.post(LOGIN, json={"email": "fresh@example.cn", "password": "whatever-1"})
    assert_problem(r, 429)


async def test_workers_share_the_counters(client, actors: Actors, settings: Settings) -> None:
    """A second app on the same database (another worker process) sees the same failures."""
    await actors.user("shared")
    await _fail(client, "shared@example.cn", settings.login_max_failures_per_account)
    async with AsyncTestClient(app=create_app(settings)) as other:
        r = await other.post(LOGIN, json={"email": "shared@example.cn", "password": "x" * 12})
        assert_problem(r, 429)


async def test_the_login_page_is_limited_too(client, actors: Actors, settings: Settings) -> None:
    from tests.web.helpers import csrf_token

    await actors.user("pageuser")
    await _fail(client, "pageuser@example.cn", settings.login_max_failures_per_account)
    token = await csrf_token(client)
    r = await client.post(
        "/login",
        data={"email": "pageuser@example.cn", "password": "secret-pass-1", "_csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 429, r.text
    assert "尝试次数过多" in r.text  # the reason, in the page's language
    assert int(r.headers["retry-after"]) >= 1


async def test_failed_page_logins_count(client, actors: Actors, settings: Settings) -> None:
    from tests.web.helpers import csrf_token

    await actors.user("pagefail")
    for _ in range(settings.login_max_failures_per_account):
        token = await csrf_token(client)
        r = await client.post(
            "/login",
            data={"email": "pagefail@example.cn", "password": "nope-nope-1", "_csrf_token": token},
        )
        assert r.status_code == 401
    r = await client.post(LOGIN, json={"email": "pagefail@example.cn", "password": "secret-pass-1"})
    assert_problem(r, 429)


async def test_probing_registered_emails_is_limited(
    client, actors: Actors, settings: Settings
) -> None:
    """Registration keeps its 409 (see market.accounts.api) but probing is bounded."""
    await actors.user("taken")
    body = {"email": "taken@example.cn", "password": "another-pass", "display_name": "x"}
    for _ in range(settings.register_max_taken_per_client):
        assert_problem(await client.post("/api/v1/auth/register", json=body), 409, "already")
    assert_problem(await client.post("/api/v1/auth/register", json=body), 429)
    fresh = {**body, "email": "fresh-user@example.cn"}
    r = await client.post("/api/v1/auth/register", json=fresh)
    assert_problem(r, 429)
    assert "retry-after" in r.headers
