"""transfers: units a DC (or a store) sends a store, from an approved replenishment run, with their lines; a
run keeps the units it left at each DC for online orders, the store-to-store moves it proposes, and when it
was approved; a store, the day the sweep last proposed its replenishment

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("replenishment_stores") as batch:
        batch.add_column(sa.Column("swept_on", sa.Date(), nullable=True))
    with op.batch_alter_table("replenishment_runs") as batch:
        batch.add_column(sa.Column("kept", JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("moves", JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("approved_by", sa.String(length=120), nullable=True))
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("source_node_id", sa.String(length=64), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_node_id"], ["nodes.id"], name=op.f("fk_transfers_source_node_id_nodes")),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_transfers_node_id_nodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index(op.f("ix_transfers_node_id_status"), "transfers", ["node_id", "status"])
    op.create_index(op.f("ix_transfers_source_node_id_status"), "transfers", ["source_node_id", "status"])
    op.create_index(op.f("ix_transfers_run_id"), "transfers", ["run_id"])
    op.create_table(
        "transfer_lines",
        sa.Column("transfer_id", sa.String(length=40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=True),
        sa.Column("shipped", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("received", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("damaged", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["transfer_id"], ["transfers.id"],
                                name=op.f("fk_transfer_lines_transfer_id_transfers")),
        sa.PrimaryKeyConstraint("transfer_id", "line_no", name=op.f("pk_transfer_lines")),
    )
    op.create_index(op.f("ix_transfer_lines_node_id_sku"), "transfer_lines", ["node_id", "sku"])


def downgrade() -> None:
    op.drop_index(op.f("ix_transfer_lines_node_id_sku"), table_name="transfer_lines")
    op.drop_table("transfer_lines")
    for name in ("run_id", "source_node_id_status", "node_id_status"):
        op.drop_index(op.f(f"ix_transfers_{name}"), table_name="transfers")
    op.drop_table("transfers")
    with op.batch_alter_table("replenishment_runs") as batch:
        for column in ("approved_by", "approved_at", "moves", "kept"):
            batch.drop_column(column)
    with op.batch_alter_table("replenishment_stores") as batch:
        batch.drop_column("swept_on")
