"""Statistics: monthly solid-waste ledgers and utilisation targets (issue #6).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 04:42:35.223117

Tonnes are integer kilograms (BigInteger) and target percentages integer hundredths, as
everywhere else in the schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TONNES = (
    "generated_t",
    "stored_t",
    "disposed_t",
    "disposed_from_stockpile_t",
    "used_inhouse_t",
    "shipped_outside_exchange_t",
    "utilised_from_stockpile_t",
    "dumped_t",
)


def upgrade() -> None:
    op.create_table(
        "ledgers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("material_code", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _TONNES),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("reported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "disposed_from_stockpile_t <= disposed_t", name=op.f("ck_ledgers_disposal_split")
        ),
        sa.CheckConstraint(
            "generated_t >= 0 AND stored_t >= 0 AND disposed_t >= 0 AND dumped_t >= 0"
            " AND used_inhouse_t >= 0 AND shipped_outside_exchange_t >= 0"
            " AND disposed_from_stockpile_t >= 0 AND utilised_from_stockpile_t >= 0",
            name=op.f("ck_ledgers_tonnes_non_negative"),
        ),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_ledgers_month_range")),
        sa.ForeignKeyConstraint(
            ["material_code"],
            ["materials.code"],
            name=op.f("fk_ledgers_material_code_materials"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ledgers_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_user_id"],
            ["users.id"],
            name=op.f("fk_ledgers_reported_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_ledgers_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledgers")),
        sa.UniqueConstraint(
            "site_id", "material_code", "year", "month", name=op.f("uq_ledgers_site_id")
        ),
    )
    op.create_index(op.f("ix_ledgers_material_code"), "ledgers", ["material_code"])
    op.create_index(op.f("ix_ledgers_organization_id"), "ledgers", ["organization_id"])
    op.create_index("ix_ledgers_period", "ledgers", ["year", "month"])

    op.create_table(
        "utilisation_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("material_code", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("target_pct", sa.BigInteger(), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "target_pct >= 0 AND target_pct <= 10000",
            name=op.f("ck_utilisation_targets_target_range"),
        ),
        sa.ForeignKeyConstraint(
            ["material_code"],
            ["materials.code"],
            name=op.f("fk_utilisation_targets_material_code_materials"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_utilisation_targets_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_user_id"],
            ["users.id"],
            name=op.f("fk_utilisation_targets_set_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_utilisation_targets")),
        sa.UniqueConstraint(
            "organization_id",
            "material_code",
            "year",
            name=op.f("uq_utilisation_targets_organization_id"),
        ),
    )
    op.create_index(
        op.f("ix_utilisation_targets_organization_id"), "utilisation_targets", ["organization_id"]
    )
    op.create_index(op.f("ix_utilisation_targets_year"), "utilisation_targets", ["year"])


def downgrade() -> None:
    op.drop_index(op.f("ix_utilisation_targets_year"), table_name="utilisation_targets")
    op.drop_index(op.f("ix_utilisation_targets_organization_id"), table_name="utilisation_targets")
    op.drop_table("utilisation_targets")
    op.drop_index("ix_ledgers_period", table_name="ledgers")
    op.drop_index(op.f("ix_ledgers_organization_id"), table_name="ledgers")
    op.drop_index(op.f("ix_ledgers_material_code"), table_name="ledgers")
    op.drop_table("ledgers")
