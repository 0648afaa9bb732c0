"""The forms of the admin's second factor."""
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from ..form_base import PortalForm


class SecondFactorForm(PortalForm):
    code = StringField(
        "Code",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired("Enter the code from your app, or a recovery code."),
                    Length(max=20, message="A code has 6 digits; a recovery code 10 letters and digits.")],
    )


class SetUpForm(PortalForm):
    code = StringField(
        "Code from your app",
        filters=[lambda value: value.replace(" ", "") if isinstance(value, str) else value],
        validators=[DataRequired("Enter the code from your app."),
                    Regexp(r"^[0-9]{6}$", message="The code is the 6 digits your app shows.")],
    )
