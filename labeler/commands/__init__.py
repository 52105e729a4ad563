"""The ``labeler`` commands, one module per concern: data in and out (``data``), the annotation workflow and its
reports (``workflow``), the database (``database``), accounts (``users``) and serving (``serving``), with what
they share in ``common``. ``labeler/cli.py`` attaches them to the ``main`` group."""
