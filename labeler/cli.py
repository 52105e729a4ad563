"""The ``labeler`` command line: the ``main`` group, its commands attached, and the console script ``run``. The
commands live in ``labeler/commands``, one module per concern. Library code lives in the services; the commands
parse, call and print."""

import gc

import click

from labeler.commands.data import export_command, import_command
from labeler.commands.database import backup_command, db_group, restore_command
from labeler.commands.serving import demo, serve
from labeler.commands.users import user
from labeler.commands.workflow import (
    adjudicate_command, agreement_command, align_command, assign_command, mqm_command, suggest_command,
)


@click.group()
def main():
    """Annotate multilingual text side by side."""


def run() -> None:
    """The ``labeler`` command: ``main``, with what the imports built kept out of the garbage collector's way."""
    # Modules, classes and their schemas live as long as the process. Frozen, the collector's passes skip them,
    # the last one at exit included (0.2 s of every command, issue 8), and forked workers read their pages
    # without copying them.
    gc.freeze()
    main(prog_name="labeler")


for command in (import_command, align_command, export_command, mqm_command, suggest_command, agreement_command,
                assign_command, adjudicate_command, backup_command, restore_command, user, db_group, serve, demo):
    main.add_command(command)
