"""Model classes: Model/AbstractModel/TransientModel, _inherit, _inherits, model attributes."""

from __future__ import annotations

import datetime

import pytest

from postroom import api, fields, models
from postroom.orm.models.meta import MetaModel


def test_model_attributes(orm_env):
    Record = orm_env["test_orm.record"]
    assert Record._name == "test_orm.record" and Record._table == "test_orm_record"
    assert Record._description == "Test Record"
    assert Record._order == "name, id"
    assert Record._rec_name == "name"
    assert orm_env["test_orm.mixed"]._rec_name == "label"
    assert orm_env["test_orm.mixin"]._abstract and not orm_env["test_orm.mixin"]._auto
    assert orm_env["test_orm.wizard"]._transient
    orm_env.cr.execute("SELECT to_regclass('test_orm_mixin'), to_regclass('test_orm_mixed')")
    assert orm_env.cr.fetchone() == (None, "test_orm_mixed")


def test_inherit_in_place(orm_env):
    record = orm_env["test_orm.record"].create({"name": "r"})
    assert record.extension_note == "extended"  # a field added by the extension
    assert record.describe() == "extended record"  # super() reaches the first definition
    assert "cancel" in dict(record._fields["state"].selection)


def test_inherit_from_mixins(orm_env):
    mixed = orm_env["test_orm.mixed"].create({"label": "m"})
    assert mixed.note == "from mixin"  # field and default from the mixin
    assert mixed.mixin_hello() == "hello from test_orm.mixed (mixed)"
    other = orm_env["test_orm.record.copy"].create({"name": "c"})
    assert other.mixin_hello() == "hello from test_orm.record.copy"
    # each model has its own field objects
    assert orm_env["test_orm.mixed"]._fields["note"] is not orm_env["test_orm.record.copy"]._fields["note"]
    assert orm_env["test_orm.record.copy"]._order == "id desc"


def test_inherits_delegation(orm_env):
    Delegate = orm_env["test_orm.delegate"]
    delegate = Delegate.create({"name": "d", "count": 4, "extra": "e"})
    assert delegate.record_id and delegate.record_id.name == "d"
    assert delegate.name == "d" and delegate.count == 4 and delegate.extra == "e"
    delegate.write({"name": "renamed", "extra": "f"})
    assert delegate.record_id.name == "renamed" and delegate.extra == "f"
    delegate.record_id.count = 9
    assert delegate.count == 9
    assert Delegate.search([("count", "=", 9)]) == delegate
    assert delegate.read(["name", "extra"])[0] == {"id": delegate.id, "name": "renamed",
                                                   "extra": "f"}
    # reusing an existing parent
    record = orm_env["test_orm.record"].create({"name": "existing"})
    second = Delegate.create({"record_id": record.id, "extra": "x"})
    assert second.name == "existing"
    # deleting the parent deletes the child (ondelete cascade on the link)
    record.unlink()
    assert not second.exists()
    field = Delegate._fields["name"]
    assert field.inherited and field.related == "record_id.name"


def test_inherits_copy(orm_env):
    delegate = orm_env["test_orm.delegate"].create({"name": "d", "extra": "e"})
    duplicate = delegate.copy({"name": "copied"})
    assert duplicate.record_id != delegate.record_id
    assert (duplicate.name, duplicate.extra) == ("copied", "e")
    assert delegate.name == "d"


def test_transient_vacuum(orm_env):
    Wizard = orm_env["test_orm.wizard"]
    old, fresh = Wizard.create([{"name": "old"}, {"name": "fresh"}])
    long_ago = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=3)
    orm_env.cr.execute("UPDATE test_orm_wizard SET write_date = %s WHERE id = %s",
                       (long_ago, old.id))
    assert Wizard._transient_vacuum() == 1
    assert not old.exists() and fresh.exists()
    assert Wizard._transient_vacuum() == 0


def test_unknown_attribute_is_refused():
    with pytest.raises(TypeError, match="bogus"):
        fields.Char(bogus=True)


def test_model_outside_an_addon_is_refused():
    with pytest.raises(TypeError, match="addon"):
        type("Stray", (models.Model,), {"_name": "stray.model", "__module__": "somewhere"})


def test_decorators_tag_methods():
    @api.depends("a", "b.c")
    def compute(self):
        pass

    @api.constrains("a")
    def check(self):
        pass

    @api.ondelete(at_uninstall=False)
    def forbid(self):
        pass

    assert compute._depends == ("a", "b.c")
    assert check._constrains == ("a",)
    assert forbid._ondelete is False

    @api.model_create_multi
    def create(self, vals_list):
        return vals_list

    assert create(None, {"a": 1}) == [{"a": 1}]
    assert create(None, [{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]
    assert create._api_model


def test_models_are_filed_by_addon():
    names = {cls._name for cls in MetaModel.module_to_models["test_orm"]}
    assert {"test_orm.record", "test_orm.mixin", "test_orm.delegate"} <= names


def test_inherits_link_keeps_a_restrict_ondelete(orm_env, make_user):
    """res.users delegates to res.partner with ondelete='restrict': the partner stays."""
    from postroom.exceptions import UserError
    user = make_user("base.group_user", name="Delegating Dora")
    assert user.name == "Delegating Dora" and user.partner_id.name == "Delegating Dora"
    user.name = "Dora"
    assert user.partner_id.name == "Dora"
    assert orm_env["res.users"]._fields["partner_id"].ondelete == "restrict"
    with pytest.raises(UserError), orm_env.cr.savepoint():
        user.partner_id.unlink()
    assert user.exists()
