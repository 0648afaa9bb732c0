"""What every template, and every macro it imports, may use."""
from . import passwords
from .htmx import current_page


def focus_target(form) -> str | None:
    """The field a step focuses: its first invalid field, else its first field."""
    names = [field.name for field in form if field.type not in ("CSRFTokenField", "HiddenField")]
    invalid = [name for name in names if form[name].errors]
    return (invalid or names or [None])[0]


def install(app) -> None:
    app.jinja_env.globals.update(
        current_page=current_page,
        focus_target=focus_target,
        password_hint=passwords.HINT,
    )
