"""The ORM on the base addon's models, with the plugin's ``env`` and ``committed_db`` fixtures."""

from __future__ import annotations

import pytest

from postroom.exceptions import AccessError


def test_partner_names_and_commercial_entity(env):
    Partner = env["res.partner"]
    company = Partner.create({"name": "Acme", "is_company": True})
    people = Partner.create([{"name": f"Person {i}", "parent_id": company.id} for i in range(150)])
    assert people[0].complete_name == "Acme, Person 0"
    assert set(people.mapped("commercial_partner_id")) == {company}
    assert company.commercial_partner_id == company
    company.name = "Acme Corp"
    assert people[149].complete_name == "Acme Corp, Person 149"
    assert people[0].display_name == "Acme Corp, Person 0"
    env.cr.execute("SELECT count(*) FROM res_partner WHERE id = ANY(%s) AND complete_name LIKE "
                   "'Acme Corp, Person %%'", (people.ids,))
    assert env.cr.fetchone()[0] == 150


def test_reading_partners_is_prefetched(env):
    partners = env["res.partner"].create([{"name": f"P{i}", "email": f"p{i}@example.com"}
                                          for i in range(2000)])
    env.invalidate_all()
    partners = env["res.partner"].browse(partners.ids)
    start = env.cr.sql_count
    emails = [(p.name, p.email, p.phone) for p in partners]
    assert emails[1999] == ("P1999", "p1999@example.com", False)
    assert env.cr.sql_count - start <= 3


def test_portal_user_sees_only_its_own_contacts(env):
    Partner = env["res.partner"]
    company = Partner.create({"name": "Customer Co", "is_company": True})
    other = Partner.create({"name": "Someone Else"})
    portal = env["res.users"].create({
        "name": "Portal Paula", "login": "paula@example.com", "parent_id": company.id,
        "groups_id": [(6, 0, [env.ref("base.group_portal").id])]})
    colleague = Partner.create({"name": "Colleague", "parent_id": company.id})
    visible = Partner.with_user(portal).search([("id", "in", (company | other | colleague).ids
                                                 + portal.partner_id.ids)])
    assert visible == company | colleague | portal.partner_id
    env.invalidate_all()
    with pytest.raises(AccessError, match="res.partner"):
        other.with_user(portal).name
    with pytest.raises(AccessError, match="modify.*Internal User"):
        portal.partner_id.with_user(portal).write({"name": "x"})


def test_committed_changes_are_seen_by_later_transactions(committed_db):
    with committed_db.env() as env:
        partner = env["res.partner"].create({"name": "Committed"})
        partner_id = partner.id
    with committed_db.env() as env:
        partner = env["res.partner"].browse(partner_id)
        assert partner.name == "Committed"
        partner.name = "Renamed"
        env.cr.rollback()
        assert partner.name == "Committed"  # the rollback emptied the cache
