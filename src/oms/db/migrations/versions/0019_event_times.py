"""event times: events of a type found by when they happened (the dashboard's day)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 13:30:00.000000
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_events_type_occurred_at"), "events", ["type", "occurred_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_events_type_occurred_at"), table_name="events")
