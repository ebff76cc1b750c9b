"""``ir.model.data``: lookups, their cache, and registering external ids."""

from __future__ import annotations

import pytest

from postroom.exceptions import ValidationError


def _tag(env, xmlid: str, name: str = "Tag", noupdate: bool = False):
    tag = env["data_test.tag"].create({"name": name})
    env["ir.model.data"]._update_xmlids([{"xml_id": xmlid, "record": tag, "noupdate": noupdate}])
    return tag


def test_lookup_and_env_ref(env):
    tag = _tag(env, "data_test.tag_a", noupdate=True)
    data = env["ir.model.data"]
    row_id, model, res_id, noupdate = data._xmlid_lookup("data_test.tag_a")
    assert (model, res_id, noupdate) == ("data_test.tag", tag.id, True)
    assert data.browse(row_id).complete_name == "data_test.tag_a"
    assert data._xmlid_to_res_model_res_id("data_test.tag_a") == ("data_test.tag", tag.id)
    assert data._xmlid_to_res_id("data_test.tag_a") == tag.id
    assert env.ref("data_test.tag_a") == tag


def test_unknown_xmlid(env):
    data = env["ir.model.data"]
    with pytest.raises(ValueError, match="External ID not found in the system: data_test.nope"):
        data._xmlid_lookup("data_test.nope")
    assert data._xmlid_to_res_model_res_id("data_test.nope") is None
    assert data._xmlid_to_res_id("data_test.nope") is False
    assert env.ref("data_test.nope", raise_if_not_found=False) is None
    with pytest.raises(ValueError):
        env.ref("data_test.nope")
    with pytest.raises(ValueError, match="fully qualified"):
        data._xmlid_lookup("nope")


def test_module_name_unique(env):
    _tag(env, "data_test.dup")
    with pytest.raises(ValidationError, match="unique"):
        env["ir.model.data"].create({"module": "data_test", "name": "dup",
                                     "model": "data_test.tag", "res_id": 1})


def test_update_xmlids_repoints_unless_noupdate_on_update(env):
    first = _tag(env, "data_test.moving")
    second = env["data_test.tag"].create({"name": "Second"})
    data = env["ir.model.data"]
    data._update_xmlids([{"xml_id": "data_test.moving", "record": second, "noupdate": True}])
    assert env.ref("data_test.moving") == second
    data._update_xmlids([{"xml_id": "data_test.moving", "record": first}], update=True)
    assert env.ref("data_test.moving") == second, "noupdate rows stay on update"
    data._update_xmlids([{"xml_id": "data_test.moving", "record": first}])
    assert env.ref("data_test.moving") == first
    assert data.search([("name", "=", "moving")]).res_id == first.id


def test_cache_forgets_written_and_unlinked_rows(env):
    tag = _tag(env, "data_test.cached")
    other = env["data_test.tag"].create({"name": "Other"})
    data = env["ir.model.data"]
    assert env.ref("data_test.cached") == tag
    row = data.search([("module", "=", "data_test"), ("name", "=", "cached")])
    row.write({"res_id": other.id})
    assert env.ref("data_test.cached") == other
    row.write({"name": "renamed"})
    assert env.ref("data_test.cached", raise_if_not_found=False) is None
    assert env.ref("data_test.renamed") == other
    row.unlink()
    assert env.ref("data_test.renamed", raise_if_not_found=False) is None


def test_unlinking_a_record_removes_its_xmlid(env):
    tag = _tag(env, "data_test.doomed")
    assert env.ref("data_test.doomed") == tag
    tag.unlink()
    assert env.ref("data_test.doomed", raise_if_not_found=False) is None
    assert not env["ir.model.data"].search([("name", "=", "doomed")])


def test_cache_forgotten_on_rollback(env, registry):
    _tag(env, "data_test.rolled_back")
    assert env.ref("data_test.rolled_back")
    env.cr.rollback()
    assert env.ref("data_test.rolled_back", raise_if_not_found=False) is None


def test_cache_forgotten_on_savepoint_rollback(env):
    with pytest.raises(RuntimeError), env.cr.savepoint():
        _tag(env, "data_test.in_savepoint")
        assert env.ref("data_test.in_savepoint")
        raise RuntimeError
    assert env.ref("data_test.in_savepoint", raise_if_not_found=False) is None
