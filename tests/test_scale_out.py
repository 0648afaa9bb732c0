"""The same code on PostgreSQL and Redis, with state shared by several app instances."""
import os
import secrets
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from portal import create_app
from portal.mail.delivery import deliver_due

from conftest import STRONG_PASSWORD, Visitor, code_in, test_settings
from helpers import (
    PLACE_SEARCHES,
    add_demo_library,
    assert_the_upgrade_indexes_the_places_already_there,
    card_titles,
    count_verifications_of,
    parallel_one_byte_downloads,
    parallel_posts,
    plain_totp_key_through_the_migration,
    video_bytes,
)

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379"


def reachable() -> str | None:
    """Why the services can't be used, or None."""
    try:
        create_engine(POSTGRES).connect().close()
        import redis

        redis.Redis.from_url(REDIS).ping()
    except Exception as error:  # any failure to connect means: not here
        return f"PostgreSQL or Redis not reachable: {error}"
    return None


reason = reachable()
if reason and os.environ.get("CI") == "true":
    raise RuntimeError(reason)
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(reason is not None, reason=reason or "")]


@pytest.fixture
def schema():
    """A schema of its own for each test, dropped afterwards."""
    name = f"test_{secrets.token_hex(6)}"
    engine = create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    yield name
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
    engine.dispose()


def scaled_settings(schema, tmp_path, inbox, **more):
    return test_settings(
        tmp_path,
        inbox.port,
        SQLALCHEMY_DATABASE_URI=POSTGRES,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": f"-csearch_path={schema}"}},
        RATELIMIT_STORAGE_URI=REDIS,
        RATELIMIT_KEY_PREFIX=schema,
        **more,
    )


@pytest.fixture
def hosts(schema, tmp_path, inbox, clock):
    """Two app instances ("hosts") on one PostgreSQL schema and one Redis."""
    apps = []
    for number in range(2):
        app = create_app(scaled_settings(schema, tmp_path, inbox), instance_path=str(tmp_path / f"host{number}"))
        app.extensions["clock"] = clock
        apps.append(app)
    return apps


def drain(app):
    with app.app_context():
        while deliver_due():
            pass


def test_the_whole_account_flow_runs_on_postgresql(hosts, inbox):
    visitor = Visitor(hosts[0].test_client(), htmx=True)
    assert "Check your inbox" in visitor.register().text
    drain(hosts[0])
    response = visitor.verify(code_in(inbox.to("ada@example.org")[0]))
    assert "successfully created" in response.text
    other = Visitor(hosts[1].test_client(), htmx=False)
    other.login()
    assert "Log out" in other.client.get("/_header").text


