"""What every template, and every macro it imports, may use."""
from flask_login import current_user

from portal.auth import passwords
from portal.clock import wait_in_words
from portal.media import describe, links, terms
from portal.pages import branding
from portal.web.htmx import current_page


def _fillable(form) -> list:
    return [field for field in form if field.type not in ("CSRFTokenField", "HiddenField")]


def focus_target(form) -> str | None:
    """The field a step focuses: its first field, unless the step shows errors
    (then focus goes to their summary, see `error_links`)."""
    fields = _fillable(form)
    if not fields or any(field.errors for field in fields):
        return None
    return fields[0].name


def error_links(form) -> list[tuple[str, str]]:
    """Each error of the form with the id of the control that fixes it, for the
    summary at the top of a step: a choice of options links to its first option."""
    links = []
    for field in _fillable(form):
        target = f"{field.id}-0" if field.type == "RadioField" else field.id
        links.extend((target, error) for error in field.errors)
    return links


def duration(seconds: int) -> str:
    """1:02:03 or 4:05."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def download_link(rendition_id: int) -> str:
    return links.link_for(current_user, rendition_id)


def install(app) -> None:
    app.jinja_env.globals.update(
        current_page=current_page,
        focus_target=focus_target,
        error_links=error_links,
        password_hint=passwords.HINT,
        site_logo=branding.logo_url,
        download_link=download_link,
        wait_in_words=wait_in_words,
        terms_of_use=terms.notice,
    )
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["file_summary"] = describe.summary
