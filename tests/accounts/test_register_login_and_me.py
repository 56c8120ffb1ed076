"""Registration, login, tokens and /me."""

from __future__ import annotations

from tests.conftest import Actors, assert_problem


async def test_register_then_login_returns_a_working_token(client) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": "Clerk@Example.CN", "password": "long-enough", "display_name": "王会计"},
    )
    assert r.status_code == 201
    assert r.json()["email"] == "clerk@example.cn"
    assert "password" not in r.text and "hash" not in r.text
    r = await client.post(
        "/api/v1/auth/login", json={"email": "clerk@example.cn", "password": "long-enough"}
    )
    assert r.status_code == 201 and r.json()["token_type"] == "bearer"
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["display_name"] == "王会计" and me.json()["organizations"] == []


async def test_me_lists_organisations_with_role(client, actors: Actors) -> None:
    headers = await actors.user()
    org = await actors.org(headers, kind="consumer")
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["organizations"] == [
        {"id": org["id"], "name": org["name"], "kind": "consumer", "role": "admin"}
    ]


async def test_duplicate_email_is_409(client, actors: Actors) -> None:
    await actors.user("dup")
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": "DUP@example.cn", "password": "another-pass", "display_name": "x"},
    )
    assert_problem(r, 409, "already", "email")


async def test_register_bad_input_names_the_field(client) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": "not-an-email", "password": "short", "display_name": ""},
    )
    body = assert_problem(r, 422, "email", "password", "display_name")
    assert {e["field"] for e in body["errors"]} == {"email", "password", "display_name"}


async def test_unknown_field_is_rejected(client) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": "a@b.cn", "password": "long-enough", "display_name": "a", "role": "admin"},
    )
    assert_problem(r, 422, "role", "Extra inputs are not permitted")


async def test_malformed_json_is_400_problem(client) -> None:
    r = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "a@b.cn", ',
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 400)


async def test_wrong_password_and_unknown_user_look_the_same(client, actors: Actors) -> None:
    await actors.user("bob")
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": "bob@example.cn", "password": "nope-nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.cn", "password": "nope-nope"}
    )
    assert_problem(wrong, 401, "wrong e-mail or password")
    assert_problem(unknown, 401, "wrong e-mail or password")


async def test_me_needs_a_valid_bearer_token(client) -> None:
    assert_problem(await client.get("/api/v1/me"), 401, "Bearer")
    r = await client.get("/api/v1/me", headers={"Authorization": "Bearer forged-token"})
    body = assert_problem(r, 401, "invalid or has expired")
    assert body["status"] == 401 and r.headers["www-authenticate"] == "Bearer"
