"""The portal's languages: which one a request is in, the switch, and mail in a person's language.

A request's language is, in this order: the choice made with the header's
switch (a cookie, so it holds before log-in), the language kept on the
logged-in account, the best match of `Accept-Language`, English. The
address of a page never carries it, so every page answers
`Vary: Accept-Language, Cookie`.
"""
from contextlib import contextmanager
from pathlib import Path

from babel import Locale
from flask import Blueprint, current_app, g, has_request_context, redirect, request
from flask_babel import Babel, force_locale, format_date, format_datetime, format_decimal, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.extensions import db
from portal.web.navigation import safe_next

DEFAULT = "en"
# English, and every language with a compiled catalogue (`portal translations compile`).
SUPPORTED = (DEFAULT, *sorted(path.parent.parent.name
                              for path in (Path(__file__).parents[1] / "translations")
                              .glob("*/LC_MESSAGES/messages.mo")))
COOKIE = "language"
# What a page's language depends on besides its address (`security.add_security_headers` sends it).
VARY = ("Accept-Language", "Cookie")
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()
blueprint = Blueprint("i18n", __name__)


def _supported(language: str | None) -> str | None:
    return language if language in SUPPORTED else None


def select_language() -> str:
    """Flask-Babel's locale selector (outside a request, as in a command: English)."""
    if not has_request_context():
        return DEFAULT
    account_language = current_user.language if current_user.is_authenticated else None
    return (_supported(request.cookies.get(COOKIE)) or _supported(account_language)
            or request.accept_languages.best_match(SUPPORTED) or DEFAULT)


def current_language() -> str:
    """The language of this request, or of the `in_language` block around it."""
    locale = get_locale()
    return locale.language if locale else DEFAULT


def language_of(user) -> str:
    """The language to write to an account in: its own, else the request's."""
    return _supported(getattr(user, "language", None)) or current_language()


@contextmanager
def in_language(language: str | None):
    """Render (a mail, say) in `language`; None keeps the request's."""
    with force_locale(_supported(language) or current_language()):
        yield


def other_languages() -> list[dict]:
    """What the header's switch offers: the languages this page is not in, each named in itself."""
    return [{"code": code, "name": language_name(code, in_language=code)}
            for code in SUPPORTED if code != current_language()]


def language_name(code: str, in_language: str | None = None) -> str:
    """A language tag named in the page's language (or `in_language`):
    "en-GB" → "English (United Kingdom)", "Anglais (Royaume-Uni)"; "fr" in itself → "Français"."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(in_language or current_language())
    except (ValueError, TypeError):  # Babel's UnknownLocaleError is a ValueError
        return code
    return name[:1].upper() + name[1:] if name else code


def format_size(size: int) -> str:
    """A file size in powers of 1000, as Jinja's `filesizeformat` counts: "1.2 MB", "1,2 Mo"."""
    if size < 1000:
        return ngettext("%(num)s Byte", "%(num)s Bytes", size)
    units = (_l("%(size)s kB"), _l("%(size)s MB"), _l("%(size)s GB"), _l("%(size)s TB"))
    power = next((power for power in range(1, len(units)) if size < 1000 ** (power + 1)), len(units))
    return str(units[power - 1]) % {"size": format_decimal(size / 1000 ** power, format="0.0")}


def day(moment) -> str:
    """"25 November 2026", "25 novembre 2026"."""
    return format_date(moment, "d MMMM y")


def day_and_time(moment) -> str:
    """"25 November 2026, 14:05" (UTC), "25 novembre 2026, 14:05"."""
    return format_datetime(moment, "d MMMM y, HH:mm")


@blueprint.post("/language")
def switch():
    """The header's switch: remember the choice, on the account too, and show the same page again."""
    from portal.web.htmx import render

    language = _supported(request.form.get("language"))
    if language is None:
        return render("_message.html", 400, title=gettext("Unknown language"),
                      message=gettext("Choose a language in the header."))
    if current_user.is_authenticated:
        current_user.language = language
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or "/", 303)
    response.set_cookie(COOKIE, language, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _forget_the_previous_requests_language() -> None:
    """Flask-Babel keeps the locale on `g`, which an outer app context (a test's) shares between requests."""
    g.pop("_flask_babel", None)


def install(app) -> None:
    babel.init_app(app, locale_selector=select_language, default_locale=DEFAULT, default_timezone="UTC")
    app.before_request(_forget_the_previous_requests_language)
    app.register_blueprint(blueprint)
    app.jinja_env.globals.update(current_language=current_language, other_languages=other_languages,
                                 language_name=language_name)
    app.jinja_env.filters.update(file_size=format_size, day=day, day_and_time=day_and_time)
