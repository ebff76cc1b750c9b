"""message_subscribe / message_unsubscribe: who follows, for which subtypes, with which rights."""

from __future__ import annotations

import pytest

from postroom.exceptions import AccessError


@pytest.fixture
def partner(env):
    return env["res.partner"].create({"name": "Customer", "email": "customer@example.com"})


def _follower(record, partner):
    return record.message_follower_ids.filtered(lambda f: f.partner_id == partner)


def test_subscribe_and_unsubscribe(env, partner, make_partner):
    ann, bob = make_partner(env, "Ann"), make_partner(env, "Bob")
    assert partner.message_subscribe([ann.id, bob.id])
    assert partner.message_partner_ids == ann | bob
    assert partner.message_subscribe([ann.id]), "subscribing twice is harmless"
    assert len(partner.message_follower_ids) == 2
    partner.message_unsubscribe([ann.id])
    assert partner.message_partner_ids == bob
    assert env["res.partner"].search([("message_partner_ids", "in", [bob.id])]) == partner


def test_default_subtypes_depend_on_who_follows(env, partner, make_user, make_partner):
    internal_default = env["mail.message.subtype"].create({
        "name": "Internal event", "internal": True, "default": True})
    employee, customer = make_user(env, "Employee"), make_partner(env, "Customer 2")
    partner.message_subscribe([employee.partner_id.id, customer.id])
    comment = env.ref("mail_core.mt_comment")
    assert _follower(partner, employee.partner_id).subtype_ids == comment | internal_default
    assert _follower(partner, customer).subtype_ids == comment
    assert env.ref("mail_core.mt_note") not in _follower(partner, employee.partner_id).subtype_ids


def test_subtypes_given_replace_the_followed_ones(env, partner, make_partner):
    ann = make_partner(env, "Ann")
    note = env.ref("mail_core.mt_note")
    partner.message_subscribe([ann.id])
    partner.message_subscribe([ann.id], [note.id])
    assert _follower(partner, ann).subtype_ids == note


def test_subtypes_of_other_models_are_not_defaults(env, partner, make_partner):
    env["mail.message.subtype"].create({"name": "Other model", "res_model": "res.users"})
    ann = make_partner(env, "Ann")
    partner.message_subscribe([ann.id])
    assert _follower(partner, ann).subtype_ids == env.ref("mail_core.mt_comment")


def test_readers_follow_themselves_writers_add_others(env, partner, make_user, make_partner):
    portal = make_user(env, "Portal", portal=True)
    portal.partner_id.parent_id = partner
    ann = make_partner(env, "Ann")
    as_portal = partner.with_user(portal)
    assert as_portal.message_subscribe([portal.partner_id.id])
    with pytest.raises(AccessError):
        as_portal.message_subscribe([ann.id])
    partner.message_subscribe([ann.id])
    with pytest.raises(AccessError):
        as_portal.message_unsubscribe([ann.id])
    as_portal.message_unsubscribe([portal.partner_id.id])
    assert partner.message_partner_ids == ann


def test_is_follower_for_the_current_user(env, partner, make_user):
    user = make_user(env, "Me")
    mine = partner.with_user(user)
    assert not mine.message_is_follower
    mine.message_subscribe([user.partner_id.id])
    assert mine.message_is_follower
    assert env["res.partner"].with_user(user).search([("message_is_follower", "=", True)]) == partner


def test_creator_follows_what_they_create(env, make_user):
    user = make_user(env, "Creator")
    record = env["res.partner"].with_user(user).create({"name": "Created"})
    assert record.message_partner_ids == user.partner_id
    quiet = env["res.partner"].with_user(user).with_context(mail_create_nosubscribe=True) \
        .create({"name": "Quiet"})
    assert not quiet.message_partner_ids


def test_follower_fields_are_for_internal_users(env, partner, make_user):
    portal = make_user(env, "Portal", portal=True)
    portal.partner_id.parent_id = partner
    with pytest.raises(AccessError):
        partner.with_user(portal).message_follower_ids
    assert partner.with_user(portal).message_chatter_data()["followers"] == []
