"""Test-only addons live in tests/addons: they are installed by tests, not collected."""

collect_ignore = ["addons"]
