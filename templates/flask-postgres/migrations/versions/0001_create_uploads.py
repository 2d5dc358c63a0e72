"""create the uploads table

Additive only: later changes add columns; drops and renames wait for a cleanup migration
(`devenv db lint` checks this).

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "uploads",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("stored_as", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade():
    op.drop_table("uploads")
