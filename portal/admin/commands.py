"""`portal users …`: thin, the work is in `users` (and written to the audit log there)."""
import sys

import click
from cryptography.fernet import InvalidToken
from flask.cli import AppGroup

from portal.admin import approvals, audit, users
from portal.auth import accounts, passwords
from portal.csv_cells import write_rows
from portal.models import User

users_group = AppGroup("users", help="Accounts, admins and their second factor.")


def _account(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no account has the address {email}")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if unmet := passwords.refusals(password):
            raise click.ClickException("the password does not meet the policy: " + " ".join(unmet))
        return password
    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        unmet = passwords.refusals(password)
        if not unmet:
            return password
        click.echo(passwords.HINT + "\n" + "\n".join(unmet), err=True)


@users_group.command("create-admin")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_admin_command(email, password_stdin):
    """Create an admin account (verified), or make an existing account an admin.

    Asks for the password, with the policy of every password; an existing
    account keeps its own. The admin sets up the second factor at the first log-in.
    """
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from error
    existing = accounts.find_user(email)
    password = None if existing else _read_password(password_stdin)
    user, created = users.create_admin(email, password)
    click.echo(f"{user.email} is {'a new' if created else 'now an'} admin; "
               "the second factor is set up at the first log-in.")


@users_group.command("list")
@click.option("--unverified", is_flag=True, help="Only accounts whose address was never verified.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on standard output.")
def list_command(unverified, as_csv):
    """Every account, oldest first."""
    listing = users.accounts_listing(unverified)
    rows = [(user.email, user.full_name, user.role, user.created_at.isoformat(),
             user.verified_at.isoformat() if user.verified_at else "",
             user.disabled_at.isoformat() if user.disabled_at else "")
            for user in listing]
    if as_csv:
        write_rows(["email", "name", "role", "created_at", "verified_at", "disabled_at"], rows)
        return
    for user, (email, name, role, created, *_dates) in zip(listing, rows, strict=True):
        click.echo(f"{created[:16]}  {role:<6}  {users.state_word(user):<10}  {email}  {name}")
    click.echo(f"{len(rows)} account(s)")


@users_group.command("show")
@click.argument("email")
def show_command(email):
    """One account: details, state, second factor, sessions, downloads, locks."""
    user = _account(email)
    lines = users.state_of(user)
    for label, value in lines:
        click.echo(f"{label + ':':<22}{value}")


@users_group.command("disable")
@click.argument("email")
def disable_command(email):
    """The account can't log in (it is answered like a wrong password); its sessions end now."""
    user = _account(email)
    users.disable(user, audit.COMMAND_LINE)
    click.echo(f"{user.email} is disabled; its sessions have ended.")


@users_group.command("approve")
@click.argument("email")
def approve_command(email):
    """Let an account that waits for approval download; its owner is mailed."""
    user = _account(email)
    if not approvals.approve(user, audit.COMMAND_LINE):
        raise click.ClickException(f"{user.email} is not waiting for approval")
    click.echo(f"{user.email} is approved; its owner is told by mail.")


@users_group.command("refuse")
@click.argument("email")
def refuse_command(email):
    """Refuse an account that waits for approval: it is deleted and its owner mailed; the address may register again."""
    user = _account(email)
    address = user.email
    if not approvals.refuse(user, audit.COMMAND_LINE):
        raise click.ClickException(f"{address} is not waiting for approval")
    click.echo(f"{address} is refused: the account is deleted and its owner told by mail.")


@users_group.command("enable")
@click.argument("email")
def enable_command(email):
    """Undo `disable`."""
    user = _account(email)
    users.enable(user, audit.COMMAND_LINE)
    click.echo(f"{user.email} is enabled.")


@users_group.command("unlock")
@click.argument("email")
def unlock_command(email):
    """Clear the address's lockouts (log-in, codes, second factor) and its code-send caps."""
    users.unlock(email, audit.COMMAND_LINE)
    click.echo(f"{accounts.normalise_email(email)}: lockouts and send caps cleared.")


@users_group.command("delete")
@click.argument("email")
@click.confirmation_option(prompt="Delete this account, its sessions and its personal data?")
def delete_command(email):
    """Delete the account as its owner would: downloads stay on record without the person; the owner is mailed."""
    user = _account(email)
    address = user.email
    users.delete_account(user, audit.COMMAND_LINE)
    click.echo(f"{address} is deleted.")


@users_group.command("purge-unverified")
@click.option("--older-than", "older_than", required=True, metavar="AGE", help="e.g. 7d, 12h, 30m, 2w")
def purge_unverified_command(older_than):
    """Delete accounts never verified, and unfinished code flows, older than AGE."""
    try:
        age = users.parse_age(older_than)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from error
    accounts_gone, flows_gone = users.purge_unverified(age, audit.COMMAND_LINE)
    click.echo(f"{accounts_gone} unverified account(s) and {flows_gone} unfinished code flow(s) deleted.")


@users_group.command("reset-2fa")
@click.argument("email")
def reset_second_factor_command(email):
    """A lost phone: the admin sets up a new second factor at the next log-in."""
    user = _account(email)
    users.reset_second_factor(user, audit.COMMAND_LINE)
    click.echo(f"{user.email}: second factor and recovery codes removed; sessions ended. "
               "A new one is set up at the next log-in.")


@users_group.command("reencrypt-2fa-keys")
def reencrypt_totp_keys_command():
    """Encrypt every admin's TOTP key with TOTP_ENCRYPTION_KEY, after it changed.

    The old key stays in TOTP_ENCRYPTION_KEY_FALLBACKS until this has run; then it can go.
    """
    try:
        count = users.reencrypt_totp_keys(audit.COMMAND_LINE)
    except InvalidToken as error:
        raise click.ClickException("a stored TOTP key opens with none of TOTP_ENCRYPTION_KEY and its fallbacks; "
                                   "nothing was changed (add the key it was encrypted with to the fallbacks)"
                                   ) from error
    click.echo(f"{count} admin's TOTP key(s) encrypted with the current key; older keys can go from "
               "TOTP_ENCRYPTION_KEY_FALLBACKS.")
