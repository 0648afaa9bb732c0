"""Bad input is a clear 4xx, never a 500: type-confused bodies, invalid UTF-8.

Flask-WTF reads uploaded files and JSON bodies into a form by default, and a
file or a number where WTForms expects text broke its validators; bytes that
are not UTF-8 were answered as if the form had expired.
"""
import io

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User

from conftest import STRONG_PASSWORD



def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_a_file_in_the_email_field_of_the_log_in_form_is_a_4xx_with_a_message(app, visitor):
    token = visitor.csrf_token("/login")
    data = {"csrf_token": token, "email": (io.BytesIO(b"ada@example.org"), "email.txt"), "password": "x"}
    response = visitor.client.post("/login", data=data, headers=visitor.headers())
    assert response.status_code == 422
    assert "Enter your email address." in response.text


def test_a_file_in_the_password_field_of_the_log_in_form_is_a_4xx_with_a_message(app, visitor):
    token = visitor.csrf_token("/login")
    data = {"csrf_token": token, "email": "ada@example.org", "password": (io.BytesIO(b"secret"), "password.txt")}
    response = visitor.client.post("/login", data=data, headers=visitor.headers())
    assert response.status_code == 422
    assert "Enter your password." in response.text


def test_a_json_body_with_a_number_and_a_null_is_a_4xx_on_the_log_in_form(app, visitor):
    token = visitor.csrf_token("/login")
    response = visitor.client.post(
        "/login", json={"email": 123, "password": None}, headers={"X-CSRFToken": token, **visitor.headers()}
    )
    assert response.status_code == 422
    assert "Enter your email address." in response.text


def test_a_json_array_is_a_4xx_on_the_log_in_form(app, visitor):
    token = visitor.csrf_token("/login")
    response = visitor.client.post("/login", json=[1, ["a"], None], headers={"X-CSRFToken": token, **visitor.headers()})
    assert response.status_code == 422
    assert "Enter your email address." in response.text


def test_a_number_as_the_name_in_a_json_registration_is_a_4xx_and_no_account(app, visitor):
    token = visitor.csrf_token("/register")
    body = {"full_name": 5, "email": "ada@example.org", "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD}
    response = visitor.client.post("/register", json=body, headers={"X-CSRFToken": token, **visitor.headers()})
    assert response.status_code == 422
    assert "Enter your full name." in response.text
    assert user_count(app) == 0
