"""The forms of My account; their fields are the account dialogs' own."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.auth.forms import (
    at_a_domain_that_may_register,
    current_password_field,
    email_field,
    full_name_field,
    new_password_fields,
    no_control_characters,
    organisation_field,
    second_factor_code_field,
    strip,
)
from portal.auth.passkeys import LONGEST_NAME
from portal.web.forms import PortalForm


class ChangePasswordForm(PortalForm):
    current_password = current_password_field()
    password, confirm = new_password_fields(_l("New password"), _l("Confirm new password"))


class DetailsForm(PortalForm):
    full_name = full_name_field()
    organisation = organisation_field()


class ChangeEmailForm(PortalForm):
    email = email_field(_l("New email address"))
    current_password = current_password_field()

    def validate_email(self, field):
        """A new address meets the rules a registration does, or the rules could be dodged."""
        at_a_domain_that_may_register(self, field)


class DeleteAccountForm(PortalForm):
    password = current_password_field(_l("Password"))


class PasskeyNameForm(PortalForm):
    name = StringField(_l("Name"), filters=[strip], validators=[
        DataRequired(_l("Enter a name for the passkey.")),
        Length(max=LONGEST_NAME, message=_l("Use at most %(max)d characters.", max=LONGEST_NAME)),
        no_control_characters,
    ])


class ConfirmIdentityForm(PortalForm):
    password = current_password_field(_l("Password"))


class AdminConfirmIdentityForm(ConfirmIdentityForm):
    """An admin's passkey can stand in for the app's code at log-in, so adding one (and the other
    steps behind this confirmation) takes that code too: a password alone can't make a second factor."""
    code = second_factor_code_field(_l("Code from your app"))
