"""Login limits: failed attempts per key and window, shared by every worker (issue #11).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:40:00.000000

``key`` is a SHA-256 hex digest (scope and e-mail or client address), ``window_start`` whole
seconds since the epoch; rows older than two windows are deleted as failures are counted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_attempts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_auth_attempts")),
    )
    op.create_index(
        op.f("ix_auth_attempts_window_start"), "auth_attempts", ["window_start"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_attempts_window_start"), table_name="auth_attempts")
    op.drop_table("auth_attempts")
