"""The ``eduguard`` command (Typer + Rich)."""
