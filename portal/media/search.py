"""Ranked full-text search over title, tags, description and transcript.

SQLite: an FTS5 table (`video_search`, rowid = video id) that `library` keeps
in step with the videos, ranked by bm25. PostgreSQL: a weighted tsvector
kept in a stored generated column of the videos table (`search_vector`, not
in the models, which stay portable), with a GIN index, ranked by ts_rank;
the vector is computed when a row is written, not per row searched. Both match
every word of the query, each as a prefix, so results appear while one types.
"""
import re

from sqlalchemy import Float, Integer, text

from portal.extensions import db

MAX_WORDS = 12
SQLITE_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS video_search USING fts5(
    title, tags, description, transcript, tokenize = 'porter unicode61 remove_diacritics 2')"""
POSTGRES_VECTOR = """(
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(tag_text, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(transcript, '')), 'D'))"""
POSTGRES_COLUMN = "search_vector"
POSTGRES_INDEX_NAME = "ix_videos_search_vector"
POSTGRES_SCHEMA = (
    f"ALTER TABLE videos ADD COLUMN IF NOT EXISTS {POSTGRES_COLUMN} tsvector "
    f"GENERATED ALWAYS AS {POSTGRES_VECTOR} STORED",
    f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX_NAME} ON videos USING gin ({POSTGRES_COLUMN})",
)


def dialect() -> str:
    return db.engine.dialect.name


def create_index(connection) -> None:
    """Called with the schema: the FTS5 table, or the generated column and its GIN index."""
    if connection.dialect.name == "postgresql":
        for statement in POSTGRES_SCHEMA:
            connection.execute(text(statement))
    else:
        connection.execute(text(SQLITE_TABLE))


def belongs_to_models(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic's comparisons: the search index and column are `create_index`'s, not the models'."""
    if type_ == "table" and name and name.startswith("video_search"):
        return False
    if type_ == "column" and name == POSTGRES_COLUMN:
        return False
    return not (type_ == "index" and name in ("ix_videos_search", POSTGRES_INDEX_NAME))


def drop_index(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP INDEX IF EXISTS {POSTGRES_INDEX_NAME}"))
        connection.execute(text(f"ALTER TABLE videos DROP COLUMN IF EXISTS {POSTGRES_COLUMN}"))
    else:
        connection.execute(text("DROP TABLE IF EXISTS video_search"))


def words(query: str) -> list[str]:
    """The query's words; single letters are left out (as prefixes they match everything)."""
    return [word for word in re.findall(r"\w+", query.lower()) if len(word) > 1][:MAX_WORDS]


def ranked_matches(query: str):
    """A subquery of (video_id, rank), best rank lowest; None when nothing to search."""
    terms = words(query)
    if not terms:
        return None
    if dialect() == "postgresql":
        statement = text(
            f"SELECT id AS video_id, -ts_rank({POSTGRES_COLUMN}, to_tsquery('english', :q)) AS rank "
            f"FROM videos WHERE {POSTGRES_COLUMN} @@ to_tsquery('english', :q)"
        ).bindparams(q=" & ".join(f"{term}:*" for term in terms))
    else:
        statement = text(
            "SELECT rowid AS video_id, bm25(video_search, 10.0, 5.0, 2.0, 1.0) AS rank "
            "FROM video_search WHERE video_search MATCH :q"
        ).bindparams(q=" ".join(f'"{term}"*' for term in terms))
    return statement.columns(video_id=Integer, rank=Float).subquery("matches")


def index_video(video) -> None:
    """Put a video's text in the SQLite index (PostgreSQL indexes the row itself)."""
    if dialect() == "postgresql":
        return
    unindex_video(video.id)
    db.session.execute(
        text(
            "INSERT INTO video_search (rowid, title, tags, description, transcript) "
            "VALUES (:id, :title, :tags, :description, :transcript)"
        ),
        {
            "id": video.id,
            "title": video.title,
            "tags": video.tag_text,
            "description": video.description or "",
            "transcript": video.transcript or "",
        },
    )


def unindex_video(video_id: int) -> None:
    if dialect() != "postgresql":
        db.session.execute(text("DELETE FROM video_search WHERE rowid = :id"), {"id": video_id})
