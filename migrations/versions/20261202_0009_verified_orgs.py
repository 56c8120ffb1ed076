"""Organisations gain a verified state, set by a regulator who checked the 统一社会信用代码
(issue #11, item 8).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:10:00.000000

Every organisation registered before this revision starts unverified (anyone could register
any name); a regulator verifies it with ``POST /organizations/{id}/verify``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("verified_at")
        batch_op.drop_column("verified")
