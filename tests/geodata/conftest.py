"""Shared fixtures for geodata tests.

The DataV boundary files are reference data kept beside the repository (``<repo>/../shared/
geo/``), never committed. Locally their absence skips the tests that need them; in CI it is a
failure, so a misconfigured runner cannot silently skip the real-boundary checks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_GEO = Path(__file__).resolve().parents[2] / ".." / "shared" / "geo"


def _require(path: Path) -> Path:
    if path.is_file():
        return path
    message = f"boundary file not found: {path} (expected beside the repo in ../shared/geo/)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def jingmen_datav_path() -> Path:
    """Path of the public DataV export of Jingmen's five county-level units (GCJ-02)."""
    return _require(SHARED_GEO / "jingmen_420800_datav.geojson")
