"""My account: the person's details and a password change that ends other sessions."""
from conftest import OTHER_PASSWORD, STRONG_PASSWORD, Visitor, text_of


def change(visitor, current=STRONG_PASSWORD, new=OTHER_PASSWORD, confirm=None):
    return visitor.post("/account/password", {"current_password": current, "password": new,
                                               "confirm": confirm or new})


def test_my_account_shows_the_person_s_details(app, verified):
    html = verified.client.get("/account/").text
    assert "Ada Lovelace" in html and "ada@example.org" in html and "Change password" in html


def test_changing_the_password_keeps_this_browser_and_ends_the_others(app, verified, new_visitor, deliver):
    elsewhere = new_visitor()
    elsewhere.login()
    assert "Log out" in elsewhere.client.get("/_header").text

    response = change(verified)
    assert "Your password has been changed" in response.text
    assert "Log out" in verified.client.get("/_header").text
    assert "Log out" not in elsewhere.client.get("/_header").text
    notice = deliver().to("ada@example.org")[-1]
    assert notice["Subject"] == "Your password was changed" and OTHER_PASSWORD not in text_of(notice)
    fresh = new_visitor()
    fresh.login(password=OTHER_PASSWORD)
    assert "Log out" in fresh.client.get("/_header").text


def test_a_wrong_current_password_changes_nothing(app, verified, new_visitor):
    response = change(verified, current="Wrong-Horse-42")
    assert response.status_code == 422
    assert "not your current password" in response.text
    fresh = new_visitor()
    fresh.login()
    assert "Log out" in fresh.client.get("/_header").text


def test_the_new_password_follows_the_policy(app, verified):
    response = change(verified, new="short")
    assert response.status_code == 422
    assert "12" in response.text and "uppercase" in response.text


def test_changing_the_password_needs_a_login(app):
    response = Visitor(app.test_client(), htmx=False).client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
