"""The password policy, defined once, and the argon2id hasher."""
import pytest

from portal import passwords

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


def test_a_password_of_256_characters_is_allowed_and_never_truncated():
    password = "Aa1-" + "x" * 252
    assert passwords.unmet_rules(password) == []
    hashed = passwords.hash_password(password)
    assert passwords.verify_password(hashed, password)
    assert not passwords.verify_password(hashed, password[:-1])


def test_the_hint_states_the_same_minimum():
    assert f"at least {passwords.MIN_LENGTH} characters" in passwords.HINT


def test_hashes_are_argon2id_with_at_least_rfc_9106_low_memory_parameters():
    hashed = passwords.hash_password(GOOD)
    assert hashed.startswith("$argon2id$")
    assert passwords.hasher.memory_cost >= 64 * 1024
    assert passwords.hasher.time_cost >= 3


def test_a_wrong_password_or_broken_hash_does_not_verify():
    hashed = passwords.hash_password(GOOD)
    assert not passwords.verify_password(hashed, "Wrong-Horse-42")
    assert not passwords.verify_password("not a hash", GOOD)
