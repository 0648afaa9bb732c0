"""PostgreSQL goes away under a running portal and comes back: the portal carries on."""
import pytest
from sqlalchemy import create_engine, text

from portal import create_app
from portal.mail.delivery import deliver_due

from conftest import Visitor, code_in, test_settings
from test_scale_out import POSTGRES, REDIS, pytestmark, schema  # noqa: F401 (a fixture)

INTERNALS = ("Traceback", "OperationalError", "psycopg", "sqlalchemy", "server closed the connection")


@pytest.fixture
def app_on_postgres(schema, tmp_path, inbox, clock):
    """One portal on its own schema; its connections are named after the schema."""
    app = create_app(
        test_settings(
            tmp_path,
            inbox.port,
            SQLALCHEMY_DATABASE_URI=POSTGRES,
            SQLALCHEMY_ENGINE_OPTIONS={
                "connect_args": {"options": f"-csearch_path={schema}", "application_name": schema},
            },
            RATELIMIT_STORAGE_URI=REDIS,
            RATELIMIT_KEY_PREFIX=schema,
        ),
        instance_path=str(tmp_path / "instance"),
    )
    app.extensions["clock"] = clock
    yield app
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()


def end_every_connection_of(schema: str) -> int:
    """What a database restart does to the portal: each of its connections is cut."""
    engine = create_engine(POSTGRES)
    with engine.connect() as connection:
        ended = connection.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": schema},
        ).scalar()
    engine.dispose()
    return ended


def test_requests_after_a_database_restart_succeed_and_keep_what_was_written(app_on_postgres, inbox, schema):
    app = app_on_postgres
    ada = Visitor(app.test_client(), htmx=False)
    ada.register()
    with app.app_context():
        while deliver_due():
            pass
    assert "successfully created" in ada.verify(code_in(inbox.to("ada@example.org")[0])).text
    # Several pooled connections, as busy workers leave them.
    others = [Visitor(app.test_client(), htmx=False) for _ in range(4)]
    for other in others:
        assert other.client.get("/login").status_code == 200

    assert end_every_connection_of(schema) >= 1

    answers = [other.client.get(path) for other in others for path in ("/", "/login", "/register")]
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    assert "Log out" in ada.client.get("/_header").text
    fresh = Visitor(app.test_client(), htmx=False)
    assert "Log out" in fresh.login().text or "Log out" in fresh.client.get("/_header").text
    for answer in answers:
        assert not any(word in answer.text for word in INTERNALS)


@pytest.fixture
def restart_during(app_on_postgres, schema):
    """`restart_during("before" | "after")` cuts the next request's connection before or after its work."""
    app = app_on_postgres
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not the exception
    moments = []

    @app.before_request
    def cut_before_the_work():
        from portal.extensions import db

        if moments and moments[0] == "before":
            moments.pop()
            db.session.execute(text("SELECT 1"))
            end_every_connection_of(schema)
            db.session.execute(text("SELECT 1"))  # the request's next query meets the restart

    @app.after_request
    def cut_after_the_work(response):
        from portal.extensions import db

        if moments and moments[0] == "after":
            moments.pop()
            db.session.execute(text("SELECT 1"))  # the request holds a connection, as a finished one does
            end_every_connection_of(schema)
        return response

    return moments.append


def test_a_request_cut_off_by_the_restart_is_asked_to_try_again_and_the_next_one_works(app_on_postgres, restart_during):
    client = app_on_postgres.test_client()
    assert client.get("/").status_code == 200
    restart_during("before")
    cut = client.get("/")
    assert cut.status_code == 503 and cut.headers["Retry-After"] == "5" and "try again in a few seconds" in cut.text
    assert "Traceback" not in cut.text and not any(word in cut.text for word in INTERNALS)
    assert client.get("/").status_code == 200


def test_a_restart_after_a_request_did_its_work_does_not_turn_its_answer_into_an_error(app_on_postgres, restart_during):
    client = app_on_postgres.test_client()
    assert client.get("/").status_code == 200
    restart_during("after")
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200


def logged_in_on_postgres(schema, tmp_path, inbox, clock, url=POSTGRES, options=""):
    """A portal on `schema` (connecting as `url` says) and Ada, registered, verified and logged in there."""
    connect_args = {"options": f"-csearch_path={schema} {options}".strip()}
    app = create_app(test_settings(tmp_path, inbox.port, SQLALCHEMY_DATABASE_URI=url,
                                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": connect_args},
                                   RATELIMIT_STORAGE_URI=REDIS, RATELIMIT_KEY_PREFIX=schema),
                     instance_path=str(tmp_path / "instance"))
    app.extensions["clock"] = clock
    app.config["PROPAGATE_EXCEPTIONS"] = False
    ada = Visitor(app.test_client(), htmx=False)
    ada.register()
    with app.app_context():
        while deliver_due():
            pass
    ada.verify(code_in(inbox.to("ada@example.org")[0]))
    assert "Log out" in ada.client.get("/_header").text
    return app, ada


def assert_asked_to_try_again(answer):
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "try again in a few seconds" in answer.text
    assert not any(word in answer.text for word in INTERNALS)


def test_a_logged_in_page_kept_waiting_by_a_lock_is_asked_to_try_again(schema, tmp_path, inbox, clock):
    """Finding who is logged in meets the lock too: the person is asked to try again, not shown a 500."""
    app, ada = logged_in_on_postgres(schema, tmp_path, inbox, clock, options="-cstatement_timeout=300")
    engine = create_engine(POSTGRES, connect_args={"options": f"-csearch_path={schema}"})
    with engine.begin() as migration:  # an upgrade holding the accounts table longer than a statement may wait
        migration.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        assert_asked_to_try_again(ada.client.get("/"))
    engine.dispose()
    assert "Log out" in ada.client.get("/_header").text
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()


def test_a_logged_in_page_when_the_database_refuses_connections_is_asked_to_try_again(
        schema, tmp_path, inbox, clock):
    """The lookup's checkout may have to connect: a refused connection is a 503 too."""
    role = f"role_{schema}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN; GRANT ALL ON SCHEMA {schema} TO {role}"))
    try:
        app, ada = logged_in_on_postgres(schema, tmp_path, inbox, clock,
                                         url=POSTGRES.replace("postgres@", f"{role}@"))
        with admin.begin() as connection:  # the database stops letting the portal in, and cuts it off
            connection.execute(text(f"ALTER ROLE {role} NOLOGIN"))
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
        assert_asked_to_try_again(ada.client.get("/_header"))  # who is logged in is its first question
        with admin.begin() as connection:
            connection.execute(text(f"ALTER ROLE {role} LOGIN"))
        assert "Log out" in ada.client.get("/_header").text
        with app.app_context():
            from portal.extensions import db

            db.engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {role} CASCADE; DROP ROLE {role}"))
        admin.dispose()
