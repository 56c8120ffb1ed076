"""Indexes for the match index's per-material version query (issue #14).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:45:00.000000

Every match request asks, per material, how many rows there are and the latest change
(demands), plus the tonnes taken (listings), to know whether its in-memory book is current,
then fetches the rows changed since its mark. With only ``material_code`` indexed that
read every row of the material; these composite indexes answer it from the index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_demands_material_version", "demands", ["material_code", "updated_at"], unique=False
    )
    op.create_index(
        "ix_listings_material_version",
        "listings",
        ["material_code", "updated_at", "reserved_t", "delivered_t"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_listings_material_version", table_name="listings")
    op.drop_index("ix_demands_material_version", table_name="demands")
