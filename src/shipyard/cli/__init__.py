"""The ``shipyard`` command (Typer + Rich), one module per command group."""
