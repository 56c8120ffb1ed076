"""The OpenAPI document is what clients generate from, so it must be valid and complete:
every operation says what it returns on success and which problems it can answer."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from market.app import create_app
from market.core.settings import Settings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('openapi') / 'x.sqlite3'}"
    app = create_app(Settings(database_url=url, env="test", tender_poll_seconds=0))
    return app.openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        if path.startswith("/api/v1")
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_the_document_validates(document: dict[str, Any]) -> None:
    validate(document)


def test_every_operation_declares_a_success_schema(document: dict[str, Any]) -> None:
    missing = []
    for path, method, op in operations(document):
        ok = [r for code, r in op["responses"].items() if code.startswith("2")]
        if not ok or any(
            code != "204" and not any(c.get("schema") for c in r.get("content", {}).values())
            for code, r in op["responses"].items()
            if code.startswith("2")
        ):
            missing.append(f"{method.upper()} {path}")
            continue
        for r in ok:
            for media, content in r.get("content", {}).items():
                schema = content["schema"]
                # "object" with no properties is what an untyped dict[str, Any] becomes.
                untyped = not schema.get("properties") and not schema.get("additionalProperties")
                if media == "application/json" and schema.get("type") == "object" and untyped:
                    missing.append(f"{method.upper()} {path} (untyped object)")
                if media == "application/json" and schema.get("type") == "array":
                    # Lists come in the one page envelope (items, total, page, page_size).
                    missing.append(f"{method.upper()} {path} (a bare array, not a page)")
    assert not missing, "operations without a declared success schema:\n" + "\n".join(missing)


def test_every_operation_declares_its_problems(document: dict[str, Any]) -> None:
    wrong = []
    for path, method, op in operations(document):
        problems = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        name = f"{method.upper()} {path}"
        if not problems:
            wrong.append(f"{name}: no problem responses")
        for code, r in problems.items():
            if set(r.get("content", {})) != {PROBLEM}:
                wrong.append(f"{name}: {code} is not {PROBLEM}")
        if "{" in path and "404" not in problems:
            wrong.append(f"{name}: a path parameter but no 404")
        if (op.get("parameters") or op.get("requestBody")) and "422" not in problems:
            wrong.append(f"{name}: parameters but no 422")
    assert not wrong, "\n".join(wrong)


def test_logins_are_documented(document: dict[str, Any]) -> None:
    """Everything but health, register, login and the public boundaries needs a token, so it
    can answer 401."""
    open_ops = {
        "/api/v1/health",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/geo/regions",
        "/api/v1/geo/regions/{code}",
    }
    missing = [
        f"{method.upper()} {path}"
        for path, method, op in operations(document)
        if path not in open_ops and "401" not in op["responses"]
    ]
    assert not missing, missing
