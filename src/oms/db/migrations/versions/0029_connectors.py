"""connectors: the shops and marketplaces whose orders come in through the OMS (their credentials sealed), each
one's product references mapped to SKUs, and the inbox of what they pushed

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "connectors",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("base_url", sa.String(length=2000), nullable=False),
        sa.Column("sealed_credentials", sa.Text(), nullable=False),
        sa.Column("credential_names", JSON, nullable=False),
        sa.Column("shipping_modes", JSON, nullable=False),
        sa.Column("poll_seconds", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
    )
    op.create_table(
        "connector_skus",
        sa.Column("connector_id", sa.String(length=40), nullable=False),
        sa.Column("platform_ref", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["connector_id"], ["connectors.id"],
                                name=op.f("fk_connector_skus_connector_id_connectors")),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name=op.f("fk_connector_skus_sku_products")),
        sa.PrimaryKeyConstraint("connector_id", "platform_ref", name=op.f("pk_connector_skus")),
    )
    op.create_table(
        "connector_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("connector_id", sa.String(length=40), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["connector_id"], ["connectors.id"],
                                name=op.f("fk_connector_inbox_connector_id_connectors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_inbox")),
        sa.UniqueConstraint("connector_id", "delivery_id", name=op.f("uq_connector_inbox_connector_id_delivery_id")),
    )
    op.create_index(op.f("ix_connector_inbox_status_id"), "connector_inbox", ["status", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_connector_inbox_status_id"), table_name="connector_inbox")
    op.drop_table("connector_inbox")
    op.drop_table("connector_skus")
    op.drop_table("connectors")
