"""The password policy, defined once, and the argon2id hasher."""
import pytest
from argon2 import extract_parameters, profiles

from portal.auth import passwords
from portal.config import Defaults

GOOD = "Correct-Horse-42"


def test_a_password_meeting_every_rule_passes():
    assert passwords.unmet_rules(GOOD) == []


@pytest.mark.parametrize(
    "password, word",
    [
        ("Short-1a", "12"),
        ("Correct Horse-42", "spaces"),
        ("Correct\tHorse-42", "spaces"),
        ("correct-horse-42", "uppercase"),
        ("CORRECT-HORSE-42", "lowercase"),
        ("Correct-Horse-xx", "number"),
        ("CorrectHorse42xx", "symbol"),
        ("Aa1-" + "x" * 253, "256"),
    ],
)
def test_each_broken_rule_is_named_in_its_own_message(password, word):
    [message] = passwords.unmet_rules(password)
    assert word in message


@pytest.fixture
def in_app(app):
    with app.app_context():
        yield app


def test_a_password_of_256_characters_is_allowed_and_never_truncated(in_app):
    password = "Aa1-" + "x" * 252
    assert passwords.unmet_rules(password) == []
    hashed = passwords.hash_password(password)
    assert passwords.verify_password(hashed, password)
    assert not passwords.verify_password(hashed, password[:-1])


def test_the_hint_states_the_same_minimum():
    assert f"at least {passwords.MIN_LENGTH} characters" in passwords.HINT


def test_hashes_are_argon2id_with_at_least_rfc_9106_low_memory_parameters_by_default(in_app):
    in_app.config.update({name: getattr(Defaults, name) for name in dir(Defaults) if name.startswith("PASSWORD_HASH_")})
    parameters = extract_parameters(passwords.hash_password(GOOD))
    floor = profiles.RFC_9106_LOW_MEMORY
    assert parameters.type == floor.type
    assert parameters.memory_cost >= floor.memory_cost
    assert parameters.time_cost >= floor.time_cost
    assert parameters.parallelism == floor.parallelism


def test_the_hash_cost_is_a_setting_and_a_change_asks_for_a_rehash(in_app):
    in_app.config.update(PASSWORD_HASH_TIME_COST=1, PASSWORD_HASH_MEMORY_COST=8, PASSWORD_HASH_PARALLELISM=1)
    cheap = passwords.hash_password(GOOD)
    assert (extract_parameters(cheap).time_cost, extract_parameters(cheap).memory_cost) == (1, 8)
    assert not passwords.needs_rehash(cheap)
    in_app.config["PASSWORD_HASH_TIME_COST"] = 2
    assert passwords.needs_rehash(cheap)
    assert passwords.verify_password(cheap, GOOD)


def test_a_wrong_password_or_broken_hash_does_not_verify(in_app):
    hashed = passwords.hash_password(GOOD)
    assert not passwords.verify_password(hashed, "Wrong-Horse-42")
    assert not passwords.verify_password("not a hash", GOOD)


def test_a_process_runs_no_more_argon2_computations_at_once_than_its_setting(in_app, monkeypatch):
    """Eight log-ins at once on a 2-slot process: two are hashed at a time, all eight are answered."""
    import threading
    import time

    from argon2 import PasswordHasher

    from helpers import parallel

    in_app.config["PASSWORD_HASH_CONCURRENCY"] = 2
    in_app.extensions.pop("password_hashing", None)
    hashed = passwords.hash_password(GOOD)
    running, most = [0], [0]
    lock = threading.Lock()
    real = PasswordHasher.verify

    def watched(self, stored, password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)  # long enough for the others to pile in, were they let in
        try:
            return real(self, stored, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(PasswordHasher, "verify", watched)

    def log_in():
        with in_app.app_context():
            return passwords.verify_password(hashed, GOOD)

    assert parallel(8, log_in) == [True] * 8
    assert most[0] == 2
