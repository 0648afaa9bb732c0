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

NOT_READABLE = "Your form could not be read"
EXPIRED = "Your form has expired"


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


def test_raw_bytes_that_are_not_utf8_in_a_form_say_the_form_could_not_be_read(app, visitor):
    token = visitor.csrf_token("/register")
    body = f"csrf_token={token}&email=ada%40example.org&full_name=Ada ".encode() + b"\xff\xfe Lovelace"
    response = visitor.client.post(
        "/register", data=body, content_type="application/x-www-form-urlencoded", headers=visitor.headers()
    )
    assert response.status_code == 400
    assert NOT_READABLE in response.text and "UTF-8" in response.text
    assert EXPIRED not in response.text
    assert user_count(app) == 0


def test_percent_encoded_bytes_that_are_not_utf8_say_the_form_could_not_be_read(app, visitor):
    token = visitor.csrf_token("/register")
    body = f"csrf_token={token}&full_name=%FF%FE&email=ada%40example.org&password={STRONG_PASSWORD}"
    response = visitor.client.post(
        "/register", data=body.encode(), content_type="application/x-www-form-urlencoded", headers=visitor.headers()
    )
    assert response.status_code == 400
    assert NOT_READABLE in response.text


def test_a_percent_sign_typed_in_a_form_is_kept_as_it_is(app, visitor):
    response = visitor.register(name="100%FF Ada", password="short")
    assert response.status_code == 422
    assert 'value="100%FF Ada"' in response.text


def test_a_multipart_field_that_is_not_utf8_says_the_form_could_not_be_read(app, visitor):
    token = visitor.csrf_token("/login")
    boundary = "----portal"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n"
    ).encode() + b"ada\xff@example.org\r\n" + f"--{boundary}--\r\n".encode()
    response = visitor.client.post(
        "/login", data=body, content_type=f"multipart/form-data; boundary={boundary}", headers=visitor.headers()
    )
    assert response.status_code == 400
    assert NOT_READABLE in response.text


def test_a_multipart_field_name_that_is_not_utf8_says_the_form_could_not_be_read(app, visitor):
    token = visitor.csrf_token("/login")
    boundary = "----portal"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"".encode()
        + b"\xff\"\r\n\r\nx\r\n" + f"--{boundary}--\r\n".encode()
    )
    response = visitor.client.post(
        "/login", data=body, content_type=f"multipart/form-data; boundary={boundary}", headers=visitor.headers()
    )
    assert response.status_code == 400
    assert NOT_READABLE in response.text


def test_a_query_string_that_is_not_utf8_says_the_request_could_not_be_read(app, visitor):
    for url in ("/?q=%FF%FE", "/?tag=caf%E9", "/login?next=/%C3", "/register?next=/%ED%A0%80"):
        response = visitor.client.get(url, headers=visitor.headers())
        assert response.status_code == 400, url
        assert NOT_READABLE in response.text


def test_raw_bytes_in_a_query_string_that_are_not_utf8_say_the_request_could_not_be_read(app, visitor):
    # A WSGI server hands the query string over as latin-1: one character per byte.
    response = visitor.client.get("/register", environ_overrides={"QUERY_STRING": "next=/\xff"},
                                  headers=visitor.headers())
    assert response.status_code == 400
    assert NOT_READABLE in response.text


def test_a_post_without_a_csrf_token_still_says_the_form_expired(app, visitor):
    response = visitor.client.post("/login", data={"email": "ada@example.org"}, headers=visitor.headers())
    assert response.status_code == 400
    assert EXPIRED in response.text


def test_a_multipart_part_without_a_name_says_the_form_could_not_be_read(app, visitor):
    visitor.csrf_token("/login")
    body = b'--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n'
    response = visitor.client.post("/login", data=body, content_type="multipart/form-data; boundary=b",
                                   headers=visitor.headers())
    assert response.status_code == 400
    assert NOT_READABLE in response.text
