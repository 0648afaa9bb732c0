"""Odd query parameters (numbers past what a database column holds) get the answer of a page
or filter that does not exist, never a 500, on SQLite and on PostgreSQL alike."""
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
