"""sealed webhook secrets: each subscription's secret encrypted with OMS_SECRET_KEY

Existing subscriptions keep their plain secret until a server with the key seals it at start
(``services.secret_box.seal_plain``). A new column rather than a wider ``secret``: on SQLite, changing a
column's type rebuilds the table, which its deliveries' foreign keys forbid while they exist.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_secret", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    # Sealed secrets cannot be opened here (the key is not the migration's): those subscriptions are
    # switched off, to be made again with their secret.
    op.execute("UPDATE webhooks SET active = false WHERE sealed_secret IS NOT NULL")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("sealed_secret")
