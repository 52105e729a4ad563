"""The database itself: ``labeler db upgrade`` creates or upgrades its schema; ``labeler backup`` and
``labeler restore`` copy a SQLite database out and back (PostgreSQL has pg_dump)."""

from pathlib import Path

import click

from labeler import db
from labeler.commands.common import _app, db_option


@click.group("db")
def db_group():
    """Database maintenance."""


@db_group.command("upgrade")
@db_option
def db_upgrade(database):
    """Create the schema, or upgrade it to the latest version.

    Example:

        labeler db upgrade --db sqlite:///team.db
    """
    app = _app(database)
    db.upgrade(app.extensions["labeler.engine"])
    click.echo("database is at the latest schema")


@click.command("backup")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The backup file to create.")
@db_option
def backup_command(output, database):
    """Back up a SQLite database while the server runs (SQLite's online backup API).

    For PostgreSQL use pg_dump.

    Example:

        labeler backup -o backups/labeler-2026-11-23.db
    """
    from labeler.backup import BackupError, backup

    try:
        size = backup(_database_url(database), output)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {output} ({size / 1e6:.1f} MB, integrity checked)")


@click.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace the existing database.")
@db_option
def restore_command(backup_file, force, database):
    """Restore a SQLite database from a backup. Stop the server first.

    Example:

        labeler restore backups/labeler-2026-11-23.db --force
    """
    from labeler.backup import BackupError, restore

    url = _database_url(database)
    try:
        restore(backup_file, url, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {backup_file} into {url}")


def _database_url(database: str | None) -> str:
    """The database a command works on, without opening (or upgrading) it."""
    from labeler import ROOT, config

    return database or config.database_url(ROOT / "instance")
