"""`interceptions.intent`: the buyer-intent scores of a route-to-human record (wants_human,
complaint, anger, ordinary; `IntentScores.to_dict()`), so a supervisor sees why a buyer was
routed as well as `tone` shows why an agent's reply was held. Null for shop-side records and for
earlier ones.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable column: SQLite adds it in place (a batch copy would drop 0003's triggers).
    op.add_column("interceptions", sa.Column("intent", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("interceptions", "intent")
