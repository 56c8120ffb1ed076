"""Traction-battery packs traced pack by pack (issue #15, parts 1–3).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:30:00.000000

``battery_packs``: one row per GB/T 34014 code (unique) for its whole life, with the lot
holding it now (``listing_id``: one column, so one lot at most), the deal and load that took
it and its holder. ``battery_pack_events``: the chain of custody, both parties' credit codes
copied at each step. ``listings.battery_use`` (cascade | recycling; NULL = recycling, as
every battery lot was treated before) and ``organizations.miit_cascade_listed`` (the MIIT
list's cascade-use firms, set by regulators like ``miit_listed``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "miit_cascade_listed", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("battery_use", sa.String(length=10), nullable=True))
    op.create_table(
        "battery_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("chemistry", sa.String(length=10), nullable=False),
        sa.Column("rated_kwh", sa.BigInteger(), nullable=False),
        sa.Column("soh_pct", sa.BigInteger(), nullable=False),
        sa.Column("mass_kg", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column("holder_org_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mass_kg > 0", name=op.f("ck_battery_packs_mass_positive")),
        sa.CheckConstraint("rated_kwh > 0", name=op.f("ck_battery_packs_rated_positive")),
        sa.CheckConstraint(
            "soh_pct >= 0 AND soh_pct <= 1000", name=op.f("ck_battery_packs_soh_range")
        ),
        sa.CheckConstraint(
            "(status = 'listed') = (listing_id IS NOT NULL)",
            name=op.f("ck_battery_packs_listed_iff_in_lot"),
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_battery_packs_deal_id_deals")
        ),
        sa.ForeignKeyConstraint(
            ["holder_org_id"],
            ["organizations.id"],
            name=op.f("fk_battery_packs_holder_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_battery_packs_listing_id_listings")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_battery_packs_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_battery_packs")),
        sa.UniqueConstraint("code", name=op.f("uq_battery_packs_code")),
    )
    with op.batch_alter_table("battery_packs", schema=None) as batch_op:
        for column in ("deal_id", "holder_org_id", "listing_id", "shipment_id", "status", "vin"):
            batch_op.create_index(batch_op.f(f"ix_battery_packs_{column}"), [column], unique=False)
    op.create_table(
        "battery_pack_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("from_org_id", sa.Integer(), nullable=False),
        sa.Column("from_org_name", sa.String(length=200), nullable=False),
        sa.Column("from_uscc", sa.String(length=18), nullable=False),
        sa.Column("to_org_id", sa.Integer(), nullable=False),
        sa.Column("to_org_name", sa.String(length=200), nullable=False),
        sa.Column("to_uscc", sa.String(length=18), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name=op.f("fk_battery_pack_events_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_battery_pack_events_deal_id_deals")
        ),
        sa.ForeignKeyConstraint(
            ["from_org_id"],
            ["organizations.id"],
            name=op.f("fk_battery_pack_events_from_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_battery_pack_events_listing_id_listings"),
        ),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["battery_packs.id"],
            name=op.f("fk_battery_pack_events_pack_id_battery_packs"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_battery_pack_events_shipment_id_shipments"),
        ),
        sa.ForeignKeyConstraint(
            ["to_org_id"],
            ["organizations.id"],
            name=op.f("fk_battery_pack_events_to_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_battery_pack_events")),
    )
    with op.batch_alter_table("battery_pack_events", schema=None) as batch_op:
        batch_op.create_index("ix_battery_pack_events_kind_at", ["kind", "at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_battery_pack_events_pack_id"), ["pack_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_battery_pack_events_to_org_id"), ["to_org_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("battery_pack_events")
    op.drop_table("battery_packs")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("battery_use")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("miit_cascade_listed")
