"""The ``postroom`` command (click): one module per group of subcommands."""
