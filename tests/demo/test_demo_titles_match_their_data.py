"""Every demo title says what its data is: the district a lot is titled with is the district
its site stands in, and a grade a title names ("F类II级", "C类III级", "S95") is one the lot's
spec meets, by the exchange's own compliance answer (``market.offers.compliance``)."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select

from market.accounts.models import Site, User
from market.core.settings import Settings
from market.demo.load import load_demo
from market.demo.seed import DISTRICTS, build_demo, site_district
from market.demo.trades import build_lots
from market.offers.compliance import listing_compliance
from market.offers.models import Demand, Listing
from tests.trading.helpers import in_db

_FLY_ASH = re.compile(r"([FC])类(I{1,3})级")
_GGBS = re.compile(r"\bS(105|95|75)\b")


def named_districts(title: str) -> set[str]:
    return {code for code, name in DISTRICTS.items() if name in title}


def named_grades(material: str, title: str) -> set[str]:
    """The catalogue grades a title claims, by the labels the demo writes."""
    if material == "fly_ash":
        return {
            f"gbt1596_{cls.lower()}_{tier.lower()}_concrete"
            for cls, tier in _FLY_ASH.findall(title)
        }
    if material == "ggbs":
        return {f"gbt18046_s{n}" for n in _GGBS.findall(title)}
    return set()


def test_built_titles_name_the_sites_district() -> None:
    data = build_demo()
    district = {s.key: site_district(o, s) for o in data.orgs for s in o.sites}
    lots = [(x.site_key, x.title) for x in data.listings]
    lots += [(x.site_key, x.title) for x in build_lots(data)]
    for site_key, title in lots:
        assert named_districts(title) == {district[site_key]}, title
    # Sites across a district line from their firm exist, so the rule has a case.
    org_of = {s.key: o.district_code for o in data.orgs for s in o.sites}
    assert any(district[k] != org_of[k] for k, _ in lots)


async def test_stored_titles_match_district_and_grade(settings: Settings) -> None:
    async def work(session: Any) -> tuple[int, int]:
        await load_demo(session, settings)
        regulator = (
            await session.exec(select(User).where(User.email == "regulator@demo.jingmen.example"))
        ).one()
        sites = {s.id: s for s in (await session.exec(select(Site))).all()}
        graded = 0
        listings = (await session.exec(select(Listing))).all()
        for x in listings:
            assert named_districts(x.title) == {sites[x.site_id].district_code}, (x.id, x.title)
            for grade in named_grades(x.material_code, x.title):
                answer = await listing_compliance(
                    session, regulator, x.id or 0, demand_id=None, grade=grade
                )
                assert answer.verdict == "meets", (x.id, x.title, grade, answer.parameters)
                graded += 1
        for d in (await session.exec(select(Demand))).all():
            assert named_districts(d.title) <= {sites[d.site_id].district_code}, d.title
            assert named_grades(d.material_code, d.title) <= {d.grade_key}, d.title
        return len(listings), graded

    listings, graded = await in_db(settings, work)
    assert listings > 150 and graded >= 15
