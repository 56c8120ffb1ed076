"""Transfer manifests (转移联单) of hazardous loads, their serials, and disputed receipts
with their settlement (issue #10, items 2 and 4).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:45:00

Tonnes are integer kilograms (BigInteger), as everywhere else.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "manifest_serials",
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_manifest_serials")),
    )
    op.create_table(
        "manifests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=14), nullable=False),
        sa.Column("number_source", sa.String(length=10), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("producer_org_id", sa.Integer(), nullable=False),
        sa.Column("producer_site_id", sa.Integer(), nullable=False),
        sa.Column("receiver_org_id", sa.Integer(), nullable=False),
        sa.Column("receiver_site_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=200), nullable=False),
        sa.Column("vehicle_plate", sa.String(length=20), nullable=False),
        sa.Column("material_code", sa.String(), nullable=False),
        sa.Column("hw_code", sa.String(length=20), nullable=False),
        sa.Column("dispatched_t", sa.BigInteger(), nullable=False),
        sa.Column("dispatched_at", _TS, nullable=False),
        sa.Column("received_t", sa.BigInteger(), nullable=True),
        sa.Column("received_at", _TS, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        _fk("manifests", "closed_by_user_id", "users.id"),
        _fk("manifests", "deal_id", "deals.id"),
        _fk("manifests", "material_code", "materials.code"),
        _fk("manifests", "producer_org_id", "organizations.id"),
        _fk("manifests", "producer_site_id", "sites.id"),
        _fk("manifests", "receiver_org_id", "organizations.id"),
        _fk("manifests", "receiver_site_id", "sites.id"),
        _fk("manifests", "shipment_id", "shipments.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifests")),
        sa.UniqueConstraint("number", name=op.f("uq_manifests_number")),
        sa.UniqueConstraint("shipment_id", name=op.f("uq_manifests_shipment_id")),
    )
    with op.batch_alter_table("manifests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manifests_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_manifests_producer_org_id"), ["producer_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_manifests_receiver_org_id"), ["receiver_org_id"], unique=False
        )

    op.create_table(
        "shipment_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("credited_t", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed_t", sa.BigInteger(), nullable=True),
        sa.Column("proposed_by_org_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", _TS, nullable=True),
        sa.Column("settled_t", sa.BigInteger(), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("settled_by_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("settled_at", _TS, nullable=True),
        sa.CheckConstraint(
            "proposed_t IS NULL OR proposed_t > 0",
            name=op.f("ck_shipment_disputes_proposed_positive"),
        ),
        sa.CheckConstraint(
            "settled_t IS NULL OR settled_t > 0",
            name=op.f("ck_shipment_disputes_settled_positive"),
        ),
        _fk("shipment_disputes", "deal_id", "deals.id"),
        _fk("shipment_disputes", "proposed_by_org_id", "organizations.id"),
        _fk("shipment_disputes", "settled_by_user_id", "users.id"),
        _fk("shipment_disputes", "shipment_id", "shipments.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_disputes")),
        sa.UniqueConstraint("shipment_id", name=op.f("uq_shipment_disputes_shipment_id")),
    )
    with op.batch_alter_table("shipment_disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_disputes_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipment_disputes_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shipment_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_disputes_status"))
        batch_op.drop_index(batch_op.f("ix_shipment_disputes_deal_id"))
    op.drop_table("shipment_disputes")
    with op.batch_alter_table("manifests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifests_receiver_org_id"))
        batch_op.drop_index(batch_op.f("ix_manifests_producer_org_id"))
        batch_op.drop_index(batch_op.f("ix_manifests_deal_id"))
    op.drop_table("manifests")
    op.drop_table("manifest_serials")
