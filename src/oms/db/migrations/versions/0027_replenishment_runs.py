"""replenishment runs: each run's proposals, one line per store and SKU with the inputs that explain it

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "replenishment_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("scope", JSON, nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("unfilled", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replenishment_runs")),
    )
    op.create_table(
        "replenishment_lines",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("source_node_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("forecast_daily", sa.Float(), nullable=False),
        sa.Column("sigma", sa.Float(), nullable=False),
        sa.Column("safety_stock", sa.Float(), nullable=False),
        sa.Column("order_up_to", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["replenishment_runs.id"],
                                name=op.f("fk_replenishment_lines_run_id_replenishment_runs")),
        sa.PrimaryKeyConstraint("run_id", "node_id", "sku", name=op.f("pk_replenishment_lines")),
    )


def downgrade() -> None:
    op.drop_table("replenishment_lines")
    op.drop_table("replenishment_runs")
