"""capacity use: what each node's daily capacity and each delivery slot has taken, per day; a node may have no limit

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 10:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capacity_use",
        sa.Column("resource", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.CheckConstraint("used <= cap", name=op.f("ck_capacity_use_within_cap")),
        sa.PrimaryKeyConstraint("resource", "day", name=op.f("pk_capacity_use")),
    )
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.alter_column("daily_capacity", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE nodes SET daily_capacity = 1000 WHERE daily_capacity IS NULL")
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.alter_column("daily_capacity", existing_type=sa.Integer(), nullable=False)
    op.drop_table("capacity_use")
