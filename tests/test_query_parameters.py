"""Odd query parameters get the answer of a page, filter or search that finds nothing, never a 500,
on SQLite and on PostgreSQL alike: numbers past what a database column holds, and control
characters (PostgreSQL's text cannot hold a NUL)."""
import shutil

import pytest

from conftest import running_portal
from test_scale_out import POSTGRES, reason, schema  # noqa: F401 (a fixture, asked for by the PostgreSQL runs)

ON_POSTGRESQL = pytest.param("postgresql", marks=[pytest.mark.postgres,
                                                  pytest.mark.skipif(reason is not None, reason=reason or "")])
HUGE_NUMBERS = ["2147483648", "9223372036854775807", "10000000000000000000",
                pytest.param("9" * 5000, id="five-thousand-digits")]


@pytest.fixture(params=["sqlite", ON_POSTGRESQL])
def app(request, tmp_path, inbox, clock, settings, migrated_database):
    """The portal on SQLite (a copy of the migrated file) or on a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        shutil.copyfile(migrated_database, tmp_path / "portal.sqlite3")
        database = {}
    else:
        schema = request.getfixturevalue("schema")
        database = {"SQLALCHEMY_DATABASE_URI": POSTGRES,
                    "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}}}
    with running_portal(tmp_path, inbox, clock, **settings, **database) as app:
        yield app


@pytest.mark.parametrize("page", [*HUGE_NUMBERS, "0", "-1", "abc", "½"])
def test_a_download_history_page_that_cannot_exist_is_a_404(verified, page):
    assert verified.client.get(f"/account/downloads?page={page}").status_code == 404


def test_the_first_download_history_page_is_there_without_a_number(verified):
    assert verified.client.get("/account/downloads").status_code == 200


@pytest.mark.parametrize("name", ["page", "year"])
@pytest.mark.parametrize("number", HUGE_NUMBERS)
def test_a_huge_catalogue_number_shows_the_catalogue(app, name, number):
    assert app.test_client().get(f"/?{name}={number}").status_code == 200


@pytest.mark.parametrize("path", ["/links.txt", "/SHA256SUMS"])
def test_a_huge_year_in_a_link_list_is_no_filter(verified, path):
    assert verified.client.get(f"{path}?year=10000000000000000000").status_code == 200


def test_an_admin_lookup_with_a_nul_finds_no_account(desk):
    response = desk.get("/admin/account?email=a%00b")
    assert response.status_code == 200
    assert "No account has the address ab." in response.text


def test_an_admin_lookup_drops_control_characters_from_the_address(desk, verified):
    assert "Ada Lovelace" in desk.get("/admin/account?email=ada@example.org%00%01%7F").text


def test_control_characters_in_every_query_parameter_of_every_page_are_no_5xx(app, desk):
    """Every parameter a page reads, with a NUL and other control characters, on every page without a path part."""
    every_parameter = {name: "1\x00a\x01\x7f" for name in ("q", "tag", "year", "page", "email", "next", "period")}
    paths = [rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not rule.arguments]
    answers = {path: desk.client.get(path, query_string=every_parameter).status_code for path in paths}
    assert len(answers) > 20
    assert {path: status for path, status in answers.items() if status >= 500} == {}


def test_a_browser_name_with_control_characters_still_logs_in_and_is_listed_without_them(app, verified_before_terms):
    """The User-Agent is kept for "Where you're logged in"; PostgreSQL's text cannot hold its NUL."""
    from conftest import STRONG_PASSWORD, Visitor

    person = Visitor(app.test_client(), htmx=False)
    person.client.environ_base["HTTP_USER_AGENT"] = "Fire\x00fox/1 (Win\x1bdows)"
    assert "Log out" in person.login("ada@example.org", STRONG_PASSWORD).text
    assert "Firefox on Windows" in person.client.get("/account/").text
