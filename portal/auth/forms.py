"""The forms of the account dialogs; the password rules come from `passwords`."""
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from portal.auth import accounts, domains, passwords
from portal.web.forms import PortalForm


def no_control_characters(form, field):
    if field.data and any(ord(c) < 32 or ord(c) == 127 for c in field.data):
        raise ValidationError(_l("Remove the control characters from this field."))


def meets_password_policy(form, field):
    """Name every unmet rule in a message of its own, or that the password is known from breaches."""
    if not field.data:
        raise ValidationError(_l("Enter a password."))
    field.errors.extend(passwords.refusals(field.data))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def email_field(label=_l("Email")):
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(_l("Enter an email address like name@example.org.")),
        ],
    )


def new_password_fields(label=_l("Password"), confirm_label=_l("Confirm password")):
    password = PasswordField(label, validators=[meets_password_policy])
    confirm = PasswordField(
        confirm_label,
        validators=[DataRequired(_l("Enter the password again.")), EqualTo("password", _l("Passwords must match"))],
    )
    return password, confirm


def full_name_field():
    return StringField(
        _l("Full name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your full name.")),
            Length(max=200, message=_l("Use at most 200 characters.")),
            no_control_characters,
        ],
    )


def organisation_field():
    return StringField(
        _l("Organisation"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=_l("Use at most 200 characters.")), no_control_characters],
    )


def is_current_password(form, field):
    """The logged-in person's password, checked through the per-address try limit like a log-in."""
    refusal = accounts.check_password(current_user.email, field.data, current_user,
                                      wrong_message=accounts.WRONG_CURRENT_PASSWORD)
    if refusal:
        raise ValidationError(refusal)


def at_a_domain_that_may_register(form, field):
    """The admin's domain rules, checked before any code is sent; only once the address itself is well formed."""
    if not field.errors and not domains.may_register(field.data):
        raise ValidationError(domains.REFUSED_DOMAIN)


def current_password_field(label=_l("Current password")):
    return PasswordField(label, validators=[DataRequired(_l("Enter your current password.")), is_current_password])


def second_factor_code_field(label=_l("Code")):
    """An admin's code from the app, or one of the recovery codes (checked by `second_factor.check`)."""
    return StringField(
        label,
        filters=[strip],
        validators=[DataRequired(_l("Enter the code from your app, or a recovery code.")),
                    Length(max=20, message=_l("A code has 6 digits; a recovery code 10 letters and digits."))],
    )


class RegisterForm(PortalForm):
    full_name = full_name_field()
    email = email_field()
    organisation = organisation_field()
    password, confirm = new_password_fields()

    def validate_email(self, field):
        at_a_domain_that_may_register(self, field)


class CodeForm(PortalForm):
    code = StringField(
        _l("Verification code"),
        filters=[lambda value: value.replace(" ", "") if isinstance(value, str) else value],
        validators=[
            DataRequired(_l("Enter the code from the email.")),
            Regexp(r"^[0-9]{6}$", message=_l("The code is the 6 digits from the email.")),
        ],
    )


class LoginForm(PortalForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class ResetRequestForm(PortalForm):
    email = email_field()


class NewPasswordForm(PortalForm):
    password, confirm = new_password_fields(_l("New password"), _l("Confirm new password"))


class ButtonForm(PortalForm):
    """A form that is only a button: it carries the CSRF token."""