def test_wrong_tries_on_different_hosts_add_up(hosts, inbox):
    first, second = (Visitor(app.test_client(), htmx=False) for app in hosts)
    first.register()
    drain(hosts[0])
    code = code_in(inbox.to("ada@example.org")[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(2):
        first.verify(wrong)
    # The second host serves the same person (a load balancer may do that).
    with first.client.session_transaction() as session:
        state = dict(session)
    with second.client.session_transaction() as session:
        session.update(state)
    for _ in range(2):
        second.verify(wrong)
    assert "Too many wrong tries" in second.verify(wrong).text
    assert "no longer works" in first.verify(code).text


def test_the_login_lockout_holds_across_hosts(hosts, inbox):
    Visitor(hosts[0].test_client(), htmx=False).register()
    drain(hosts[0])
    for number in range(10):
        Visitor(hosts[number % 2].test_client(), htmx=False).login(password="Wrong-Horse-42")
    answer = Visitor(hosts[1].test_client(), htmx=False).login()
    assert "Too many failed log-ins for this address" in answer.text


def test_sixty_parallel_wrong_logins_on_two_hosts_check_the_password_at_most_ten_times(hosts, inbox, monkeypatch):
    person = Visitor(hosts[0].test_client(), htmx=False)
    person.register()
    drain(hosts[0])
    person.verify(code_in(inbox.to("ada@example.org")[0]))
    for app in hosts:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per hour"
    with hosts[0].app_context():
        from portal.auth.accounts import find_user

        checks = count_verifications_of(monkeypatch, find_user("ada@example.org").password_hash)
    visitors = [Visitor(hosts[number % 2].test_client(), htmx=False) for number in range(60)]
    parallel_posts(None, 60, "/login", {"email": "ada@example.org", "password": "Wrong-Horse-42"}, visitors)

    assert 1 <= len(checks) <= 10
    assert "Too many failed log-ins" in Visitor(hosts[1].test_client(), htmx=False).login().text


def test_fifty_parallel_wrong_logins_while_housekeeping_forgets_stale_counters_all_answer_within_the_limit(
        hosts, inbox, clock, monkeypatch):
    """The counter is stale (its window passed), so housekeeping may forget it at any moment of the logins."""
    import threading

    from portal.ops import housekeeping

    person = Visitor(hosts[0].test_client(), htmx=False)
    person.register()
    drain(hosts[0])
    person.verify(code_in(inbox.to("ada@example.org")[0]))
    person.login(password="Wrong-Horse-42")
    clock.advance(hosts[0].config["LOGIN_FAILURE_WINDOW"] + 1)
    for app in hosts:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per hour"
    with hosts[0].app_context():
        from portal.auth.accounts import find_user

        checks = count_verifications_of(monkeypatch, find_user("ada@example.org").password_hash)
    done = threading.Event()

    def keep_house():
        while not done.is_set():
            with hosts[1].app_context():
                housekeeping.forget_stale()

    housekeeper = threading.Thread(target=keep_house)
    housekeeper.start()
    try:
        visitors = [Visitor(hosts[number % 2].test_client(), htmx=False) for number in range(50)]
        statuses = parallel_posts(None, 50, "/login", {"email": "ada@example.org", "password": "Wrong-Horse-42"},
                                  visitors)
    finally:
        done.set()
        housekeeper.join()

    assert set(statuses) == {422}
    assert 1 <= len(checks) <= 10


def test_the_per_ip_limit_is_shared_through_redis(schema, tmp_path, inbox):
    apps = [
        create_app(scaled_settings(schema, tmp_path, inbox, LOGIN_RATE_LIMIT="4 per hour"),
                   instance_path=str(tmp_path / f"host{number}"))
        for number in range(2)
    ]
    answers = [
        Visitor(apps[number % 2].test_client(), htmx=False)
        .login(email="nobody@example.org", password="Wrong-Horse-42")
        .status_code
        for number in range(5)
    ]
    assert answers == [422] * 4 + [429]


def test_two_hosts_draining_one_queue_send_each_mail_once(hosts, inbox):
    from portal.extensions import db
    from portal.mail import outbox

    with hosts[0].test_request_context():
        for number in range(60):
            outbox.enqueue(f"person{number}@example.org", "registration_attempt", "Hello")
        db.session.commit()

    def work(app):
        with app.app_context():
            while deliver_due(batch_size=4):
                pass

    threads = [threading.Thread(target=work, args=(app,)) for app in hosts * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recipients = sorted(message["To"] for message in inbox.messages)
    assert recipients == sorted(f"person{number}@example.org" for number in range(60))


def start_on_postgres(schema_and_path):
    schema, path = schema_and_path
    create_app(
        {
            "SECRET_KEY": "x",
            "MAIL_WORKER": False,
            "SQLALCHEMY_DATABASE_URI": POSTGRES,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
        },
        instance_path=path,
    )
    return True


def test_many_processes_create_the_schema_once_on_postgresql(schema, tmp_path):
    with ProcessPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(start_on_postgres, [(schema, str(tmp_path / f"p{n}")) for n in range(6)]))
    assert results == [True] * 6
    engine = create_engine(POSTGRES)
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
        ).scalar()
    engine.dispose()
    assert tables >= 4


def test_full_text_search_runs_on_postgresql(hosts, tmp_path):
    from datetime import date

    from portal.media import library

    app = hosts[0]
    source = tmp_path / "clip.mp4"
    source.write_bytes(video_bytes(5000))
    with app.app_context():
        library.add_video(library.NewVideo(title="Infrastructure briefing", files=[source],
                                           recorded_on=date(2020, 1, 1)))
        library.add_video(library.NewVideo(title="Speech on cables", files=[source], recorded_on=date(2026, 1, 1),
                                           transcript="We protect undersea infrastructure together."))
        library.add_video(library.NewVideo(title="Unrelated b-roll", files=[source], tags=["maritime"]))
    client = app.test_client()
    html = client.get("/?q=infrastructure").text
    assert html.index("Infrastructure briefing") < html.index("Speech on cables")
    assert "Unrelated b-roll" not in html
    assert "Unrelated b-roll" in client.get("/?q=mariti").text
    assert client.get("/", query_string={"q": "'\"):*&|!"}).status_code == 200
    assert client.get("/?tag=%00&q=%00x").status_code == 200
    assert client.get("/videos/2147483648").status_code == 404


def test_search_finds_the_place_with_or_without_its_accents_on_postgresql(hosts, tmp_path):
    app = hosts[0]
    add_demo_library(app, tmp_path / "clip.mp4")
    client = app.test_client()
    for query, found in PLACE_SEARCHES:
        assert card_titles(client.get("/", query_string={"q": query}).text) == found, query
    assert card_titles(client.get("/?q=Lísbön").text) == ["Speech on maritime security"]


def test_the_upgrade_indexes_the_places_of_the_videos_already_there_on_postgresql(hosts, tmp_path):
    assert_the_upgrade_indexes_the_places_already_there(hosts[0], tmp_path / "clip.mp4")


def test_the_migrations_build_the_models_schema_on_postgresql(hosts, schema):
    import flask_migrate
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portal.extensions import db
    from portal.media.search import belongs_to_models

    with hosts[0].app_context():
        flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_object": belongs_to_models})
            assert compare_metadata(context, db.metadata) == []
            # In this test's schema only: other tests (other workers) have schemas of their own.
            assert connection.execute(text(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_videos_search_vector' AND schemaname = :schema"),
                {"schema": schema}).scalar() == 1
            assert connection.execute(text(
                "SELECT is_generated FROM information_schema.columns "
                "WHERE table_name = 'videos' AND column_name = 'search_vector' "
                "AND table_schema = current_schema()")).scalar() == "NEVER"


def test_the_search_vector_migration_goes_both_ways_on_postgresql(hosts):
    import flask_migrate

    from portal.extensions import db

    def index_names(connection):
        return set(connection.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'videos' AND schemaname = current_schema() "
            "AND indexname LIKE 'ix_videos_search%'")).scalars())

    with hosts[0].app_context():
        flask_migrate.downgrade(revision="b7d2e4f19a03")  # the migration before it
        with db.engine.connect() as connection:
            assert index_names(connection) == {"ix_videos_search"}
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert index_names(connection) == {"ix_videos_search_vector"}


