"""A WebAuthn authenticator in Python, for the rules that need no browser: it makes a real P-256 key,
answers with real CBOR and real signatures, and can be told to misbehave (no user verification,
a counter that goes back, another origin). The browser tests use Chromium's own virtual authenticator."""
import hashlib
import json
import secrets
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

USER_PRESENT, USER_VERIFIED, BACKUP_ELIGIBLE, BACKED_UP, ATTESTED = 0x01, 0x04, 0x08, 0x10, 0x40


class SoftAuthenticator:
    """One passkey on one authenticator. `counter` None stands for a synced passkey: it always says 0."""

    def __init__(self, origin="http://localhost", counter: int | None = 0):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.origin = origin
        self.counter = counter

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def create(self, options: dict) -> dict:
        """The answer to `navigator.credentials.create` with these options (`options_to_json`'s, parsed)."""
        numbers = self.key.public_key().public_numbers()
        cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                                -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose_key
        data = self._authenticator_data(options["rp"]["id"], USER_PRESENT | USER_VERIFIED | ATTESTED) + attested
        client_data = self._client_data("webauthn.create", options["challenge"])
        return {"id": self.id, "rawId": self.id, "type": "public-key",
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "attestationObject": bytes_to_base64url(
                                 cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": data})),
                             "transports": ["internal", "carrier-pigeon"]},
                "clientExtensionResults": {}}

    def get(self, options: dict, verified=True) -> dict:
        """The answer to `navigator.credentials.get`, signed."""
        if self.counter is not None:
            self.counter += 1
        flags = USER_PRESENT | (USER_VERIFIED if verified else 0)
        data = self._authenticator_data(options["rpId"], flags)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": self.id, "rawId": self.id, "type": "public-key",
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "authenticatorData": bytes_to_base64url(data),
                             "signature": bytes_to_base64url(signature), "userHandle": None},
                "clientExtensionResults": {}}

    def _authenticator_data(self, rp_id: str, flags: int) -> bytes:
        flags |= (BACKUP_ELIGIBLE | BACKED_UP) if self.counter is None else 0
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter or 0)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin}).encode()
