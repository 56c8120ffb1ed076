"""The ``market`` command: migrate, serve, load demo data, create privileged users.

Every command takes its database from ``MARKET_DATABASE_URL`` (default: the SQLite file
under ``var/``) and runs in one transaction, except the background jobs run once from cron
(``tenders close-due``, ``webhooks deliver-due``): those commit item by item, as in the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.errors import Problem
from market.core.scheduler import Factory
from market.core.settings import Settings, SettingsError

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def run_in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction; domain problems become a clean CLI error."""

    async def go() -> T:
        engine = make_engine(settings)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except Problem as exc:
        raise click.ClickException(exc.detail) from exc


def run_with_sessionmaker(settings: Settings, work: Callable[[Factory], Awaitable[T]]) -> T:
    """Run a background job's function once; it opens its own transactions."""

    async def go() -> T:
        engine = make_engine(settings)
        try:
            return await work(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(go())


@click.group()
def main() -> None:
    """Jingmen industrial solid-waste exchange."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Run migrations, then add any catalogue entries the database lacks."""
    from market.catalogue.sync import sync_catalogue
    from market.core.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    added = run_in_transaction(settings, sync_catalogue)
    click.echo(f"database at {revision}; catalogue: {added}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with granian (see README for why granian)."""
    from granian import Granian
    from granian.constants import Interfaces

    _settings()
    click.echo(f"serving on http://{host}:{port}  (API: /api/v1, OpenAPI: /schema/openapi.json)")
    Granian(
        "market.asgi:app", address=host, port=port, interface=Interfaces.ASGI, workers=workers
    ).serve()


@main.group()
def demo() -> None:
    """Jingmen demo data."""


@demo.command("load")
def demo_load() -> None:
    """Load the deterministic Jingmen demo data (idempotent) and print the demo logins."""
    from market.demo.load import load_demo

    settings = _settings()
    if settings.production:
        raise click.ClickException("refusing to load demo data in production mode")
    report = run_in_transaction(settings, load_demo)
    click.echo(report.summary())


@demo.command("purge")
def demo_purge() -> None:
    """Remove the demo logins (e-mails @demo.jingmen.example): production refuses to start
    while any exists. Their rows become inactive tombstones, so records they made stay."""
    from market.accounts.production import purge_demo_accounts

    purged = run_in_transaction(_settings(), purge_demo_accounts)
    click.echo(f"purged {purged} demo account(s)")


@main.group()
def geodata() -> None:
    """Region boundaries."""


@geodata.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["district", "park"]), required=True)
@click.option("--crs", default="gcj02", show_default=True, help="wgs84, gcj02, bd09 or cgcs2000")
@click.option(
    "--repair/--strict",
    default=True,
    show_default=True,
    help="mend shapes whose parts merely touch (area change < 0.1 %); --strict refuses them",
)
def geodata_import(file: str, kind: str, crs: str, repair: bool) -> None:
    """Replace all districts or parks with a DataV-style GeoJSON file, all-or-nothing."""
    from pathlib import Path

    from market.geo.service import import_regions

    text = Path(file).read_text(encoding="utf-8")

    async def work(session: AsyncSession) -> str:
        r = await import_regions(
            session, text, kind=kind, crs=crs, repair=repair, source=Path(file).name
        )
        return f"imported {r.regions} {kind} boundaries ({', '.join(r.codes)}); {r.sites_updated} sites re-attributed"

    click.echo(run_in_transaction(_settings(), work))


@main.group()
def tenders() -> None:
    """Sealed tenders."""


@tenders.command("close-due")
def tenders_close_due() -> None:
    """Close every tender past its closing time, each in its own transaction (safe beside the
    app and other cron jobs: each tender closes exactly once); also expire stale offers and
    flag late shipments. The app's own job, run once. Exits 1 if anything failed (logged);
    the rest is done all the same and the failed tenders stay open for the next run."""
    from market.trading.jobs import run_due

    report = run_with_sessionmaker(_settings(), run_due)
    click.echo(report.summary())
    if not report.ok:
        raise click.ClickException("some due work failed (see the log above); run again later")


@main.group()
def catalogue() -> None:
    """The material catalogue."""


