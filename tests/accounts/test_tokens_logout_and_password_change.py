"""Logout revokes the token; a user lists and revokes tokens; a password change revokes the rest."""

from __future__ import annotations

from tests.conftest import Actors, assert_problem

PASSWORD = "secret-pass-1"


async def test_logout_revokes_the_token(client, actors: Actors) -> None:
    headers = await actors.user()
    r = await client.post("/api/v1/auth/logout", headers=headers)
    assert r.status_code == 204, r.text
    assert_problem(await client.get("/api/v1/me", headers=headers), 401, "invalid or has expired")
    assert_problem(await client.post("/api/v1/auth/logout", headers=headers), 401)


async def test_tokens_are_listed_and_revoked_one_by_one(client, actors: Actors) -> None:
    first = await actors.user("phones")
    second = await actors.login("phones@example.cn", PASSWORD)
    r = await client.get("/api/v1/me/tokens", headers=second)
    assert r.status_code == 200, r.text
    listed = r.json()["items"]
    assert len(listed) == 2 and [t["current"] for t in listed] == [True, False]
    assert "token" not in str(listed[0].keys() - {"id"})
    other_id = listed[1]["id"]

    assert (await client.delete(f"/api/v1/me/tokens/{other_id}", headers=second)).status_code == 204
    assert_problem(await client.get("/api/v1/me", headers=first), 401)
    assert (await client.get("/api/v1/me", headers=second)).status_code == 200
    assert [
        t["current"]
        for t in (await client.get("/api/v1/me/tokens", headers=second)).json()["items"]
    ] == [True]


async def test_nobody_revokes_another_users_token(client, actors: Actors) -> None:
    alice = await actors.user()
    bob = await actors.user()
    alice_token = (await client.get("/api/v1/me/tokens", headers=alice)).json()["items"][0]["id"]
    assert_problem(await client.delete(f"/api/v1/me/tokens/{alice_token}", headers=bob), 404)
    assert (await client.get("/api/v1/me", headers=alice)).status_code == 200


async def test_password_change_revokes_every_other_token(client, actors: Actors) -> None:
    laptop = await actors.user("changer")
    phone = await actors.login("changer@example.cn", PASSWORD)
    r = await client.post(
        "/api/v1/me/password",
        headers=laptop,
        json={"old_password": PASSWORD, "new_password": "a-much-better-one"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"revoked_tokens": 1}
    assert_problem(await client.get("/api/v1/me", headers=phone), 401)
    assert (await client.get("/api/v1/me", headers=laptop)).status_code == 200
    r = await client.post(
        "/api/v1/auth/login", json={"email": "changer@example.cn", "password": PASSWORD}
    )
    assert_problem(r, 401)
    await actors.login("changer@example.cn", "a-much-better-one")


async def test_password_change_checks_the_old_and_the_new(client, actors: Actors) -> None:
    headers = await actors.user("careful")
    wrong = {"old_password": "not-the-password", "new_password": "a-much-better-one"}
    r = await client.post("/api/v1/me/password", headers=headers, json=wrong)
    assert_problem(r, 422, "old_password", "not the current password")
    for new, reason in [
        ("1234567890", "common"),
        ("careful@example.cn", "e-mail"),
        (PASSWORD, "differ"),
    ]:
        body = {"old_password": PASSWORD, "new_password": new}
        r = await client.post("/api/v1/me/password", headers=headers, json=body)
        assert_problem(r, 422, "new_password", reason)
    await actors.login("careful@example.cn", PASSWORD)


async def test_guessing_the_old_password_is_limited(client, actors: Actors, settings) -> None:
    headers = await actors.user("stolen")
    wrong = {"old_password": "guess-guess-1", "new_password": "a-much-better-one"}
    for _ in range(settings.login_max_failures_per_account):
        assert_problem(await client.post("/api/v1/me/password", headers=headers, json=wrong), 422)
    r = await client.post("/api/v1/me/password", headers=headers, json=wrong)
    assert_problem(r, 429)
