"""Ranked full-text search over title, place, tags, description and transcript.

Both databases keep an index that `library` writes with each video. SQLite:
an FTS5 table (`video_search`, rowid = video id), ranked by bm25. PostgreSQL:
a weighted tsvector column of the videos table (`search_vector`, not in the
models, which stay portable) with a GIN index, ranked by ts_rank; the vector
is computed when a video is written, not per row searched.

The text is folded in Python (case, accents, and letters such as ø and ß)
before it is indexed and before a query meets it, so "Reykjavik" finds
"Reykjavík" and "Reykjavík" finds "Reykjavik" on both databases alike. That
needs no PostgreSQL extension: `unaccent` may not be created by the portal's
database role, and its function cannot feed a generated column.
Both match every word of the query, each as a prefix, so results appear while one types.
"""
import re

from sqlalchemy import Float, Integer, text

from portal.extensions import db
from portal.media.letters import without_accents

MAX_WORDS = 12
SQLITE_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS video_search USING fts5(
    title, place, tags, description, transcript, tokenize = 'porter unicode61 remove_diacritics 2')"""
# The title counts most, then the place and tags, then the description, the transcript least.
SQLITE_WEIGHTS = "10.0, 5.0, 5.0, 2.0, 1.0"
POSTGRES_WEIGHTS = {"title": "A", "place": "B", "tags": "B", "description": "C", "transcript": "D"}
POSTGRES_COLUMN = "search_vector"
POSTGRES_INDEX_NAME = "ix_videos_search_vector"
POSTGRES_SCHEMA = (
    f"ALTER TABLE videos ADD COLUMN IF NOT EXISTS {POSTGRES_COLUMN} tsvector",
    f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX_NAME} ON videos USING gin ({POSTGRES_COLUMN})",
)
POSTGRES_VECTOR = " || ".join(
    f"setweight(to_tsvector('english', :{name}), '{weight}')" for name, weight in POSTGRES_WEIGHTS.items())


def dialect() -> str:
    return db.engine.dialect.name


def create_index(connection) -> None:
    """Called with the schema: the FTS5 table, or the vector column and its GIN index."""
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


def fold(words: str) -> str:
    """Lower case without accents: "Tromsø" and "tromso", "Straße" and "strasse" are the same word."""
    return without_accents(words).casefold()


def words(query: str) -> list[str]:
    """The query's folded words; single letters are left out (as prefixes they match everything)."""
    return [word for word in re.findall(r"\w+", fold(query)) if len(word) > 1][:MAX_WORDS]


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
            f"SELECT rowid AS video_id, bm25(video_search, {SQLITE_WEIGHTS}) AS rank "
            "FROM video_search WHERE video_search MATCH :q"
        ).bindparams(q=" ".join(f'"{term}"*' for term in terms))
    return statement.columns(video_id=Integer, rank=Float).subquery("matches")


def index_video(video) -> None:
    """Put a video's text in the index, in the session's transaction."""
    _write(db.session.connection(), video.id, title=video.title, place=video.place, tags=video.tag_text,
           description=video.description, transcript=video.transcript)


def rebuild(connection) -> None:
    """Index every video again: a migration's last step after it changed the index."""
    rows = connection.execute(text("SELECT id, title, place, tag_text, description, transcript FROM videos"))
    for video_id, title, place, tags, description, transcript in rows.all():
        _write(connection, video_id, title=title, place=place, tags=tags, description=description,
               transcript=transcript)


def _write(connection, video_id: int, **texts) -> None:
    folded = {name: fold(value or "") for name, value in texts.items()}
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"UPDATE videos SET {POSTGRES_COLUMN} = {POSTGRES_VECTOR} WHERE id = :id"),
                           {"id": video_id, **folded})
        return
    connection.execute(text("DELETE FROM video_search WHERE rowid = :id"), {"id": video_id})
    connection.execute(
        text("INSERT INTO video_search (rowid, title, place, tags, description, transcript) "
             "VALUES (:id, :title, :place, :tags, :description, :transcript)"),
        {"id": video_id, **folded},
    )


def unindex_video(video_id: int) -> None:
    if dialect() != "postgresql":
        db.session.execute(text("DELETE FROM video_search WHERE rowid = :id"), {"id": video_id})
