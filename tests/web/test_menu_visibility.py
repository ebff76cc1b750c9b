"""Which menus a user sees (``ir.ui.menu._visible_menus``), and what it costs."""

from __future__ import annotations

from typing import Any

import pytest


def _reference_visible(env: Any) -> list[int]:
    """The visibility rules, one menu at a time: what the batched code must agree with."""
    menus = env["ir.ui.menu"].sudo().search([])
    groups = env.user._group_ids() if not env.su else None

    def allowed(menu: Any) -> bool:
        if not menu.active:
            return False
        if groups is not None and menu.groups_id and not set(menu.groups_id.ids) & groups:
            return False
        if not menu.action:
            return True
        action = menu._action_record().sudo().exists()
        model = action.res_model if action and "res_model" in action._fields else None
        return not (model and model in env
                    and not env[model].check_access_rights("read", raise_exception=False))

    result = []
    for menu in menus:
        current, keep = menu, allowed(menu)
        while keep and current.parent_id:
            current = current.parent_id
            keep = allowed(current)
        if keep:
            result.append(menu.id)
    return result


@pytest.fixture
def tree(env: Any) -> dict[str, Any]:
    """An app whose menus exercise every rule, by name."""
    menus, actions = env["ir.ui.menu"], env["ir.actions.act_window"]
    group_user, group_system = env.ref("base.group_user"), env.ref("base.group_system")
    contacts = actions.create({"name": "Contacts", "res_model": "res.partner"})
    crons = actions.create({"name": "Crons", "res_model": "ir.cron"})
    gone = actions.create({"name": "Gone", "res_model": "ir.cron"})
    server = env["ir.actions.server"].create({
        "name": "Touch", "model_id": env["ir.model"].search([("model", "=", "ir.cron")]).id,
        "state": "method", "method_name": "method_direct_trigger"})

    def action(record: Any) -> str:
        return f"{record._name},{record.id}"

    app = menus.create({"name": "App", "sequence": 1})
    made = {"App": app}
    for name, values in [
        ("Contacts", {"parent_id": app.id, "action": action(contacts)}),
        ("Crons", {"parent_id": app.id, "action": action(crons)}),
        ("Gone", {"parent_id": app.id, "action": action(gone)}),
        ("Server", {"parent_id": app.id, "action": action(server)}),
        ("For users", {"parent_id": app.id, "groups_id": [(6, 0, [group_user.id])],
                       "action": action(contacts)}),
        ("For admins", {"parent_id": app.id, "groups_id": [(6, 0, [group_system.id])],
                        "action": action(contacts)}),
        ("Admin folder", {"parent_id": app.id, "groups_id": [(6, 0, [group_system.id])]}),
        ("Cron folder", {"parent_id": app.id, "action": action(crons)}),
        ("Archived folder", {"parent_id": app.id, "active": False}),
    ]:
        made[name] = menus.create({"name": name, **values})
    for name, parent in [("Under admin folder", "Admin folder"), ("Under cron folder",
                                                                 "Cron folder"),
                         ("Under archived folder", "Archived folder")]:
        made[name] = menus.create({"name": name, "parent_id": made[parent].id,
                                   "action": action(contacts)})
    gone.unlink()  # its menu stays, and opens nothing
    return made


def _names(menus: Any, tree: dict[str, Any]) -> set[str]:
    ids = set(menus.ids)
    return {name for name, menu in tree.items() if menu.id in ids}


def test_what_an_internal_user_sees(env, make_user, tree):
    user = make_user("vera@example.com")
    user_env = env(user=user.id)
    assert not user_env["ir.cron"].check_access_rights("read", raise_exception=False)
    visible = user_env["ir.ui.menu"]._visible_menus()
    assert _names(visible, tree) == {"App", "Contacts", "Gone", "Server", "For users"}
    assert visible.ids == _reference_visible(user_env)


def test_what_an_administrator_sees(env, make_user, tree):
    admin = make_user("ada@example.com", "base.group_user", "base.group_system")
    admin_env = env(user=admin.id)
    visible = admin_env["ir.ui.menu"]._visible_menus()
    assert _names(visible, tree) == set(tree) - {"Archived folder", "Under archived folder"}
    assert visible.ids == _reference_visible(admin_env)


def test_the_superuser_sees_every_menu_but_the_archived_ones(env, tree):
    visible = env["ir.ui.menu"]._visible_menus()
    assert _names(visible, tree) == set(tree) - {"Archived folder", "Under archived folder"}
    assert visible.ids == _reference_visible(env)


def test_every_user_of_the_database_agrees_with_the_reference(env, make_user, tree):
    make_user("paula@example.com", "base.group_portal")
    for user in env["res.users"].search([]):
        user_env = env(user=user.id)
        assert user_env["ir.ui.menu"]._visible_menus().ids == _reference_visible(user_env), \
            user.login


def test_the_loaded_tree_prunes_folders_left_empty(env, make_user, tree):
    user_env = env(user=make_user("vera@example.com").id)
    app = next(item for item in user_env["ir.ui.menu"].load_menus() if item["id"] ==
               tree["App"].id)
    assert [item["name"] for item in app["children"]] == \
        ["Contacts", "Gone", "Server", "For users"]


def _add_menus(env: Any, count: int) -> None:
    """``count`` menus, each opening its own action on one of many models, some for groups."""
    models = sorted(name for name in env if not env[name]._abstract)
    app = env["ir.ui.menu"].create({"name": f"{count} menus"})
    actions = env["ir.actions.act_window"].create(
        [{"name": f"Action {i}", "res_model": models[i % len(models)]} for i in range(count)])
    groups = [env.ref("base.group_user").id, env.ref("base.group_system").id]
    env["ir.ui.menu"].create([
        {"name": f"Menu {i}", "parent_id": app.id, "action": f"ir.actions.act_window,{action.id}",
         "groups_id": [(6, 0, [groups[i % 2]])] if i % 3 == 0 else []}
        for i, action in enumerate(actions)])


def _visible_menus_queries(env: Any, user: Any) -> tuple[int, list[int]]:
    """Queries to compute the visible menus of ``user``, nothing cached beforehand."""
    env.invalidate_all()
    env.registry.clear_caches()
    start = env.cr.sql_count
    visible = env(user=user.id)["ir.ui.menu"]._visible_menus()
    return env.cr.sql_count - start, visible.ids


def test_the_query_count_does_not_grow_with_the_menus(env, make_user):
    user = make_user("vera@example.com")
    _add_menus(env, 10)
    few, _visible = _visible_menus_queries(env, user)
    _add_menus(env, 90)
    many, visible = _visible_menus_queries(env, user)
    assert len(visible) > 50  # most of the new menus show
    assert many == few, (few, many)
    assert few <= 10, few
    assert visible == _reference_visible(env(user=user.id))
