"""Trigram full-text index for "text contains" on SQLite.

The 1,000,000-record bench showed a rare substring searched across all shops scanning the whole
table on SQLite (~0.6 s); 0002 fixed PostgreSQL. SQLite's FTS5 with the trigram tokenizer finds
substrings of three or more characters, Chinese included, from an index.

The FTS table keeps its own copy of the text under its own integer rowids, and a map ties each
record id to its FTS rowid: the interceptions table has a text primary key, and the implicit rowid
of such a table may be renumbered by VACUUM, so it cannot be the link. Triggers keep both in step
(records are appended and purged, never edited). PostgreSQL is unchanged.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATEMENTS = (
    "CREATE VIRTUAL TABLE interceptions_fts USING fts5(text, tokenize='trigram')",
    "CREATE TABLE interceptions_fts_map (fts_rowid INTEGER PRIMARY KEY, "
    "record_id VARCHAR(64) NOT NULL UNIQUE)",
    # existing rows: FTS rowids handed out in one pass, then the map follows them
    "INSERT INTO interceptions_fts (text) SELECT text FROM interceptions ORDER BY rowid",
    "INSERT INTO interceptions_fts_map (record_id, fts_rowid) "
    "SELECT id, ROW_NUMBER() OVER (ORDER BY rowid) FROM interceptions",
    """CREATE TRIGGER interceptions_fts_insert AFTER INSERT ON interceptions BEGIN
         INSERT INTO interceptions_fts (text) VALUES (new.text);
         INSERT INTO interceptions_fts_map (record_id, fts_rowid)
           VALUES (new.id, last_insert_rowid());
       END""",
    """CREATE TRIGGER interceptions_fts_delete AFTER DELETE ON interceptions BEGIN
         DELETE FROM interceptions_fts WHERE rowid =
           (SELECT fts_rowid FROM interceptions_fts_map WHERE record_id = old.id);
         DELETE FROM interceptions_fts_map WHERE record_id = old.id;
       END""",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)
