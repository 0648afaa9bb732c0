"""The forms of the admin's second factor."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from portal.auth.forms import second_factor_code_field
from portal.web.forms import PortalForm


class SecondFactorForm(PortalForm):
    code = second_factor_code_field()


class AppCodeForm(PortalForm):
    """A code from the authenticator app alone: to confirm its set-up, and to make new recovery codes."""

    code = StringField(
        _l("Code from your app"),
        filters=[lambda value: value.replace(" ", "") if isinstance(value, str) else value],
        validators=[DataRequired(_l("Enter the code from your app.")),
                    Regexp(r"^[0-9]{6}$", message=_l("The code is the 6 digits your app shows."))],
    )
