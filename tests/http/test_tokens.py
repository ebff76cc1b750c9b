"""Signed tokens: one salt per purpose, refusals that say nothing."""

from __future__ import annotations

from postroom.http import tokens


def test_a_token_carries_its_payload_for_its_purpose_only(env) -> None:
    token = tokens.dump(env, "unsubscribe", {"mailing": 7, "email": "ada@example.com"})
    assert tokens.load(env, "unsubscribe", token) == {"mailing": 7, "email": "ada@example.com"}
    assert tokens.load(env, "tracking", token) is None


def test_forged_altered_and_expired_tokens_are_refused(env) -> None:
    token = tokens.dump(env, "tracking", [42])
    assert tokens.load(env, "tracking", token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert tokens.load(env, "tracking", "not a token") is None
    timed = tokens.dump(env, "webhook", 5, timed=True)
    assert tokens.load(env, "webhook", timed, max_age=60) == 5
    assert tokens.load(env, "webhook", timed, max_age=-1) is None
    # another database secret: the token is worthless
    env["ir.config_parameter"].set_param("database.secret", "another secret")
    assert tokens.load(env, "tracking", token) is None
