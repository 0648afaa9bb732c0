"""What every template, and every macro it imports, may use (each area adds its own on its blueprint)."""
from portal.clock import wait_in_words
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


def install(app) -> None:
    app.jinja_env.globals.update(
        current_page=current_page,
        focus_target=focus_target,
        error_links=error_links,
        wait_in_words=wait_in_words,
    )