def test_the_totp_key_migration_encrypts_a_stored_key_and_decrypts_it_again_on_postgresql(hosts):
    from cryptography.fernet import Fernet

    app = hosts[0]
    app.test_cli_runner().invoke(args=["users", "create-admin", "boss@example.org", "--password-stdin"],
                                 input=STRONG_PASSWORD + "\n")
    plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    encrypted, decrypted = plain_totp_key_through_the_migration(app, "boss@example.org", plain)
    assert Fernet(app.config["TOTP_ENCRYPTION_KEY"]).decrypt(encrypted.encode()).decode() == plain != encrypted
    assert decrypted == plain


def test_parallel_range_requests_count_as_one_download_on_postgresql(hosts, inbox, tmp_path):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.media import library
    from portal.media.models import Download

    app = hosts[0]
    person = Visitor(app.test_client(), htmx=False)
    person.register()
    drain(app)
    person.verify(code_in(inbox.to("ada@example.org")[0]))
    person.accept_terms()
    source = tmp_path / "clip.mp4"
    source.write_bytes(video_bytes(5000))
    with app.app_context():
        [file_id] = [r.id for r in library.add_video(library.NewVideo(title="Briefing", files=[source])).renditions]
    assert parallel_one_byte_downloads(app, person.client.get_cookie("session").value, file_id) == {206}
    with app.app_context():
        assert db.session.scalar(select(func.count(Download.id))) == 1


def test_two_hosts_recording_the_same_unfound_search_at_once_both_answer_and_both_count(hosts):
    """Found by bench/load.py: the second insert of a new unfound query failed the page with a 500."""
    from sqlalchemy import event

    from portal.extensions import db
    from portal.media import searches

    other_host = hosts[1].test_client()
    answers = []

    def other_host_records_it_first(connection, cursor, statement, *args):
        if statement.startswith("INSERT INTO unfound_searches") and not answers:
            answers.append(other_host.get("/?q=zzz").status_code)

    with hosts[0].app_context():
        event.listen(db.engine, "before_cursor_execute", other_host_records_it_first)
    answers.append(hosts[0].test_client().get("/?q=zzz").status_code)

    assert answers == [200, 200]
    with hosts[0].app_context():
        assert [(search.query, search.count) for search in searches.report()] == [("zzz", 2)]
