"""Helpers that several test modules share (fixtures live in conftest.py)."""
import os
import re
import threading

from conftest import Visitor


def parallel(count, action):
    """Run `action` in `count` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results = []

    def run():
        barrier.wait()
        results.append(action())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def parallel_posts(app, count, path, data, visitors=None):
    """`count` people (or `visitors`) post `data` to `path` at the same moment; their statuses."""
    visitors = visitors or [Visitor(app.test_client(), htmx=False) for _ in range(count)]
    tokens = iter([(visitor, visitor.csrf_token(path)) for visitor in visitors])
    lock = threading.Lock()

    def post():
        with lock:
            visitor, token = next(tokens)
        return visitor.client.post(path, data={"csrf_token": token, **data}).status_code

    return parallel(count, post)


def count_verifications_of(monkeypatch, password_hash):
    """A list that grows by one for every argon2 check against `password_hash`."""
    from argon2 import PasswordHasher

    checks = []
    real = PasswordHasher.verify

    def counting(self, stored, password):
        if stored == password_hash:
            checks.append(stored)
        return real(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return checks


def title_of(response) -> str:
    """The text of a page's <title>."""
    return re.search(r"<title>(.*?)</title>", response.text, re.DOTALL).group(1).strip()


def write_instance_file(app, name, content):
    """Put a file (text or bytes) at `name` in the app's instance folder, as an admin would."""
    path = os.path.join(app.instance_path, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else content.encode())
    return path
