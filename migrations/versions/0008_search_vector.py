"""PostgreSQL search: a stored generated tsvector column with a GIN index,
instead of an expression index whose vector every search computed per row.
SQLite's FTS5 table is unchanged.

Revision ID: 0b8e5d2c4f17
Revises: b7d2e4f19a03
Create Date: 2026-11-25
"""
from alembic import op
from sqlalchemy import text

from portal.media import search

# revision identifiers, used by Alembic.
revision = '0b8e5d2c4f17'
down_revision = 'b7d2e4f19a03'
branch_labels = None
depends_on = None

# The index as revisions 0001–0006 made it, for the downgrade.
OLD_INDEX = """CREATE INDEX IF NOT EXISTS ix_videos_search ON videos USING gin ((
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(tag_text, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(transcript, '')), 'D')))"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(text("DROP INDEX IF EXISTS ix_videos_search"))
        search.create_index(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        search.drop_index(bind)
        bind.execute(text(OLD_INDEX))
