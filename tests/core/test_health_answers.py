from __future__ import annotations

from tests.conftest import Actors


async def test_health_reports_the_database(client, settings) -> None:
    r = await client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["database"] == ("sqlite" if settings.is_sqlite else "postgresql")


async def test_register_login_me(client, actors: Actors) -> None:
    headers = await actors.user("alice")
    r = await client.get("/api/v1/me", headers=headers)
    assert r.status_code == 200
    assert r.json()["email"] == "alice@example.cn"
