"""Harness for the data-file tests: a scratch database with ``ir.model.data`` and test models.

The registry holds ``ir.model.data`` (from ``base``) and stand-ins, owned by the
``data_test`` addon, for the models data files usually touch (menus, views,
actions, access rights, groups, users). Each test gets a superuser environment
on its own cursor, rolled back afterwards. The server is the test kit's
(``postroom_server``: embedded, or ``POSTROOM_TEST_DB_URL``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest

from postroom import api, fields, models
from postroom.addons.base.models.ir_model_data import IrModelData
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.orm.models import MetaModel
from postroom.orm.registry import Registry
from postroom.orm.schema import sync_models
from postroom.service.db import Server

ADDON = "data_test"


class User(models.Model):
    _name = "res.users"
    _module = ADDON
    _log_access = False

    name = fields.Char()


class Group(models.Model):
    _name = "res.groups"
    _module = ADDON
    _log_access = False

    name = fields.Char(required=True)


class Tag(models.Model):
    _name = "data_test.tag"
    _module = ADDON
    _log_access = False

    name = fields.Char(required=True)


class Partner(models.Model):
    _name = "data_test.partner"
    _module = ADDON
    _log_access = False

    name = fields.Char(required=True)
    note = fields.Text()
    color = fields.Integer()
    rate = fields.Float()
    is_company = fields.Boolean()
    since = fields.Date()
    parent_id = fields.Many2one("data_test.partner", ondelete="restrict")
    child_ids = fields.One2many("data_test.partner", "parent_id")
    tag_ids = fields.Many2many("data_test.tag")
    arch = fields.Text()
    body = fields.Text()
    image = fields.Binary(attachment=False)

    @api.model
    def _data_test_create_tag(self, name: str, suffix: str = "") -> None:
        self.env["data_test.tag"].create({"name": name + suffix})

    def set_color(self, color: int, *, note: str | None = None) -> None:
        self.write({"color": color, **({"note": note} if note is not None else {})})

    @api.model
    def _data_test_record_call(self, *args: object, **kwargs: object) -> None:
        """Keep what it was called with, and the context, in a tag's name."""
        lang = self.env.context.get("lang")
        self.env["data_test.tag"].create({"name": repr((args, kwargs, lang))})

    def action_fail(self) -> None:
        raise ValueError("this method always fails")


class Action(models.Model):
    _name = "ir.actions.act_window"
    _module = ADDON
    _log_access = False

    name = fields.Char(required=True)
    res_model = fields.Char()


class Menu(models.Model):
    _name = "ir.ui.menu"
    _module = ADDON
    _log_access = False
    _order = "sequence, id"

    name = fields.Char(required=True)
    parent_id = fields.Many2one("ir.ui.menu")
    action = fields.Char()
    sequence = fields.Integer(default=10)
    groups_id = fields.Many2many("res.groups")
    web_icon = fields.Char()


class View(models.Model):
    _name = "ir.ui.view"
    _module = ADDON
    _log_access = False

    name = fields.Char(required=True)
    type = fields.Char()
    arch = fields.Text()
    key = fields.Char()
    inherit_id = fields.Many2one("ir.ui.view")
    priority = fields.Integer(default=16)


class IrModel(models.Model):
    _name = "ir.model"
    _module = ADDON
    _log_access = False

    name = fields.Char()
    model = fields.Char(required=True)


class Access(models.Model):
    _name = "ir.model.access"
    _module = ADDON
    _log_access = False

    name = fields.Char(required=True)
    model_id = fields.Many2one("ir.model", required=True)
    group_id = fields.Many2one("res.groups")
    perm_read = fields.Boolean()
    perm_write = fields.Boolean()
    perm_create = fields.Boolean()
    perm_unlink = fields.Boolean()


HARNESS_MODELS = [User, Group, Tag, Partner, Action, Menu, View, IrModel, Access]


@pytest.fixture(scope="session")
def registry(postroom_server: Server) -> Iterator[Registry]:
    server = postroom_server
    name = f"postroom_data_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    database = server.create_database(name)
    try:
        registry = Registry(database)
        # only ir.model.data from base: the rest of base is not needed here
        addons = {"base": [IrModelData], ADDON: HARNESS_MODELS}
        with mock.patch.object(MetaModel, "module_to_models", addons):
            registry.build(list(addons))
        Registry.register(registry)
        with database.cursor() as cr:
            sync_models(cr, registry.models.values())
            Environment(cr, SUPERUSER_ID, {})["res.users"].create({"name": "Administrator"})
        yield registry
    finally:
        Registry.forget(name)
        server.drop_database(name)


@pytest.fixture
def env(registry: Registry) -> Iterator[Environment]:
    cr = registry.cursor()
    try:
        yield Environment(cr, SUPERUSER_ID, {})
    finally:
        cr.rollback()
        cr.close()


@pytest.fixture
def addon_dir(tmp_path: Path) -> Path:
    """An addon directory (with a manifest) to write data files into."""
    (tmp_path / "__manifest__.py").write_text("{'name': 'Data test'}\n")
    return tmp_path


@pytest.fixture
def write(addon_dir: Path) -> Callable[[str, str], Path]:
    """Write a data file of the test addon: ``write('data/x.xml', text)`` → its path."""

    def write_file(relative: str, text: str) -> Path:
        path = addon_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"))
        return path

    return write_file
