"""Hazardous-waste transfer manifests (危险废物转移联单): numbered, issued at dispatch, closed
by the receipt.

**Number.** Fourteen digits ``YYYY PP CC NNNNNN``: the year (China time) the load leaves, the
province and city (设区的市) of the *移出地* (the producer's site: the first four digits of its
adcode, Jingmen is ``4208``), and a serial per year and city. This is our reading of the
numbering rule of the 2021 《危险废物转移管理办法》 manifest (year, province, city, six-digit
serial); it is **to be confirmed against the national solid-waste information system**
(README, "Manifest numbers"). A number is checked strictly (:func:`parse_number`): anything
else, such as "ABC", is a 422 naming ``manifest_no``.

**Who numbers.** The platform, at dispatch (:func:`issue`), from :class:`ManifestSerial`; a
producer that already opened the manifest in the national system may quote that number
instead, which must then have the shape, the dispatch year and the producer's city, and not
be in use. Serials the platform issues skip numbers a producer has quoted.

**Closing.** The receiver's confirmation of the shipment copies the receiving weighbridge onto
the manifest and closes it (:func:`close`); a later settlement of a disputed receipt does not
change the manifest (it records what the weighbridges said), only what counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Site, User
from market.catalogue.models import Material
from market.core.audit import Actor, record, snapshot
from market.core.db import metadata
from market.core.errors import Conflict, Invalid, NotFound
from market.trading.models import Deal, Manifest, Shipment

FIELD = "manifest_no"
#: 移出地 when the producer's site and organisation name no usable adcode: Jingmen (荆门市).
DEFAULT_REGION = "4208"
#: Province-level codes of GB/T 2260 (mainland; Taiwan, Hong Kong and Macao have no manifests).
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
    ]
)
_NUMBER = re.compile(r"[0-9]{14}")
_CHINA = timedelta(hours=8)
MANIFEST_FIELDS = (
    "number",
    "number_source",
    "shipment_id",
    "producer_org_id",
    "receiver_org_id",
    "carrier",
    "vehicle_plate",
    "hw_code",
    "dispatched_t",
    "dispatched_at",
    "status",
)
_SERIALS = metadata.tables["manifest_serials"]


@dataclass(frozen=True)
class ManifestNumber:
    year: int
    region: str
    serial: int

    @property
    def prefix(self) -> str:
        return f"{self.year:04d}{self.region}"

    def __str__(self) -> str:
        return f"{self.prefix}{self.serial:06d}"


def china_year(at: datetime) -> int:
    return (at.astimezone(UTC) + _CHINA).year


def parse_number(
    value: str, *, year: int | None = None, region: str | None = None
) -> ManifestNumber:
    """The number's parts, or a 422 naming ``manifest_no`` that says what is wrong.

    With ``year`` the number's year must be that year or the one before (a manifest opened on
    31 December for a load leaving on 1 January); with ``region`` its province and city must
    be that (the producer's).
    """
    text = value.strip()
    shape = "YYYYPPCCNNNNNN: 14 digits, year + province + city code + 6-digit serial"
    if not _NUMBER.fullmatch(text):
        raise Invalid(FIELD, f"{text!r} is not a transfer manifest number ({shape})")
    number = ManifestNumber(int(text[:4]), text[4:8], int(text[8:]))
    if text[4:6] not in PROVINCES:
        raise Invalid(FIELD, f"{text[4:6]} is not a province code ({shape})")
    if text[6:8] == "00":
        raise Invalid(FIELD, f"the city code must not be 00 ({shape})")
    if number.serial == 0:
        raise Invalid(FIELD, "the serial must not be 000000")
    if year is not None and number.year not in (year - 1, year):
        raise Invalid(FIELD, f"the year {number.year} is not the year of dispatch ({year})")
    if region is not None and number.region != region:
        raise Invalid(
            FIELD,
            f"the region {number.region} is not the producer's province and city ({region})",
        )
    return number


def region_of(site: Site | None, org: Organization | None) -> str:
    """Province + city (4 digits) of the producer's site, else its organisation's district,
    else :data:`DEFAULT_REGION`."""
    for code in (site.district_code if site else None, org.district_code if org else None):
        if code and len(code) >= 6 and code[:4].isdigit() and code[:2] in PROVINCES:
            return code[:4]
    return DEFAULT_REGION


async def _taken(session: AsyncSession, number: str) -> bool:
    stmt = select(Manifest.id).where(Manifest.number == number)
    return (await session.exec(stmt)).first() is not None


async def next_number(session: AsyncSession, year: int, region: str) -> ManifestNumber:
    """The next free platform number for (year, region): an atomic counter per prefix."""
    prefix = f"{year:04d}{region}"
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.exec(
        insert(_SERIALS).values(prefix=prefix, last_serial=0).on_conflict_do_nothing()
    )
    c = _SERIALS.c
    while True:
        bumped = await session.exec(
            sa.update(_SERIALS)
            .where(c.prefix == prefix)
            .values(last_serial=c.last_serial + 1)
            .returning(c.last_serial)
        )
        serial = int(bumped.scalar_one())
        if serial > 999_999:
            raise Conflict(f"manifest serials for {prefix} are exhausted")
        number = ManifestNumber(year, region, serial)
        if not await _taken(session, str(number)):
            return number


async def issue(
    session: AsyncSession,
    shipment: Shipment,
    deal: Deal,
    material: Material,
    given: str | None,
    actor: Actor,
) -> Manifest:
    """Create the manifest of a hazardous load just dispatched (audited on the shipment)."""
    site = await session.get(Site, deal.seller_site_id)
    org = await session.get(Organization, deal.seller_org_id)
    region = region_of(site, org)
    year = china_year(shipment.dispatched_at)
    if given:
        number = parse_number(given, year=year, region=region)
        if await _taken(session, str(number)):
            raise Conflict(
                f"manifest {number} is already in use",
                errors=[{"field": FIELD, "reason": "already in use"}],
            )
        source = "producer"
    else:
        number = await next_number(session, year, region)
        source = "platform"
    manifest = Manifest(
        number=str(number),
        number_source=source,
        shipment_id=shipment.id or 0,
        deal_id=deal.id or 0,
        producer_org_id=deal.seller_org_id,
        producer_site_id=deal.seller_site_id,
        receiver_org_id=deal.buyer_org_id,
        receiver_site_id=deal.buyer_site_id,
        carrier=shipment.carrier,
        vehicle_plate=shipment.vehicle_plate,
        material_code=material.code,
        hw_code=material.hazard_code or material.code,
        dispatched_t=shipment.dispatched_t,
        dispatched_at=shipment.dispatched_at,
    )
    session.add(manifest)
    await session.flush()
    shipment.manifest_no = manifest.number
    session.add(shipment)
    await session.flush()
    after = snapshot(manifest, MANIFEST_FIELDS) | {"manifest_id": manifest.id}
    await record(session, "shipment", shipment.id, "manifest_issued", actor, None, after)
    return manifest


async def close(
    session: AsyncSession, shipment: Shipment, actor: Actor, now: datetime | None = None
) -> Manifest | None:
    """Copy the receipt onto the load's manifest and close it (None: no manifest)."""
    stmt = select(Manifest).where(Manifest.shipment_id == shipment.id)
    manifest = (await session.exec(stmt)).first()
    if manifest is None or manifest.status != "open":
        return manifest
    manifest.received_t = shipment.received_t
    manifest.received_at = shipment.received_at
    manifest.status = "closed"
    manifest.closed_by_user_id = actor.user_id
    manifest.closed_at = now or datetime.now(UTC)
    session.add(manifest)
    await session.flush()
    after = snapshot(manifest, ("number", "received_t", "received_at", "status"))
    await record(
        session, "shipment", shipment.id, "manifest_closed", actor, {"status": "open"}, after
    )
    return manifest


async def readable_manifest(session: AsyncSession, viewer: User, manifest_id: int) -> Manifest:
    """A manifest of the viewer's organisations (producer or receiver), or any for
    regulators; otherwise 404 (ids are not probed)."""
    manifest = await session.get(Manifest, manifest_id)
    if manifest is not None and (
        sees_everything(viewer)
        or {manifest.producer_org_id, manifest.receiver_org_id}
        & await member_org_ids(session, viewer)
    ):
        return manifest
    raise NotFound(f"manifest {manifest_id} does not exist")
