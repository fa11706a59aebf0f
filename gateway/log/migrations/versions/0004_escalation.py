"""`interceptions.escalation`: the repeat-offence rule that raised a record's tier above the one
its rule gave (docs/policy.md promises the verdict names it). Null for earlier records and for
every record no escalation raised.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable column: SQLite adds it in place (a batch copy would drop 0003's triggers).
    op.add_column("interceptions", sa.Column("escalation", sa.String(128), nullable=True))


def downgrade() -> None:
    op.drop_column("interceptions", "escalation")
