"""Who may sign up: the admin's allowed and denied domains, and disposable mail services.

The rule is public, so a refused domain is said at once on the form; nothing
is sent and nothing is written.
"""
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CodeFlowRecord, OneTimeCode

from conftest import STRONG_PASSWORD

REFUSED = "Addresses at this domain can't register here"


def nothing_written(app) -> bool:
    with app.app_context():
        return not any(db.session.scalar(select(func.count()).select_from(table))
                       for table in (CodeFlowRecord, OneTimeCode))


def assert_refused(app, visitor, deliver, address):
    response = visitor.register(email=address)
    assert response.status_code == 422
    assert REFUSED in unescape(response.text)
    assert 'aria-invalid="true"' in response.text
    assert deliver().to(address) == []
    assert nothing_written(app)


def assert_accepted(visitor, deliver, address):
    response = visitor.register(email=address)
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    assert len(deliver().to(address.lower())) == 1


def test_with_allowed_domains_only_they_and_their_subdomains_may_register(app, visitor, deliver):
    app.config["REGISTRATION_ALLOWED_DOMAINS"] = "example.org, news.example.net"
    assert_refused(app, visitor, deliver, "ada@example.com")
    assert_refused(app, visitor, deliver, "ada@example.net")
    assert_refused(app, visitor, deliver, "ada@notexample.org")
    assert_accepted(visitor, deliver, "ada@desk.news.example.net")
    assert_accepted(visitor, deliver, "grace@Example.org")


def test_a_denied_domain_and_its_subdomains_are_refused_others_register(app, visitor, deliver):
    app.config["REGISTRATION_DENIED_DOMAINS"] = "rival.example"
    assert_refused(app, visitor, deliver, "ada@rival.example")
    assert_refused(app, visitor, deliver, "ada@mail.RIVAL.example")
    assert_accepted(visitor, deliver, "ada@example.org")


def test_a_rule_holds_for_an_international_domain_written_either_way(app, visitor, deliver):
    app.config["REGISTRATION_DENIED_DOMAINS"] = "bücher.example, xn--caf-dma.example"
    assert_refused(app, visitor, deliver, "ada@xn--bcher-kva.example")
    assert_refused(app, visitor, deliver, "ada@café.example")


def test_a_denied_subdomain_of_an_allowed_domain_is_refused(app, visitor, deliver):
    app.config["REGISTRATION_ALLOWED_DOMAINS"] = ["example.org"]
    app.config["REGISTRATION_DENIED_DOMAINS"] = ["interns.example.org"]
    assert_refused(app, visitor, deliver, "ada@interns.example.org")
    assert_accepted(visitor, deliver, "ada@example.org")


@pytest.mark.parametrize("address", ["ada@mailinator.com", "ada@eu.mailinator.com"])
def test_disposable_addresses_and_their_subdomains_are_refused_when_blocked(app, visitor, deliver, address):
    app.config["REGISTRATION_BLOCK_DISPOSABLE"] = True
    assert_refused(app, visitor, deliver, address)


def test_disposable_addresses_register_when_not_blocked(app, visitor, deliver):
    assert_accepted(visitor, deliver, "ada@mailinator.com")


def test_the_refusal_is_in_the_page_language(app, new_visitor, deliver):
    app.config["REGISTRATION_DENIED_DOMAINS"] = "rival.example"
    person = new_visitor()
    person.client.set_cookie("language", "fr")
    response = person.register(email="ada@rival.example")
    assert response.status_code == 422
    assert "Les adresses de ce domaine ne peuvent pas s’inscrire ici" in unescape(response.text)


def test_domain_settings_are_read_from_the_environment_as_comma_separated_lists(tmp_path, inbox, clock, monkeypatch):
    from conftest import running_portal

    monkeypatch.setenv("PORTAL_REGISTRATION_DENIED_DOMAINS", "rival.example,other.example")
    monkeypatch.setenv("PORTAL_REGISTRATION_BLOCK_DISPOSABLE", "true")
    with running_portal(tmp_path, inbox, clock) as app, app.test_request_context():
        from portal.auth import domains

        assert not domains.may_register("ada@other.example")
        assert not domains.may_register("ada@mailinator.com")
        assert domains.may_register("ada@example.org")


def test_an_address_change_to_a_refused_domain_is_refused_the_same_way(app, verified, deliver, clock):
    app.config["REGISTRATION_DENIED_DOMAINS"] = "rival.example"
    clock.advance(61)
    response = verified.post("/account/email", {"email": "ada@rival.example", "current_password": STRONG_PASSWORD})
    assert response.status_code == 422
    assert REFUSED in unescape(response.text)
    assert deliver().to("ada@rival.example") == []
    assert nothing_written(app)
