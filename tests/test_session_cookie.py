"""A session cookie opened once per process still answers as itsdangerous would, every time."""
import time

import pytest
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import BadSignature, SignatureExpired

from portal.session_cookie import RememberingSerializer


def serializer(*keys):
    return RememberingSerializer(list(keys) or ["key"], salt="cookie-session", serializer=TaggedJSONSerializer(),
                                 signer_kwargs={"key_derivation": "hmac", "digest_method": "sha1"})


def test_what_one_request_changes_in_its_session_is_not_what_the_next_one_opens():
    cookie = serializer().dumps({"next": "/videos/1", "steps": ["register"], "seen": {"a": 1}})
    kept = serializer()
    opened = kept.loads(cookie)
    opened["next"] = "/elsewhere"
    opened["steps"].append("verify")
    opened["seen"]["a"] = 2
    assert kept.loads(cookie) == {"next": "/videos/1", "steps": ["register"], "seen": {"a": 1}}


def test_a_kept_cookie_expires_as_the_signature_does(monkeypatch):
    kept = serializer()
    cookie = kept.dumps({"csrf_token": "x"})
    assert kept.loads(cookie, max_age=60) == {"csrf_token": "x"}
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(SignatureExpired):
        kept.loads(cookie, max_age=60)


def test_a_cookie_signed_with_a_retired_key_is_refused_by_the_serializer_of_the_new_keys():
    cookie = serializer("old").dumps({"login": "x"})
    assert serializer("old", "new").loads(cookie) == {"login": "x"}  # the old key is still a fallback
    with pytest.raises(BadSignature):
        serializer("new").loads(cookie)
