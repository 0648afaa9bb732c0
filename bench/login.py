"""Time of a successful login POST against one raw argon2 verify of the same hash.

    .venv/bin/python bench/login.py              # BENCH_ROUNDS=21 by default

One process, the portal's production hash settings (`PASSWORD_HASH_*` in
portal/config.py), SQLite in a temporary instance folder, the Flask test
client (no server: the figure is the portal's own work around the hash).
Each round logs in (GET /login for the CSRF token, then the timed POST, which
must answer 303), logs out, and times `argon2.PasswordHasher.verify` of the
account's stored hash with the same parameters; the medians and the median of
the rounds' differences are printed.
"""
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from common import median, portal_app, verified_user

PASSWORD = "Bench-Password-1"


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "21"))
    with tempfile.TemporaryDirectory() as folder:
        # Many logins from one address in a row: the bench is not about the limits.
        app = portal_app(Path(folder) / "instance", RATELIMIT_ENABLED=False)
        verified_user(app)
        from argon2 import PasswordHasher

        from portal.extensions import db
        from portal.models import User

        config = app.config
        raw = PasswordHasher(time_cost=config["PASSWORD_HASH_TIME_COST"],
                             memory_cost=config["PASSWORD_HASH_MEMORY_COST"],
                             parallelism=config["PASSWORD_HASH_PARALLELISM"])
        with app.app_context():
            stored_hash = db.session.scalars(db.select(User.password_hash)).one()
        client = app.test_client()
        logins, verifies = [], []
        for number in range(rounds + 1):
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            form = {"csrf_token": token, "email": "bench@example.org", "password": PASSWORD}
            started = time.perf_counter()
            response = client.post("/login", data=form)
            login_seconds = time.perf_counter() - started
            assert response.status_code == 303, response.status_code
            started = time.perf_counter()
            raw.verify(stored_hash, PASSWORD)
            verify_seconds = time.perf_counter() - started
            logout = client.get("/").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', logout).group(1)
            assert client.post("/logout", data={"csrf_token": token}).status_code == 303
            if number:  # the first round warms up (imports, the dummy hash, templates)
                logins.append(login_seconds)
                verifies.append(verify_seconds)
        print(f"argon2id time_cost={config['PASSWORD_HASH_TIME_COST']} "
              f"memory_cost={config['PASSWORD_HASH_MEMORY_COST']} KiB "
              f"parallelism={config['PASSWORD_HASH_PARALLELISM']}, {rounds} rounds")
        print(f"login POST median {median(logins) * 1000:.1f} ms, raw verify median {median(verifies) * 1000:.1f} ms")
        overhead = median([login - verify for login, verify in zip(logins, verifies, strict=True)])
        print(f"login POST - raw verify (median of the rounds): {overhead * 1000:.1f} ms  (target <= 20 ms)")


if __name__ == "__main__":
    sys.exit(main())
