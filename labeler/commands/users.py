"""``labeler user``: add accounts, list them, change a role, reset a password, issue an API token. Passwords are
read from a prompt, or from stdin when it is not a terminal."""

import sys

import click

from labeler.auth import AccountError, create_user
from labeler.commands.common import _app, _session, _user, db_option
from labeler.models import ROLES


@click.group()
def user():
    """Manage accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="annotator", show_default=True)
@db_option
def user_add(username, role, database):
    """Add an account; the password is read from a prompt, or from stdin when it is not a terminal.

    Example:

        labeler user add ana --role annotator
        printf 'secret\\n' | labeler user add bot --role reviewer
    """
    password = _read_password()
    app = _app(database)
    with _session(app) as session:
        try:
            create_user(session, username, password, role)
            session.commit()
        except AccountError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"added {role} {username!r}")


@user.command("list")
@db_option
def user_list(database):
    """List the accounts: name, role, and whether an API token is set.

    Example:

        labeler user list
    """
    from sqlmodel import select

    from labeler.models import User

    app = _app(database)
    with _session(app) as session:
        for account in session.exec(select(User).order_by(User.username)):
            click.echo(f"{account.username}\t{account.role}\t{'token' if account.api_token_hash else '-'}")


@user.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@db_option
def user_set_role(username, role, database):
    """Change a user's role (the last admin stays an admin).

    Example:

        labeler user set-role ana reviewer
    """
    from labeler.auth import set_role

    _change_account(database, username, lambda session, account: set_role(session, account, role))
    click.echo(f"{username!r} is now {role}")


@user.command("reset-password")
@click.argument("username")
@db_option
def user_reset_password(username, database):
    """Set a new password, read from a prompt or from stdin when it is not a terminal.

    Example:

        printf 'new secret\\n' | labeler user reset-password ana
    """
    from labeler.auth import set_password

    password = _read_password()
    _change_account(database, username, lambda session, account: set_password(session, account, password))
    click.echo(f"new password set for {username!r}")


@user.command("token")
@click.argument("username")
@db_option
def user_token(username, database):
    """Make a new API token for a user (the old one stops working) and print it: it is shown only once.

    Example:

        labeler user token ana
        curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:5000/api/v1/projects
    """
    from labeler.auth import issue_token

    app = _app(database)
    with _session(app) as session:
        token = issue_token(session, _user(session, username))
        session.commit()
    click.echo(token)


def _change_account(database, username: str, change) -> None:
    """Apply ``change(session, account)`` to an existing account and commit, or fail with a clean message."""
    app = _app(database)
    with _session(app) as session:
        try:
            change(session, _user(session, username))
            session.commit()
        except AccountError as error:
            raise click.ClickException(str(error)) from None


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")
