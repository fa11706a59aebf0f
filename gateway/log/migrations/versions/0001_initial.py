"""Interception records, their categories and their outcome history.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.String(64)
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "interceptions",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("shop", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("conversation", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("normalized", sa.Text, nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(128)),
        sa.Column("reason", sa.Text),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("matches", sa.JSON, nullable=False),
        sa.Column("tone", sa.JSON),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("buyer", sa.String(128)),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("appeal_note", sa.Text),
        sa.Column("appealed_at", _TIME),
        sa.Column("review_state", sa.String(16), nullable=False),
        sa.Column("review_note", sa.Text),
        sa.Column("reviewer", sa.String(128)),
        sa.Column("reviewed_at", _TIME),
    )
    for name, columns in (("time", ["time", "id"]), ("shop", ["shop", "time", "id"]),
                          ("user", ["user_id", "time", "id"]), ("tier", ["tier", "time", "id"]),
                          ("outcome", ["outcome", "time", "id"]),
                          ("review", ["review_state", "time", "id"]),
                          ("appealed", ["appealed_at"])):
        op.create_index(f"ix_interceptions_{name}", "interceptions", columns)

    op.create_table(
        "record_categories",
        sa.Column("record_id", _ID, sa.ForeignKey("interceptions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("time", _TIME, nullable=False),
    )
    op.create_index("ix_record_categories_category", "record_categories",
                    ["category", "time", "record_id"])

    op.create_table(
        "outcome_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("record_id", _ID, sa.ForeignKey("interceptions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_outcome_changes_record", "outcome_changes", ["record_id", "seq"])
