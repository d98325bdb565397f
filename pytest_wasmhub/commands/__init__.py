"""Subcommands of ``wasmhub``: one module each (see ``pytest_wasmhub.cli``)."""
