"""Hooks leave their traces in ir.config_parameter, which outlives the addon."""

from . import models


def pre_init(env):
    env.cr.execute("SELECT to_regclass('test_lifecycle_item') IS NOT NULL")
    env["ir.config_parameter"].set_param("test_lifecycle.pre_init",
                                         f"table exists: {env.cr.fetchone()[0]}")


def post_init(env):
    items = env["test.lifecycle.item"].search_count([])
    env["ir.config_parameter"].set_param("test_lifecycle.post_init", f"items: {items}")


def uninstall(env):
    items = env["test.lifecycle.item"].search_count([])
    env["ir.config_parameter"].set_param("test_lifecycle.uninstall", f"items: {items}")
