"""The city page's licences panel: hazardous-waste permits to renew and the MIIT lists.

What a regulator checks beside the utilisation figures: which 危险废物经营许可证 run out
soon (with this year's tonnes taken under them against the licensed capacity, from
:mod:`market.accounts.permit_use`, the figures the trading gate uses), and which recyclers
are on the MIIT traction-battery lists. The period of this panel is today, China time, not
the page's filter: a licence is valid or not now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts import permit_use, permits
from market.accounts.models import Organization, User

#: Look-ahead of the renewals list, days.
RENEWAL_DAYS = 90


@dataclass(frozen=True)
class ExpiringPermit:
    organization: str
    kind: str
    number: str
    valid_until: date
    days_left: int
    capacity_t: Decimal | None
    taken_t: Decimal
    remaining_t: Decimal | None


@dataclass(frozen=True)
class ListedRecycler:
    organization: str
    recycling: bool
    cascade: bool


async def licences(
    session: AsyncSession, viewer: User
) -> tuple[date, list[ExpiringPermit], list[ListedRecycler]]:
    """Today (China), the permits expiring within :data:`RENEWAL_DAYS`, the MIIT-listed."""
    today = permit_use.china_date(datetime.now(UTC))
    rows = await permits.expiring_permits(session, viewer, today, RENEWAL_DAYS)
    use = await permit_use.standings(session, {o.id for _p, o in rows if o.id is not None})
    by_id = {s.permit.id: s for items in use.values() for s in items}
    expiring = []
    for p, o in rows:
        standing = by_id.get(p.id)
        taken = standing.taken_t.get(today.year, permit_use.ZERO) if standing else permit_use.ZERO
        expiring.append(
            ExpiringPermit(
                o.name,
                p.kind,
                p.number,
                p.valid_until,
                (p.valid_until - today).days,
                p.annual_capacity_t,
                taken,
                standing.remaining_t(today.year) if standing else p.annual_capacity_t,
            )
        )
    stmt = (
        select(Organization)
        .where(or_(col(Organization.miit_listed), col(Organization.miit_cascade_listed)))
        .order_by(col(Organization.name))
    )
    listed = [
        ListedRecycler(o.name, o.miit_listed, o.miit_cascade_listed)
        for o in (await session.exec(stmt)).all()
    ]
    return today, expiring, listed
