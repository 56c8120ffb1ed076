"""Receipt tonnes per origin site, material and China-time month, kept on write (#14.5).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:50:00.000000

The utilisation report summed every confirmed receipt of the year (shipments joined with
their deals, listings and disputes, grouped by origin site, material and month) each time it
was asked, up to three times per report; at 5,000 organisations that is 200,000 receipts.
``receipt_months`` holds those sums, added to by each receipt and corrected by each
settlement in their own transactions (market/trading/receipts.py). Filled here from the
receipts already confirmed: settled tonnes, else the receiver's weighbridge, in the China-time
month (UTC+8) of ``received_at``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "receipt_months",
        sa.Column("origin_site_id", sa.Integer(), nullable=False),
        sa.Column("material_code", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("received_t", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_code"],
            ["materials.code"],
            name=op.f("fk_receipt_months_material_code_materials"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_site_id"], ["sites.id"], name=op.f("fk_receipt_months_origin_site_id_sites")
        ),
        sa.PrimaryKeyConstraint(
            "origin_site_id", "material_code", "year", "month", name=op.f("pk_receipt_months")
        ),
    )
    if op.get_bind().dialect.name == "sqlite":
        year = "CAST(strftime('%Y', s.received_at, '+8 hours') AS INTEGER)"
        month = "CAST(strftime('%m', s.received_at, '+8 hours') AS INTEGER)"
    else:
        year = "CAST(EXTRACT(year FROM timezone('Asia/Shanghai', s.received_at)) AS INTEGER)"
        month = "CAST(EXTRACT(month FROM timezone('Asia/Shanghai', s.received_at)) AS INTEGER)"
    op.execute(
        f"""
        INSERT INTO receipt_months (origin_site_id, material_code, year, month, received_t)
        SELECT l.site_id, d.material_code, {year}, {month},
               SUM(COALESCE(x.settled_t, s.received_t))
        FROM shipments s
        JOIN deals d ON d.id = s.deal_id
        JOIN listings l ON l.id = d.listing_id
        LEFT JOIN shipment_disputes x ON x.shipment_id = s.id
        WHERE s.received_t IS NOT NULL AND s.received_at IS NOT NULL
        GROUP BY l.site_id, d.material_code, {year}, {month}
        """
    )


def downgrade() -> None:
    op.drop_table("receipt_months")
