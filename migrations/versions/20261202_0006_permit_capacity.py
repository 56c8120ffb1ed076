"""Permits gain an annual capacity (经营规模, t/yr) and an index on their expiry (issue #10).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:45:00.000000

The capacity is integer kilograms (BigInteger), as every tonnage; permits recorded before
this revision keep none (NULL), which limits nothing until a regulator records it. The index
on ``valid_until`` serves the regulators' list of permits about to expire.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("permits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("annual_capacity_t", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_permits_capacity_positive"),
            "annual_capacity_t IS NULL OR annual_capacity_t > 0",
        )
        batch_op.create_index(batch_op.f("ix_permits_valid_until"), ["valid_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("permits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permits_valid_until"))
        batch_op.drop_constraint(op.f("ck_permits_capacity_positive"), type_="check")
        batch_op.drop_column("annual_capacity_t")
