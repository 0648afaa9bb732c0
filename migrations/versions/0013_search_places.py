"""Search finds the place, with or without its accents: both indexes rebuilt.

SQLite's FTS5 table gets a place column; PostgreSQL's search_vector stops
being a generated column (its text is now folded in Python, which a
generated column cannot call) and is written with each video. Every video's
text is indexed again, folded.

Revision ID: 1bb3f3e554fc
Revises: 5e2b7c9d1a04
Create Date: 2026-12-07
"""
from alembic import op
from sqlalchemy import text

from portal.media import search

# revision identifiers, used by Alembic.
revision = '1bb3f3e554fc'
down_revision = '5e2b7c9d1a04'
branch_labels = None
depends_on = None

# The indexes as revision 0008 left them, for the downgrade.
OLD_SQLITE_TABLE = """CREATE VIRTUAL TABLE video_search USING fts5(
    title, tags, description, transcript, tokenize = 'porter unicode61 remove_diacritics 2')"""
OLD_SQLITE_ROWS = """INSERT INTO video_search (rowid, title, tags, description, transcript)
    SELECT id, title, tag_text, coalesce(description, ''), coalesce(transcript, '') FROM videos"""
OLD_POSTGRES_SCHEMA = (
    """ALTER TABLE videos ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(tag_text, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(transcript, '')), 'D')) STORED""",
    "CREATE INDEX ix_videos_search_vector ON videos USING gin (search_vector)",
)


def upgrade():
    bind = op.get_bind()
    search.drop_index(bind)
    search.create_index(bind)
    search.rebuild(bind)


def downgrade():
    bind = op.get_bind()
    search.drop_index(bind)
    old = OLD_POSTGRES_SCHEMA if bind.dialect.name == "postgresql" else (OLD_SQLITE_TABLE, OLD_SQLITE_ROWS)
    for statement in old:
        bind.execute(text(statement))
