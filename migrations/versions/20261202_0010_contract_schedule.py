"""Standing contracts say what happens to a month's shortfall: roll over or lapse (issue #10).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:10:00.000000

``shortfall`` ("roll_over" | "lapse") is set on the bid and carried to the deal; NULL for a
one-off trade. Standing bids and deals made before this revision lapse, the default, and are
back-filled so. The schedule itself is computed from the deal and its shipments
(``market.trading.schedule``), so no call-off table is needed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("bids", "deals")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("shortfall", sa.String(length=10), nullable=True))
        op.execute(f"UPDATE {table} SET shortfall = 'lapse' WHERE term_months IS NOT NULL")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("shortfall")
