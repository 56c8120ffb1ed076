"""Where the bytes of lab reports live: one small interface, a folder on disk behind it.

Documents are never stored in the database: a row (:class:`ListingDocument`) holds what the
report is about and the key its bytes are kept under here. :class:`DocumentStore` is all a
service may ask of a store (put bytes, get them back, delete them), so an object store (S3,
OSS, MinIO) can stand in for :class:`DiskStore` without touching the services.

:class:`DiskStore` is content-addressed: the key is the SHA-256 of the bytes, the file
``<root>/<first two hex digits>/<key>``. The same report uploaded twice is one file. Files
are written to a temporary name in the same folder, flushed to disk and renamed into place,
so a reader never sees half a file and a crash leaves at most a stray temporary file.

The methods are blocking; callers run them off the event loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"[0-9a-f]{64}")


class DocumentMissing(LookupError):
    """No content is stored under this key."""


class DocumentStore(Protocol):
    """Bytes in, a key out; the key gives the bytes back until it is deleted."""

    def put(self, content: bytes) -> str:
        """Store ``content``; returns its key (storing the same bytes again is harmless)."""
        ...

    def get(self, key: str) -> bytes:
        """The content stored under ``key``; :class:`DocumentMissing` if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key`` (nothing happens if it is not stored)."""
        ...


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class DiskStore:
    """Files under ``root``, named by the SHA-256 of their content."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file of ``key``; a key that is not 64 lower-case hex digits is refused, so no
        key can name a path outside the root."""
        if not _KEY.fullmatch(key):
            raise DocumentMissing(f"not a document key: {key!r}")
        return self.root / key[:2] / key

    def put(self, content: bytes) -> str:
        key = sha256_hex(content)
        target = self.path(key)
        if target.is_file() and target.stat().st_size == len(content):
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise DocumentMissing(f"no document stored under {key}") from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except DocumentMissing:
            return False
