"""Access control: ir.model.access, ir.rule, field groups; sudo() bypasses all of it."""

from __future__ import annotations

import pytest

from postroom.exceptions import AccessError
from postroom.orm.models.access import allowed_models


@pytest.fixture
def portal(orm_env, make_user):
    return make_user("base.group_portal", name="Portal Pat")


@pytest.fixture
def internal(orm_env, make_user):
    return make_user("base.group_user", name="Internal Ida")


@pytest.fixture
def records(orm_env, portal):
    """Two records owned by the portal user's partner, two by someone else."""
    stranger = orm_env["res.partner"].create({"name": "Stranger"})
    Record = orm_env["test_orm.record"]
    return Record.create([
        {"name": "mine 1", "owner_id": portal.partner_id.id, "line_ids": [(0, 0, {"name": "l1"})]},
        {"name": "theirs 1", "owner_id": stranger.id, "line_ids": [(0, 0, {"name": "l2"})]},
        {"name": "mine 2", "owner_id": portal.partner_id.id},
        {"name": "theirs 2", "owner_id": stranger.id},
    ])


def test_portal_user_is_denied_writes_with_a_clear_message(orm_env, portal, records):
    mine = records[0].with_user(portal)
    assert mine.name == "mine 1"  # read access
    with pytest.raises(AccessError) as info:
        mine.write({"name": "changed"})
    message = str(info.value)
    assert "test_orm.record" in message and "Test Record" in message
    assert "modify" in message and "Internal User" in message
    with pytest.raises(AccessError, match="create.*Internal User"):
        orm_env["test_orm.record"].with_user(portal).create({"name": "new"})
    with pytest.raises(AccessError, match="delete"):
        mine.unlink()
    assert records[0].name == "mine 1"


def test_no_access_at_all(orm_env, portal):
    with pytest.raises(AccessError, match="read.*test_orm.tag"):
        orm_env["test_orm.tag"].with_user(portal).search([])
    orm_env["ir.model.access"].search([("model_id.model", "=", "test_orm.wizard")]).unlink()
    with pytest.raises(AccessError, match="No group is allowed"):
        orm_env["test_orm.wizard"].with_user(portal).create({})


def test_internal_user_and_group_names(orm_env, internal):
    tag = orm_env["test_orm.tag"].create({"name": "t"})
    assert tag.with_user(internal).name == "t"
    with pytest.raises(AccessError, match="Settings"):
        tag.with_user(internal).write({"name": "u"})


def test_record_rules_filter_search(orm_env, portal, records):
    Record = orm_env["test_orm.record"].with_user(portal)
    found = Record.search([("id", "in", records.ids)])
    assert found.mapped("name") == ["mine 1", "mine 2"]
    assert Record.search_count([("id", "in", records.ids)]) == 2
    assert [r["name"] for r in Record.search_read([("id", "in", records.ids)], ["name"])] == \
        ["mine 1", "mine 2"]
    groups = Record.read_group([("id", "in", records.ids)], ["count"], ["owner_id"])
    assert [g["owner_id_count"] for g in groups] == [2]
    assert Record.name_search("1") == [(records[0].id, "mine 1")]


def test_record_rules_deny_reading_others(orm_env, portal, records):
    orm_env.invalidate_all()  # values cached by the superuser are not checked again
    theirs = records[1].with_user(portal)
    with pytest.raises(AccessError, match="test_orm.record"):
        theirs.name
    with pytest.raises(AccessError):
        theirs.read(["name"])
    orm_env.invalidate_all()
    # in a prefetch batch with records the user may not read, the own ones still read fine
    batch = records.with_user(portal)
    assert batch[0].name == "mine 1" and batch[2].name == "mine 2"
    with pytest.raises(AccessError):
        batch[3].name


def test_record_rules_through_paths(orm_env, portal, records):
    Line = orm_env["test_orm.line"].with_user(portal)
    lines = Line.search([("record_id", "in", records.ids)])
    assert lines.mapped("name") == ["l1"]


def test_sudo_bypasses_rules_and_rights(orm_env, portal, records):
    Record = orm_env["test_orm.record"].with_user(portal).sudo()
    assert Record.search_count([("id", "in", records.ids)]) == 4
    records[1].with_user(portal).sudo().write({"name": "by sudo"})
    assert records[1].name == "by sudo"
    assert records[1].with_user(portal).sudo().env.uid == portal.id


def test_global_rules_apply_to_everyone_but_sudo(orm_env, internal):
    Tag = orm_env["test_orm.tag"]
    tags = Tag.create([{"name": "hidden"}, {"name": "shown"}])
    assert Tag.with_user(internal).search([("id", "in", tags.ids)]).mapped("name") == ["shown"]
    assert Tag.search([("id", "in", tags.ids)]) == tags


def _rule(env, model, domain, group=None, **perms):
    values = {"name": f"test rule {domain}", "model_id": env["ir.model"]._get_id(model),
              "domain_force": domain}
    values.update({f"perm_{op}": perms.get(op, False) for op in ("read", "write", "create", "unlink")})
    if group:
        values["groups"] = [(4, env.ref(group).id)]
    return env["ir.rule"].create(values)


