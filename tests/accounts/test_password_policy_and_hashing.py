"""Password policy at registration; hashing off the event loop; unknown e-mails cost a verify."""

from __future__ import annotations

import asyncio

import pytest
from argon2 import PasswordHasher

from market.accounts.passwords import common_passwords, password_problem
from market.core import security
from tests.conftest import Actors, assert_problem


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-one", "at least 10"),
        ("1234567890", "common"),
        ("Password123", "common"),
        ("WOAINI1314", "common"),
        ("newcomer@example.cn", "e-mail"),
    ],
)
async def test_weak_passwords_are_refused_at_registration(client, password, reason) -> None:
    body = {"email": "newcomer@example.cn", "password": password, "display_name": "新人"}
    r = await client.post("/api/v1/auth/register", json=body)
    assert_problem(r, 422, "password")
    assert reason in r.text


def test_the_policy_accepts_the_suites_password_and_ships_its_list() -> None:
    assert password_problem("secret-pass-1", "someone@example.cn") is None
    assert len(common_passwords()) > 300
    assert all(len(p) >= 10 for p in common_passwords())


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Recording(PasswordHasher):
    """The suite's cheap hasher, remembering which thread ran each verify."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.on_loop: list[bool] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.on_loop.append(_on_event_loop())
        return super().verify(hash, password)


async def test_every_login_verifies_a_hash_in_a_worker_thread(
    client, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    await actors.user("known")
    recording = _Recording()
    monkeypatch.setattr(security, "_hasher", recording)
    for email in ("known@example.cn", "unknown@example.cn"):
        r = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "nope-nope-1"}
        )
        assert_problem(r, 401, "wrong e-mail or password")
    # One verify each: the unknown e-mail is checked against a dummy hash, so both take as long.
    assert recording.on_loop == [False, False]


async def test_hashing_runs_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    class Hasher(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            seen.append(_on_event_loop())
            return super().hash(password, salt=salt)

    monkeypatch.setattr(security, "_hasher", Hasher(time_cost=1, memory_cost=8, parallelism=1))
    hashed = await security.hash_password("some-password")
    assert await security.verify_password(hashed, "some-password")
    assert not await security.verify_password(None, "some-password")
    assert seen and not any(seen)  # the password's hash and the dummy's, both off the loop
