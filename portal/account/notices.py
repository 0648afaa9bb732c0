"""A sentence My account shows once, on its next view ("Your details were saved.")."""
from flask import session

NOTICE_KEY = "account_notice"


def tell(notice: str) -> None:
    session[NOTICE_KEY] = notice


def pop() -> str | None:
    return session.pop(NOTICE_KEY, None)