def test_rules_per_operation(orm_env, internal):
    _rule(orm_env, "test_orm.category", "[('sequence', '<', 100)]", "base.group_user",
          write=True, create=True, unlink=True)
    Category = orm_env["test_orm.category"].with_user(internal)
    ok = Category.create({"name": "ok"})
    with pytest.raises(AccessError, match="create"):
        Category.create({"name": "too far", "sequence": 500})
    high = orm_env["test_orm.category"].create({"name": "high", "sequence": 200})
    assert high.with_user(internal).name == "high"  # reading is not restricted
    with pytest.raises(AccessError, match="modify"):
        high.with_user(internal).write({"name": "x"})
    with pytest.raises(AccessError, match="delete"):
        high.with_user(internal).unlink()
    ok.write({"name": "fine"})
    ok.unlink()


def test_group_rules_are_or_ed(orm_env, internal):
    Category = orm_env["test_orm.category"]
    a, b, c = Category.create([{"name": "a"}, {"name": "b"}, {"name": "c"}])
    _rule(orm_env, "test_orm.category", "[('name', '=', 'a')]", "base.group_user", read=True)
    _rule(orm_env, "test_orm.category", "[('name', '=', 'b')]", "base.group_user", read=True)
    _rule(orm_env, "test_orm.category", "[('name', '!=', 'c')]", "base.group_system", read=True)
    found = Category.with_user(internal).search([("id", "in", (a | b | c).ids)])
    assert found == a | b  # the system group's rule does not apply to internal users


def test_rights_follow_group_changes(orm_env, internal):
    tag = orm_env["test_orm.tag"].create({"name": "t"})
    with pytest.raises(AccessError):
        tag.with_user(internal).write({"name": "u"})
    internal.write({"groups_id": [(4, orm_env.ref("base.group_system").id)]})
    tag.with_user(internal).write({"name": "u"})
    assert tag.name == "u"


def test_field_groups_hide_fields(orm_env, internal, make_user):
    record = orm_env["test_orm.record"].create({"name": "r", "secret": "s3cret"})
    as_user = record.with_user(internal)
    assert as_user.name == "r"
    with pytest.raises(AccessError, match="Secret"):
        as_user.secret
    with pytest.raises(AccessError, match="secret"):
        as_user.read(["name", "secret"])
    assert "secret" not in as_user.read()[0]
    assert "secret" not in as_user.fields_get()
    with pytest.raises(AccessError):
        as_user.search([("secret", "=", "s3cret")])
    with pytest.raises(AccessError):
        as_user.write({"secret": "other"})
    with pytest.raises(AccessError):
        as_user.read_group([], ["count"], ["secret"])
    admin = make_user("base.group_system")
    assert record.with_user(admin).secret == "s3cret"
    assert record.secret == "s3cret"
    assert "secret" in record.read()[0]


def test_prefetch_does_not_leak_restricted_fields(orm_env, internal):
    record = orm_env["test_orm.record"].create({"name": "r", "secret": "s3cret"})
    orm_env.invalidate_all()
    assert record.with_user(internal).name == "r"
    field = orm_env["test_orm.record"]._fields["secret"]
    assert not orm_env.cache.contains(field, record.id)


def test_paths_respect_the_rights_of_the_models_they_cross(orm_env, portal, records):
    """Searching through a relation reads the comodel: its access rights and rules apply."""
    category = orm_env["test_orm.category"].create({"name": "secret category"})
    records[0].category_id = category
    Record = orm_env["test_orm.record"].with_user(portal)
    with pytest.raises(AccessError, match="test_orm.category"):
        Record.search([("category_id.name", "=", "secret category")])
    assert Record.sudo().search([("category_id.name", "=", "secret category")]) == records[0]
    # the rule on lines applies to a path through lines
    assert Record.search([("line_ids.name", "in", ["l1", "l2"])]) == records[0]


def test_rights_on_many_models_in_one_query(orm_env, portal, count_queries):
    """``allowed_models`` answers as check_access_rights would, in one query for all."""
    names = sorted(orm_env)
    portal_env = orm_env(user=portal.id)
    orm_env.registry.clear_caches()
    with count_queries() as counter:
        readable = allowed_models(portal_env, names, "read")
    assert counter.count == 1
    assert {"test_orm.record", "test_orm.line", "test_orm.mixin"} <= readable
    assert "test_orm.tag" not in readable
    with count_queries() as counter:  # cached: check_access_rights finds the answers
        expected = {name for name in names
                    if portal_env[name].check_access_rights("read", raise_exception=False)}
    assert counter.count == 0 and readable == expected
    assert allowed_models(orm_env, ["test_orm.tag"], "unlink") == {"test_orm.tag"}  # superuser
    with pytest.raises(ValueError, match="Invalid access operation 'delete'"):
        allowed_models(portal_env, names, "delete")