@catalogue.command("set-limit")
@click.argument("material")
@click.argument("grade")
@click.argument("parameter")
@click.option("--min", "min_value", default=None, help="inclusive lower bound")
@click.option("--max", "max_value", default=None, help="inclusive upper bound")
@click.option(
    "--source", required=True, help="where the figure comes from, e.g. 'GB/T 1596-2017 表1'"
)
@click.option("--confirmed/--unconfirmed", default=False, show_default=True)
def catalogue_set_limit(
    material: str,
    grade: str,
    parameter: str,
    min_value: str | None,
    max_value: str | None,
    source: str,
    confirmed: bool,
) -> None:
    """Create or correct one limit of a grade (e.g. after checking the standard's text)."""
    from decimal import Decimal, InvalidOperation

    from market.catalogue.admin import LimitInput, set_limit

    try:
        lo = Decimal(min_value) if min_value is not None else None
        hi = Decimal(max_value) if max_value is not None else None
    except InvalidOperation as exc:
        raise click.BadParameter("--min/--max must be decimal numbers") from exc

    async def work(session: AsyncSession) -> str:
        lim = await set_limit(
            session, None, material, grade, parameter, LimitInput(lo, hi, source, confirmed)
        )
        state = "confirmed" if lim.confirmed else "unconfirmed"
        return (
            f"{material} {grade} {parameter}: min={lim.min} max={lim.max} ({state}; {lim.source})"
        )

    click.echo(run_in_transaction(_settings(), work))


@main.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--name", "display_name", required=True)
@click.option(
    "--role", type=click.Choice(["user", "regulator", "admin"]), default="user", show_default=True
)
def user_create(email: str, password: str, display_name: str, role: str) -> None:
    """Create a user; regulators and platform admins can only be created here."""
    from market.accounts.service import create_user

    async def work(session: AsyncSession) -> str:
        u = await create_user(session, email, password, display_name, role)
        return f"created {u.role} {u.email} (id {u.id})"

    click.echo(run_in_transaction(_settings(), work))


@main.group()
def ledger() -> None:
    """Monthly solid-waste ledgers (台账)."""


@ledger.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "as_email", help="report as this user (must belong to the sites' owners)")
def ledger_import(file: str, as_email: str | None) -> None:
    """Import ledgers from CSV or .xlsx: all rows or none, row-by-row errors on failure.

    Without --as the operator is trusted (any site) and no reporting user is recorded.
    """
    from pathlib import Path

    from market.ledger.importer import count_rows, import_file, reporting_user
    from market.ledger.service import ImportRejected

    content = Path(file).read_bytes()
    settings = _settings()

    async def work(session: AsyncSession) -> str:
        actor = await reporting_user(session, as_email) if as_email else None
        with click.progressbar(length=count_rows(content, settings), label="checking rows") as bar:
            try:
                result = await import_file(session, actor, content, settings, bar.update)
            except ImportRejected as exc:
                for e in exc.errors:
                    click.echo(f"row {e['row']}: {e['field']}: {e['reason']}", err=True)
                raise
        return (
            f"imported {result.rows} ledger rows ({result.created} new, {result.replaced} replaced)"
        )

    click.echo(run_in_transaction(settings, work))


@main.command()
@click.option("--material", required=True, help="a material code, e.g. fly_ash")
@click.option("--year", required=True, type=int)
@click.option("--month", type=int, default=None, help="1-12; the whole year without it")
@click.option("--scenario", "scenario_id", type=int, default=None, help="a saved scenario id")
def allocate(material: str, year: int, month: int | None, scenario_id: int | None) -> None:
    """City-wide allocation of one material (issue #13): progress lines, then the summary."""
    from market.stats.allocation_cli import allocate_text

    settings = _settings()

    def progress(line: str) -> None:
        click.echo(line, err=True)

    click.echo(
        run_in_transaction(
            settings,
            lambda s: allocate_text(s, settings, material, year, month, scenario_id, progress),
        )
    )


@main.group()
def webhooks() -> None:
    """Organisations' webhooks."""


@webhooks.command("deliver-due")
def webhooks_deliver_due() -> None:
    """Send every webhook delivery that is due, once (safe beside the app and other cron
    jobs: each delivery is claimed by one sender); the app's own job, run once. Set
    MARKET_WEBHOOK_POLL_SECONDS=0 on the app to leave sending to cron."""
    from market.alerts.delivery import deliver_due

    settings = _settings()
    report = run_with_sessionmaker(settings, lambda factory: deliver_due(factory, settings))
    click.echo(report.summary())
    if not report.ok:
        raise click.ClickException("some outcomes were not recorded (see the log above)")


if __name__ == "__main__":
    main()
