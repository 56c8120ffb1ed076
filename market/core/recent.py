"""Values a worker keeps for a short while: at most ``size``, each for ``ttl`` seconds.

What the read-only routes trust for a moment (a bearer token checked, an answer computed:
:mod:`market.accounts.deps`, :mod:`market.core.response_cache`); the least recently used
goes first when full, and ``ttl`` 0 keeps nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Values by key, each good for ``ttl`` seconds after it was put."""

    def __init__(self, ttl: float = 1.0, size: int = 2048) -> None:
        self.ttl = ttl
        self.size = size
        self._kept: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> tuple[V, float] | None:
        """The value kept for ``key`` and its age in seconds, or None (none, or too old)."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        age = time.monotonic() - kept[0]
        if age > self.ttl:
            return None
        self._kept.move_to_end(key)
        return kept[1], age

    def put(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        self._kept[key] = (time.monotonic(), value)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def clear(self) -> None:
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)
