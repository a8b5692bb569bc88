"""low stock: the stock rows told to be low, until they are back above the threshold

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28 11:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "low_stock",
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "sku", name=op.f("pk_low_stock")),
    )


def downgrade() -> None:
    op.drop_table("low_stock")
