"""The rules of one-time codes, called without a request."""
import hmac
import threading

import pytest

from portal.auth import codes
from portal.auth.flows import RESET_PASSWORD, VERIFY_EMAIL
from portal.extensions import db
from portal.models import OneTimeCode, User

Outcome = codes.Outcome
ADA = "ada@example.org"


@pytest.fixture
def account(app):
    with app.test_request_context():
        user = User(email=ADA, full_name="Ada", password_hash="x")
        db.session.add(user)
        db.session.commit()
        yield user


def issue(user, purpose=VERIFY_EMAIL.purpose):
    code = codes.issue(user.email, purpose, user=user)
    db.session.commit()
    return code


def check(code, purpose=VERIFY_EMAIL.purpose, address=ADA):
    outcome, _ = codes.check(address, purpose, code)
    db.session.commit()
    return outcome


def other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_six_digits_from_secrets_and_stored_only_as_a_keyed_hash(account, monkeypatch):
    drawn = []
    real = codes.secrets.randbelow
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: drawn.append(n) or real(n))
    code = issue(account)

    assert drawn == [10**6]
    assert len(code) == 6 and code.isdigit()
    [stored] = db.session.scalars(db.select(OneTimeCode)).all()
    assert code not in stored.code_hash
    assert stored.code_hash == codes.keyed_hash(ADA, VERIFY_EMAIL.purpose, code)


def test_the_hash_is_keyed_with_the_app_secret(app, account):
    code = issue(account)
    before = codes.keyed_hash(ADA, VERIFY_EMAIL.purpose, code)
    app.config["SECRET_KEY"] = "another secret"
    assert codes.keyed_hash(ADA, VERIFY_EMAIL.purpose, code) != before


def test_codes_are_compared_in_constant_time(account, monkeypatch):
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(codes.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    assert check(issue(account)) is Outcome.ACCEPTED
    assert compared


def test_a_code_works_once(account):
    code = issue(account)
    assert check(code) is Outcome.ACCEPTED
    assert check(code) is Outcome.USED


def test_a_code_is_bound_to_its_purpose(account):
    code = issue(account)
    assert check(code, purpose=RESET_PASSWORD.purpose) is not Outcome.ACCEPTED
    assert check(code) is Outcome.ACCEPTED


def test_a_code_is_bound_to_its_address(app, account):
    code = issue(account)
    assert check(code, address="eve@example.org") is not Outcome.ACCEPTED


def test_five_wrong_tries_kill_a_code(account):
    code = issue(account)
    answers = [check(other(code)) for _ in range(5)]
    assert answers == [Outcome.WRONG] * 4 + [Outcome.TOO_MANY_TRIES]
    assert check(code) is Outcome.KILLED


def test_the_wrong_try_counter_is_kept_in_the_database(account):
    code = issue(account)
    check(other(code))
    db.session.expire_all()
    assert db.session.scalar(db.select(OneTimeCode.wrong_tries)) == 1


def test_a_code_expires_after_its_lifetime(account, clock):
    code = issue(account)
    clock.advance(30 * 60)
    assert check(code) is Outcome.EXPIRED


def test_the_lifetime_is_a_setting(app, account, clock):
    app.config["CODE_LIFETIME"] = 60
    code = issue(account)
    clock.advance(61)
    assert check(code) is Outcome.EXPIRED


def test_issuing_a_code_replaces_the_older_ones_of_the_same_purpose_only(account):
    old_verify = issue(account)
    reset = issue(account, RESET_PASSWORD.purpose)
    issue(account)
    assert check(old_verify) is Outcome.REPLACED
    assert check(reset, RESET_PASSWORD.purpose) is Outcome.ACCEPTED


def test_killing_all_codes_of_an_address(account):
    verify = issue(account)
    reset = issue(account, RESET_PASSWORD.purpose)
    codes.kill(ADA)
    assert check(verify) is Outcome.KILLED
    assert check(reset, RESET_PASSWORD.purpose) is Outcome.KILLED


def test_a_decoy_answers_like_a_real_code_and_is_never_accepted(account, clock):
    real = issue(account)
    decoy = codes.issue("nobody@example.org", VERIFY_EMAIL.purpose, decoy=True)
    db.session.commit()
    assert check(decoy, address="nobody@example.org") is Outcome.WRONG
    real_answers = [check(other(real)) for _ in range(6)]
    decoy_answers = [check(other(decoy), address="nobody@example.org") for _ in range(5)]
    assert [Outcome.WRONG] + decoy_answers == real_answers


def test_a_decoy_expires_like_a_real_code(account, clock):
    issue(account)
    codes.issue("nobody@example.org", VERIFY_EMAIL.purpose, decoy=True)
    db.session.commit()
    clock.advance(30 * 60)
    assert check("123456") == check("123456", address="nobody@example.org") == Outcome.EXPIRED


def test_parallel_wrong_tries_all_count(app, account, tmp_path):
    code = issue(account)
    barrier = threading.Barrier(8)

    def guess():
        with app.test_request_context():
            barrier.wait()
            check(other(code))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    stored = db.session.scalar(db.select(OneTimeCode))
    assert stored.killed_at is not None
    assert check(code) is Outcome.KILLED


def test_a_code_is_accepted_once_even_in_parallel(app, account):
    code = issue(account)
    barrier = threading.Barrier(6)
    answers = []

    def submit():
        with app.test_request_context():
            barrier.wait()
            answers.append(check(code))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(Outcome.ACCEPTED) == 1
