"""Addons: discovery on the addons path, dependency order, install/upgrade/uninstall."""
