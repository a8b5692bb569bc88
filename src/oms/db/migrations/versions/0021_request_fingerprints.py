"""request fingerprints: the SHA-256 of each order's and hold's validated request, to tell a replay
from another request under the same key or reference

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: orders and holds stored before have none (their replays are answered as before).
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("request_hash")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("request_hash")
