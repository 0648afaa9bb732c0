"""The rules of one-time codes, called without a request."""
import hmac

import pytest

from portal import codes
from portal.extensions import db
from portal.models import OneTimeCode, User

Outcome = codes.Outcome


@pytest.fixture
def account(app):
    with app.test_request_context():
        user = User(email="ada@example.org", full_name="Ada", password_hash="x")
        db.session.add(user)
        db.session.commit()
        yield user


def other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_six_digits_and_stored_only_as_a_keyed_hash(account):
    code = codes.issue(account, codes.VERIFY_EMAIL)
    db.session.commit()

    assert len(code) == 6 and code.isdigit()
    [stored] = db.session.scalars(db.select(OneTimeCode)).all()
    assert code not in stored.code_hash
    assert stored.code_hash == codes.keyed_hash(account.id, codes.VERIFY_EMAIL, code)


def test_the_hash_is_keyed_with_the_app_secret(app, account):
    code = codes.issue(account, codes.VERIFY_EMAIL)
    before = codes.keyed_hash(account.id, codes.VERIFY_EMAIL, code)
    app.config["SECRET_KEY"] = "another secret"
    assert codes.keyed_hash(account.id, codes.VERIFY_EMAIL, code) != before


def test_codes_are_compared_in_constant_time(account, monkeypatch):
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(codes.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    code = codes.issue(account, codes.VERIFY_EMAIL)

    assert codes.check(account, codes.VERIFY_EMAIL, code) is Outcome.ACCEPTED
    assert compared


def test_a_code_works_once(account):
    code = codes.issue(account, codes.VERIFY_EMAIL)
    assert codes.check(account, codes.VERIFY_EMAIL, code) is Outcome.ACCEPTED
    assert codes.check(account, codes.VERIFY_EMAIL, code) is Outcome.USED


def test_a_code_is_bound_to_its_purpose(account):
    code = codes.issue(account, codes.VERIFY_EMAIL)
    assert codes.check(account, codes.RESET_PASSWORD, code) is not Outcome.ACCEPTED
    assert codes.check(account, codes.VERIFY_EMAIL, code) is Outcome.ACCEPTED


def test_a_code_is_bound_to_its_account(app, account):
    stranger = User(email="eve@example.org", full_name="Eve", password_hash="x")
    db.session.add(stranger)
    db.session.commit()
    code = codes.issue(account, codes.VERIFY_EMAIL)
    codes.issue(stranger, codes.VERIFY_EMAIL)
    assert codes.check(stranger, codes.VERIFY_EMAIL, code) is not Outcome.ACCEPTED


def test_five_wrong_tries_kill_a_code(account):
    code = codes.issue(account, codes.VERIFY_EMAIL)
    answers = [codes.check(account, codes.VERIFY_EMAIL, other(code)) for _ in range(5)]
    assert answers == [Outcome.WRONG] * 4 + [Outcome.TOO_MANY_TRIES]
    assert codes.check(account, codes.VERIFY_EMAIL, code) is Outcome.KILLED


def test_the_wrong_try_counter_is_kept_in_the_database(account):
    code = codes.issue(account, codes.VERIFY_EMAIL)
    db.session.commit()
    codes.check(account, codes.VERIFY_EMAIL, other(code))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(db.select(OneTimeCode.wrong_tries)) == 1


def test_a_code_expires_after_its_lifetime(account, clock):
    code = codes.issue(account, codes.VERIFY_EMAIL)
    clock.advance(30 * 60)
    assert codes.check(account, codes.VERIFY_EMAIL, code) is Outcome.EXPIRED


def test_the_lifetime_is_a_setting(app, account, clock):
    app.config["CODE_LIFETIME"] = 60
    code = codes.issue(account, codes.VERIFY_EMAIL)
    clock.advance(61)
    assert codes.check(account, codes.VERIFY_EMAIL, code) is Outcome.EXPIRED


def test_issuing_a_code_kills_older_ones_of_the_same_purpose_only(account):
    old_verify = codes.issue(account, codes.VERIFY_EMAIL)
    reset = codes.issue(account, codes.RESET_PASSWORD)
    codes.issue(account, codes.VERIFY_EMAIL)

    assert codes.check(account, codes.VERIFY_EMAIL, old_verify) is Outcome.KILLED
    assert codes.check(account, codes.RESET_PASSWORD, reset) is Outcome.ACCEPTED


def test_killing_all_codes_of_an_account(account):
    verify = codes.issue(account, codes.VERIFY_EMAIL)
    reset = codes.issue(account, codes.RESET_PASSWORD)
    codes.kill(account)
    assert codes.check(account, codes.VERIFY_EMAIL, verify) is Outcome.KILLED
    assert codes.check(account, codes.RESET_PASSWORD, reset) is Outcome.KILLED


def test_the_decoy_answers_like_a_real_code(account):
    code = codes.issue(account, codes.VERIFY_EMAIL)
    real = [codes.check(account, codes.VERIFY_EMAIL, other(code)) for _ in range(6)]
    decoy = [codes.decoy_check(tries) for tries in range(1, 7)]
    assert decoy == real
