"""Dependencies point one way: ``market → matching → geodata``, and inside ``market`` along
the README's list (core first), so a domain never imports one listed after it.

Higher domains act on lower ones through :mod:`market.core.hooks`; ``matching`` and
``geodata`` are pure (no database, no web framework), so they can be benchmarked and reused
without the app.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The domains of ``market`` in the order of README's architecture section.
ORDER = (
    "core", "web", "accounts", "geo", "catalogue", "offers", "alerts",
    "trading", "ledger", "batteries", "stats", "demo",
)  # fmt: skip
FRAMEWORKS = ("sqlalchemy", "sqlmodel", "litestar", "alembic", "asyncpg", "aiosqlite")


def imports(package: str) -> list[tuple[Path, int, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.lineno, node.module))
            elif isinstance(node, ast.Import):
                found += [(path, node.lineno, alias.name) for alias in node.names]
    return found


def test_market_domains_import_only_those_before_them() -> None:
    wrong = []
    for path, line, module in imports("market"):
        relative = path.relative_to(ROOT / "market").parts
        if len(relative) < 2 or relative[0] not in ORDER or not module.startswith("market."):
            continue
        target = module.split(".")[1]
        if target in ORDER and ORDER.index(target) > ORDER.index(relative[0]):
            wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, wrong


def test_every_market_package_has_its_place() -> None:
    packages = {p.name for p in (ROOT / "market").iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(ORDER), packages - set(ORDER)


def test_matching_and_geodata_are_pure() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for package, banned in (("matching", ("market",)), ("geodata", ("market", "matching")))
        for path, line, module in imports(package)
        if module.split(".")[0] in (*banned, *FRAMEWORKS)
    ]
    assert not wrong, wrong
