"""``@api.depends_context``: non-stored computed values cached per context, never served stale."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from unittest import mock

import pytest

from postroom import api, fields, models
from postroom.orm.models.meta import MetaModel
from postroom.orm.registry import Registry


@pytest.fixture
def record(orm_env):
    return orm_env["test_orm.context"].create({"name": "Hello"})


def test_without_depends_context_the_first_language_wins(record):
    """What the decorator prevents: a value cached for every context is served stale."""
    assert record.with_context(lang="en_US").shared_lang_label == "Hello [en_US]"
    assert record.with_context(lang="fr_FR").shared_lang_label == "Hello [en_US]"  # stale


def test_values_are_cached_per_language(record):
    english = record.with_context(lang="en_US").lang_label
    french = record.with_context(lang="fr_FR").lang_label
    assert english.startswith("Hello [en_US] #") and french.startswith("Hello [fr_FR] #")
    # each language keeps its own value: reading again computes nothing
    assert record.with_context(lang="en_US").lang_label == english
    assert record.with_context(lang="fr_FR").lang_label == french
    assert record.lang_label.startswith("Hello [None] #")  # no lang in the context


def test_other_context_keys_do_not_matter(record):
    label = record.with_context(lang="fr_FR").lang_label
    assert record.with_context(lang="fr_FR", tz="Europe/Paris").lang_label == label
    assert record.with_context(lang="fr_FR").sudo().lang_label == label


def test_read_and_batches_use_the_reader_context(orm_env):
    records = orm_env["test_orm.context"].create([{"name": f"r{i}"} for i in range(5)])
    english = records.with_context(lang="en_US")
    assert [r.lang_label.split(" #")[0] for r in english] == [f"r{i} [en_US]" for i in range(5)]
    french = records.with_context(lang="fr_FR").read(["lang_label"])
    assert [row["lang_label"].split(" #")[0] for row in french] == \
        [f"r{i} [fr_FR]" for i in range(5)]


def test_a_change_invalidates_every_language(record):
    english = record.with_context(lang="en_US").lang_label
    record.with_context(lang="fr_FR").lang_label  # noqa: B018 (cached in French too)
    record.name = "Bye"
    assert record.with_context(lang="en_US").lang_label.startswith("Bye [en_US] #")
    assert record.with_context(lang="en_US").lang_label != english
    assert record.with_context(lang="fr_FR").lang_label.startswith("Bye [fr_FR] #")


def test_inverse_sees_the_written_value(record):
    french = record.with_context(lang="fr_FR")
    french.lang_label  # noqa: B018 (a cached French value, replaced by the write)
    french.lang_label = "Salut"
    assert record.name == "Salut"
    assert french.lang_label.startswith("Salut [fr_FR] #")


def test_fields_reading_context_dependent_values_depend_on_the_context(orm_env, record):
    context_model = orm_env["test_orm.context"]
    assert context_model._fields["loud_label"].depends_context == ("lang",)
    assert context_model._fields["parent_lang_label"].depends_context == ("lang",)
    assert record.with_context(lang="en_US").loud_label.startswith("HELLO [EN_US] #")
    assert record.with_context(lang="fr_FR").loud_label.startswith("HELLO [FR_FR] #")
    child = context_model.create({"name": "Child", "parent_id": record.id})
    assert child.with_context(lang="en_US").parent_lang_label.startswith("Hello [en_US] #")
    assert child.with_context(lang="fr_FR").parent_lang_label.startswith("Hello [fr_FR] #")


def test_uid(orm_env, record, make_user):
    user = make_user("base.group_user")
    superuser = f"Hello for {orm_env.user.login}"
    assert record.user_label == superuser
    assert record.with_user(user).user_label == f"Hello for {user.login}"
    assert record.user_label == superuser


def test_company(orm_env, record):
    main = orm_env.company
    other = orm_env["res.company"].create({"name": "Other Co", "partner_id": orm_env[
        "res.partner"].create({"name": "Other Co"}).id})
    assert record.company_label == f"Hello at {main.name}"
    assert record.with_company(other).company_label == "Hello at Other Co"
    assert record.with_company(main).company_label == f"Hello at {main.name}"
    assert orm_env.context_key(("company", "companies")) == (main.id, tuple(orm_env.companies.ids))


def test_active_test(orm_env, record):
    categories = orm_env["test_orm.category"]
    parent = categories.create({"name": "Parent"})
    categories.create([{"name": "On", "parent_id": parent.id},
                       {"name": "Off", "parent_id": parent.id, "active": False}])
    record.category_id = parent
    assert record.subcategory_count == 1
    assert record.with_context(active_test=False).subcategory_count == 2
    assert record.with_context(active_test=True).subcategory_count == 1


def test_context_key_values(orm_env):
    env = orm_env(context={"lang": "fr_FR", "ids": [1, [2]], "opts": {"a": [1]}})
    key = env.context_key(("uid", "lang", "active_test", "ids", "opts", "missing"))
    assert key == (orm_env.uid, "fr_FR", True, (1, (2,)), (("a", (1,)),), None)
    assert isinstance(hash(key), int)


def test_a_stored_field_refuses_depends_context():
    with mock.patch.object(MetaModel, "module_to_models", defaultdict(list)):
        class Label(models.Model):
            _name = "scratch.label"
            _module = "scratch_depends_context"
            _log_access = False

            name = fields.Char()
            label = fields.Char(compute="_compute_label", store=True)

            @api.depends("name")
            @api.depends_context("lang")
            def _compute_label(self) -> None:
                for record in self:
                    record.label = f"{record.name} [{self.env.lang}]"

        registry = Registry(SimpleNamespace(dbname="scratch"))
        with pytest.raises(TypeError) as info:
            registry.build(["scratch_depends_context"])
    assert str(info.value) == (
        "Field scratch.label.label is stored, but its compute method '_compute_label' has "
        "@api.depends_context('lang'): a stored value cannot vary with the reader's context. "
        "Make the field store=False, or remove the decorator.")
