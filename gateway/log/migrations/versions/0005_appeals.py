"""Every appeal kept: an `appeals` table (one row per appeal, its note and time) replaces the
record's single `appeal_note`, which a second appeal overwrote (and an appeal without a note
blanked). `interceptions.appealed_at` stays: the time of the first appeal, which orders the
review queue.

Existing appeals move into the new table with their note and time.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("record_id", sa.String(64),
                  sa.ForeignKey("interceptions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_appeals_record", "appeals", ["record_id", "seq"])
    op.execute("INSERT INTO appeals (record_id, note, time) SELECT id, appeal_note, appealed_at "
               "FROM interceptions WHERE appealed_at IS NOT NULL ORDER BY appealed_at, id")
    # SQLite (3.35+) drops a plain column in place; a batch copy of the table would also drop
    # the full-text triggers of 0003.
    op.execute("ALTER TABLE interceptions DROP COLUMN appeal_note")

