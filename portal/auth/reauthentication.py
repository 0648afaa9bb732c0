"""Asking again who someone is before what can't be undone, when the last sign-in is not recent.

Adding or removing a passkey and exporting the data ask for the password (or
a passkey of the same account) once the sign-in is older than
`REAUTHENTICATION_SECONDS`, so a browser left open gives a passer-by minutes,
not the account. (Changing the address and deleting the account ask for the
password every time, in their own forms.) The moment of the last proof
travels in the signed session; `sessions.start` sets it at every log-in.
"""
import functools

from flask import current_app, request, session, url_for

from portal.auth.sessions import PROVED_AT
from portal.clock import now
from portal.web import json_steps
from portal.web.htmx import advance


def note() -> None:
    """The person just proved who they are (a log-in, or the confirmation step)."""
    session[PROVED_AT] = now().timestamp()


def is_recent() -> bool:
    moment = session.get(PROVED_AT)
    return isinstance(moment, int | float) and \
        now().timestamp() - moment <= current_app.config["REAUTHENTICATION_SECONDS"]


def required(then: str | None = None, **values):
    """Run the view only after a recent proof; else the confirmation step, which goes on to `then`
    (an endpoint, with `values` in its URL; by default the step itself, as a GET) once the person
    has proved it."""
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if is_recent():
                return view(*args, **kwargs)
            next_step = url_for(then, **values) if then else request.path
            confirm = url_for("account.confirm_identity", next=next_step)
            if request.is_json:
                return json_steps.ask_to_confirm(confirm)
            return advance(confirm)
        return guarded
    return decorate
