"""Lab reports attached to listings (issue #15, part 4).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:00:00.000000

One row per uploaded report: the lab, the sample date, the catalogue parameters it covers
(and which of the listing's spec values it is the source of), who may see it, and the key,
size and SHA-256 of its bytes in the document store. The bytes themselves are files
(``MARKET_DOCUMENT_DIR``), never in the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "listing_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("lab_name", sa.String(length=200), nullable=False),
        sa.Column("sample_date", sa.Date(), nullable=False),
        sa.Column("parameters", _JSON, nullable=False),
        sa.Column("spec_sources", _JSON, nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "visibility IN ('public', 'parties')",
            name=op.f("ck_listing_documents_visibility_known"),
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_listing_documents_size_positive")),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_documents_listing_id_listings"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_listing_documents_uploaded_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_documents")),
    )
    op.create_index(
        op.f("ix_listing_documents_listing_id"), "listing_documents", ["listing_id"], unique=False
    )
    op.create_index(
        op.f("ix_listing_documents_storage_key"),
        "listing_documents",
        ["storage_key"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_listing_documents_storage_key"), table_name="listing_documents")
    op.drop_index(op.f("ix_listing_documents_listing_id"), table_name="listing_documents")
    op.drop_table("listing_documents")
