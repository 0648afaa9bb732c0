"""A flow that proves an address with a mailed code: one object per purpose.

Like django-allauth's code verification process: a `CodeFlow` holds what a
purpose means (its mail, its texts, its endpoints, what an accepted code
does), and its methods are the steps: `start`, `resume`, `resend`, `check`,
`finish`. The browser keeps only which flow it is in (address and a random
binding, in the signed session); what the code will unlock waits in the
database (`CodeFlowRecord`).

No dead end: starting again, in this browser or another, never kills the
code already mailed unless a new one goes out, and the step always says when
a new code can be asked for.
"""
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.auth import address_limits, codes
from portal.clock import duration_in_words, now, wait_in_words
from portal.extensions import db
from portal.mail import outbox
from portal.models import CodeFlowRecord, OneTimeCode, User
from portal.web.i18n import current_language, language_of

STATE_KEY = "code_flow"
NOTICE_KEY = "code_flow_notice"
RESENT = _l("We have sent a new code. Codes sent before it no longer work.")


@dataclass(frozen=True)
class Accepted:
    """Where the person goes once the code is accepted (and what the page should hear)."""

    next_endpoint: str
    trigger: str | None = None


@dataclass(frozen=True)
class Step:
    """What the code step shows: whether a code went when this browser asked, where, and when a new one
    may be asked for."""

    flow: "CodeFlow"
    address: str
    wait: address_limits.Refusal | None
    notice: str | None = None
    code_went: bool = True

    @property
    def seconds_to_wait(self) -> int:
        if self.wait is None:
            return 0
        return max(0, math.ceil((self.wait.open_again_at - now()).total_seconds()))


@dataclass(frozen=True)
class CodeFlow:
    purpose: str
    eyebrow: str
    intro: str
    mail_template: str
    mail_subject: str
    start_endpoint: str
    step_endpoint: str
    resend_endpoint: str
    # Whether this address's account (None: no account) is mailed a real code.
    gets_code: Callable[[User | None], bool]
    # What an accepted code does, given the address, its account and this browser's flow.
    on_accept: Callable[[str, User | None, CodeFlowRecord], Accepted]
    # The mail (template, subject) that goes instead of a code to an address
    # that doesn't get one, if any: given its account (None: no account).
    notice: Callable[[str, User | None], tuple[str, str] | None] = lambda address, user: None
    title: str = field(default=_l("Check your inbox"))

    def start(self, address: str, **pending) -> None:
        """Begin the flow in this browser, and mail a code if the throttles allow.

        The claim on the throttles commits on its own; the flow, its code and
        its mail then commit together, so a worker dying in between leaves
        all of them or none.
        """
        _forget_stale_records()
        refusal = address_limits.claim_send(address, self.purpose)
        binding = secrets.token_urlsafe(16)
        session[STATE_KEY] = {"purpose": self.purpose, "address": address, "binding": binding,
                              "code_went": refusal is None}
        session.pop(NOTICE_KEY, None)
        if refusal is not None:
            session[NOTICE_KEY] = _why_no_code_went(refusal)
        db.session.add(CodeFlowRecord(binding=binding, purpose=self.purpose, address=address,
                                      language=current_language(), **pending))
        if refusal is None:
            self._send(address)
        db.session.commit()

    def resume(self) -> Step | None:
        """The step this browser is on, if it is in this flow; a notice is shown once."""
        state = self._state()
        if state is None:
            return None
        return Step(self, state["address"], address_limits.send_refused(state["address"], self.purpose),
                    session.pop(NOTICE_KEY, None), state.get("code_went", True))

    def resend(self) -> bool:
        """Mail a new code if the throttles allow; the step will say what happened."""
        state = self._state()
        if state is None:
            return False
        refusal = address_limits.claim_send(state["address"], self.purpose)
        if refusal is None:
            self._send(state["address"])
            db.session.commit()
            session[STATE_KEY] = {**state, "code_went": True}
        session[NOTICE_KEY] = str(RESENT) if refusal is None else _why_no_code_went(refusal)
        return True

    def check(self, submitted: str) -> Accepted | str:
        """Accept the code (and finish), or say what is wrong with it."""
        state = self._state()
        reservation = address_limits.reserve(state["address"], address_limits.CODE_GUESSES)
        if not reservation.is_granted:
            return _("Too many wrong codes were entered for this address today. "
                     "You can try again in %(wait)s.", wait=wait_in_words(reservation.open_again_at))
        outcome, code = codes.check(state["address"], self.purpose, submitted)
        if outcome is codes.Outcome.ACCEPTED:
            # The code is spent in the transaction that does what it unlocks:
            # a worker dying in between leaves the code usable, not spent on nothing.
            accepted = self.finish(code, state["binding"])
            address_limits.succeeded(reservation)
            return accepted
        db.session.commit()
        if outcome in (codes.Outcome.WRONG, codes.Outcome.TOO_MANY_TRIES):
            address_limits.failed(reservation)
        else:
            address_limits.release(reservation)
        return outcome.message

    def finish(self, code: OneTimeCode, binding: str) -> Accepted | str:
        """The code proved the address: unlock what this browser's flow asked for."""
        record = db.session.scalar(select(CodeFlowRecord).where(CodeFlowRecord.binding == binding))
        session.pop(STATE_KEY, None)
        if record is None:
            return codes.Outcome.KILLED.message
        codes.kill(code.address, self.purpose)
        db.session.execute(delete(CodeFlowRecord).where(CodeFlowRecord.address == code.address,
                                                        CodeFlowRecord.purpose == self.purpose))
        accepted = self.on_accept(code.address, code.user, record)
        db.session.commit()
        return accepted

    def _state(self) -> dict | None:
        state = session.get(STATE_KEY)
        return state if state and state.get("purpose") == self.purpose else None

    def _send(self, address: str) -> None:
        """A code for the address: mailed to an account that gets one, else a decoy.

        Both paths render and write a mail (a decoy's is dropped before the
        commit), so the time an answer takes tells nothing.
        """
        user = db.session.scalar(select(User).where(User.email == address))
        minutes = current_app.config["CODE_LIFETIME"] // 60
        gets_code, notice = self.gets_code(user), self.notice(address, user)  # both asked on every path
        language = language_of(user)
        if gets_code:
            code = codes.issue(address, self.purpose, user=user)
            outbox.enqueue(address, self.mail_template, self.mail_subject, language=language, code=code,
                           minutes=minutes)
            return
        code = codes.issue(address, self.purpose, decoy=True)
        if notice:
            outbox.enqueue(address, *notice, language=language)
        else:
            outbox.enqueue(address, self.mail_template, self.mail_subject, decoy=True, language=language, code=code,
                           minutes=minutes)


def _why_no_code_went(refusal: address_limits.Refusal) -> str:
    """The refusal in words; the cooldown's are the same whether or not the address has an account."""
    if refusal.is_cooldown:
        period = duration_in_words(current_app.config["CODE_RESEND_COOLDOWN"])
        return _("A code was sent to this address less than %(period)s ago.", period=period)
    return str(refusal.reason)


def _forget_stale_records() -> None:
    """Flows older than two code lifetimes can no longer meet a live code."""
    cutoff = now() - timedelta(seconds=2 * current_app.config["CODE_LIFETIME"])
    db.session.execute(delete(CodeFlowRecord).where(CodeFlowRecord.created_at < cutoff))
