"""Which requests the per-client limits count: posts, unless the admin limits everything."""
import shutil

import pytest
from flask_limiter.util import get_qualified_name

from portal.extensions import limiter

from conftest import running_portal


def test_every_limit_the_portal_declares_counts_posts_only(app):
    """Reads skip the limiter (Flask-Limiter's request filter, `limits.no_limit_applies`): a limit on a read
    would silently never count."""
    declared = []
    with app.app_context():  # a limit's amount is read from the settings
        for endpoint, view in app.view_functions.items():
            names = limiter.limit_manager.decorated_limits(get_qualified_name(view))
            declared += [(endpoint, limit) for limit in names]
        for name in app.blueprints:
            declared += [(name, limit) for limit in limiter.limit_manager.blueprint_limits(app, name)]
    assert {endpoint for endpoint, _ in declared} >= {"auth.login", "auth.register", "auth.reset"}
    assert {(endpoint, tuple(limit.methods)) for endpoint, limit in declared} == {
        (endpoint, ("post",)) for endpoint, _ in declared}


def test_pages_are_not_limited_by_default(app):
    app.config["FORM_RATE_LIMIT"] = app.config["LOGIN_RATE_LIMIT"] = "1 per hour"
    client = app.test_client()
    assert {client.get("/login").status_code for _ in range(5)} == {200}


@pytest.fixture
def forget_limits_for_every_request():
    """Flask-Limiter keeps these on its one object, past the app that set them: the next test's app must not."""
    yield
    limiter.limit_manager.set_default_limits([])
    limiter.limit_manager.set_application_limits([])


@pytest.mark.parametrize("setting", ["RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"])
@pytest.mark.usefixtures("forget_limits_for_every_request")
def test_a_limit_the_admin_sets_for_every_request_counts_pages_too(tmp_path, inbox, clock, setting,
                                                                   migrated_database):
    shutil.copyfile(migrated_database, tmp_path / "portal.sqlite3")
    with running_portal(tmp_path, inbox, clock, **{setting: "2 per minute"}) as app:
        client = app.test_client()
        statuses = [client.get("/").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert "Too many" in client.get("/").text
