"""Median latency of a search results page's queries over 10,000 videos,
on PostgreSQL (tsvector column, GIN index) and SQLite (FTS5).

    .venv/bin/python bench/search.py     # BENCH_VIDEOS=10000 BENCH_REPEATS=21
    BENCH_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/search.py

Videos are written straight into the tables (title, description, tags and a
transcript of about 200 words each; no files), in one process; each query is
`catalogue.find` (the ranked match, the count and the first page of results,
as the catalogue asks them), timed after one warm-up run. PostgreSQL gets a
schema of its own, dropped at the end; the server must be running.
"""
import os
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from common import median, portal_app

WORDS = ("alliance security speech press conference maritime cables energy defence ministers summit "
         "budget climate ports trade fisheries council briefing vote treaty").split()
QUERIES = ("maritime", "maritime secu", "press conference", "treaty vote council", "zzz")


def fill(app, count: int) -> None:
    from portal.extensions import db
    from portal.media import search
    from portal.media.models import Video

    with app.app_context():
        for start in range(0, count, 1000):
            batch = []
            for number in range(start, min(count, start + 1000)):
                words = [WORDS[(number * 7 + k) % len(WORDS)] for k in range(6)]
                batch.append(Video(title=f"{words[0].title()} {words[1]} {number}",
                                   description=" ".join(words * 4), tag_text=" ".join(words[2:4]),
                                   transcript=" ".join(words[(number + k) % 6] for k in range(200)),
                                   recorded_on=date(2026, 1, 1) - timedelta(days=number % 3000)))
            db.session.add_all(batch)
            db.session.flush()
            for video in batch:
                search.index_video(video)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE videos"))
            db.session.commit()


def timings(app, repeats: int) -> dict:
    from portal.media import catalogue

    results = {}
    with app.app_context():
        for query in QUERIES:
            catalogue.find(query)
            spent = []
            for _ in range(repeats):
                started = time.perf_counter()
                page = catalogue.find(query)
                spent.append(time.perf_counter() - started)
            results[query] = (median(spent), page.total)
    return results


def report(name: str, results: dict) -> None:
    print(name)
    for query, (seconds, total) in results.items():
        print(f"  {query!r:24} {seconds * 1000:7.2f} ms  ({total} found)")


def main() -> None:
    count = int(os.environ.get("BENCH_VIDEOS", "10000"))
    repeats = int(os.environ.get("BENCH_REPEATS", "21"))
    postgres = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    print(f"{count} videos, median of {repeats} runs of catalogue.find per query")
    with tempfile.TemporaryDirectory() as folder:
        sqlite_app = portal_app(Path(folder) / "sqlite")
        fill(sqlite_app, count)
        report("SQLite (FTS5)", timings(sqlite_app, repeats))

        from sqlalchemy import create_engine, text

        schema = f"bench_{secrets.token_hex(6)}"
        engine = create_engine(postgres)
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            postgres_app = portal_app(
                Path(folder) / "postgres", SQLALCHEMY_DATABASE_URI=postgres,
                SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": f"-csearch_path={schema}"}})
            fill(postgres_app, count)
            report("PostgreSQL (tsvector column, GIN)", timings(postgres_app, repeats))
            with postgres_app.app_context():
                from portal.extensions import db
                plan = db.session.execute(text(
                    "EXPLAIN SELECT id FROM videos WHERE search_vector @@ to_tsquery('english', 'maritime:*')"))
                print("  plan: " + " / ".join(line.strip() for line, in plan))
                db.session.remove()
                db.engine.dispose()
        finally:
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
