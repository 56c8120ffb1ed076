"""A request asks for the caller's organisations once, and still sees its own new memberships.

:func:`market.accounts.access.member_org_ids` is memoised in the session (a match list
asked it three times per request); a membership the same session flushes — a new
organisation's admin, an added member — must void the memo, or the creator of an
organisation would be refused its own organisation until the next request.
"""

from __future__ import annotations

from sqlalchemy import event

from market.accounts.access import member_org_ids
from market.accounts.models import Membership, Organization, User
from market.accounts.organizations import OrganizationInput, create_organization
from market.accounts.uscc import make_uscc
from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.settings import Settings


async def test_memberships_are_asked_once_and_refreshed_by_own_writes(settings: Settings) -> None:
    engine = make_engine(settings)
    asked: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if "FROM memberships" in sql and "memberships.user_id" in sql:
            asked.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            user = User(email="memo@example.com", password_hash="x", display_name="memo")
            session.add(user)
            await session.flush()
            assert await member_org_ids(session, user) == set()
            assert await member_org_ids(session, user) == set()
            assert len(asked) == 1

            data = OrganizationInput(
                "荆门备忘建材有限公司", make_uscc("420802", 77), "consumer", "420802"
            )
            org = await create_organization(session, user, data)
            await session.flush()
            assert await member_org_ids(session, user) == {org.id}
            assert len(asked) == 2

            # Added and not yet flushed: the query would have autoflushed it, so the memo
            # must not answer for it.
            plain = Organization(
                name="荆门备忘二号",
                uscc=make_uscc("420802", 78),
                kind="consumer",
                district_code="420802",
            )
            session.add(plain)
            await session.flush()
            session.add(Membership(user_id=user.id, organization_id=plain.id, role="member"))
            assert await member_org_ids(session, user) == {org.id, plain.id}
            assert len(asked) == 3
    finally:
        await engine.dispose()
