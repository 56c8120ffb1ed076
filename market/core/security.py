"""Passwords (argon2id) and bearer tokens (random, stored as SHA-256).

argon2 is deliberately slow (about 0.2 s and 64 MiB a hash at its defaults, four lanes), so
hashing and verifying run in worker threads: on the event loop, eight concurrent logins
stalled every other request of the worker for seconds. argon2-cffi releases the GIL while it
works. The threads are a pool of their own, one fewer than the CPUs (at least one): eight
hashes at once in the loop's default executor starved the event loop of CPU instead (a 1.2 s
``/health`` on two cores); queued logins wait a little longer, everything else does not.

Tests swap ``_hasher`` for a cheap one; every function here reads the module attribute at
call time, so the swap reaches them (the dummy hash too, built lazily from the current hasher).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
T = TypeVar("T")

#: A hash of a random password per hasher, verified when the e-mail is unknown so that a
#: failed login costs the same whether or not the account exists (no timing enumeration).
_dummy: tuple[PasswordHasher, str] | None = None


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)


def verify_password_sync(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: Password work only; per process, made on first use (a fork must not inherit threads).
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        workers = max(1, (os.cpu_count() or 2) - 1)
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
    return _pool


async def _off_loop(fn: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_executor(), fn)


async def hash_password(password: str) -> str:
    """argon2id hash of ``password``, computed off the event loop."""
    return await _off_loop(partial(hash_password_sync, password))


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; ``None`` (unknown user) verifies against a dummy hash
    with the same parameters and always answers False, taking as long as a real check."""
    if password_hash is None:
        await _off_loop(partial(_verify_dummy, password))
        return False
    return await _off_loop(partial(verify_password_sync, password_hash, password))


def _verify_dummy(password: str) -> None:
    """Verify against the current hasher's dummy hash, made on first use (in this thread)."""
    global _dummy
    hasher = _hasher
    if _dummy is None or _dummy[0] is not hasher:
        _dummy = (hasher, hasher.hash(secrets.token_urlsafe(16)))
    verify_password_sync(_dummy[1], password)


def new_token() -> str:
    """A URL-safe bearer token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
