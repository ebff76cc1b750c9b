"""What became of a mail: one outcome per recipient, and the verdict on the whole mail.

Each attempt gives each recipient an :class:`Outcome`:

``sent``
    the server accepted the message for this recipient;
``failed``
    a permanent failure (5xx reply, invalid or missing address, message too large): never
    retried;
``retry``
    a temporary failure (4xx reply, connection refused, dropped or timed out): tried again
    after a delay that doubles with each attempt (:class:`RetryPolicy`), until the last
    attempt, after which it counts as failed;
``wait``
    not tried, because the server's sending limit (rate or warm-up cap) is reached: tried
    again when the limit allows, without counting an attempt.

:func:`summarize` folds one attempt's outcomes into what the queue records on the mail:
the recipients done so far (so that a retry goes only to the others), its state, failure
type and a readable failure reason, the attempt count and the next attempt time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .diagnosis import explain
from .smtp import Reply, ServerConfig, SMTPFailure, Transaction

__all__ = ["FAILED", "RETRY", "SENT", "WAIT", "Outcome", "RetryPolicy", "failure_outcome",
           "summarize", "transaction_outcomes"]

SENT, FAILED, RETRY, WAIT = "sent", "failed", "retry", "wait"
#: how many failed recipients a failure reason lists before "and N more"
REASON_LINES = 20


@dataclass(frozen=True)
class Outcome:
    """One recipient's fate in one attempt; ``until`` is when a ``wait`` may end."""

    status: str
    failure_type: str | None = None
    reason: str = ""
    until: datetime.datetime | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` tries; retry n waits ``delay * 2**(n-1)`` seconds, at most ``max_delay``."""

    max_attempts: int = 10
    delay: float = 60.0
    max_delay: float = 3600.0

    def delay_after(self, attempts: int) -> datetime.timedelta:
        """How long to wait after ``attempts`` failed attempts."""
        return datetime.timedelta(seconds=min(self.max_delay, self.delay * 2 ** (attempts - 1)))


def _refusal(reply: Reply, stage: str, host: str) -> Outcome:
    """The outcome of a recipient the server refused with ``reply`` at ``stage``."""
    if reply.temporary:
        return Outcome(RETRY, "mail_smtp", f"{host} answered {reply} (temporary)")
    if reply.code == 552 or (stage == "data" and reply.code == 523):
        return Outcome(FAILED, "mail_size", f"{host} refused the message as too large: {reply}")
    if stage == "rcpt":
        return Outcome(FAILED, "mail_bounce", f"{host} refused the recipient: {reply}")
    if stage == "mail" and reply.code != 530:  # 530: a login is needed, not another sender
        return Outcome(FAILED, "mail_from_invalid", f"{host} refused the sender: {reply}")
    return Outcome(FAILED, "mail_smtp", f"{host} refused the message: {reply}")


def transaction_outcomes(transaction: Transaction, host: str) -> dict[str, Outcome]:
    """Outcomes, by recipient address, of one SMTP transaction."""
    outcomes = dict.fromkeys(transaction.accepted, Outcome(SENT))
    for recipient, reply in transaction.refused.items():
        outcomes[recipient] = _refusal(reply, transaction.stage, host)
    return outcomes


def failure_outcome(failure: SMTPFailure, config: ServerConfig, sender: str) -> Outcome:
    """The outcome, for every recipient, of a session that failed as a whole."""
    return Outcome(RETRY if failure.temporary else FAILED, "mail_smtp",
                   explain(failure, config, sender))


def _listing(items: Iterable[tuple[str, str]]) -> str:
    """``recipients: reason`` lines, recipients with the same reason together."""
    by_reason: dict[str, list[str]] = {}
    for key, reason in items:
        by_reason.setdefault(reason, []).append(key)
    lines = [f"{', '.join(k for k in keys if k)}: {reason}" if any(keys) else reason
             for reason, keys in by_reason.items()]
    if len(lines) > REASON_LINES:
        lines[REASON_LINES:] = [f"… and {len(lines) - REASON_LINES} more"]
    return "\n".join(lines)


def summarize(done: Mapping[str, Any], outcomes: Mapping[str, Outcome], attempts: int,
              policy: RetryPolicy, now: datetime.datetime) -> dict[str, Any]:
    """The values to write on a mail after an attempt with ``outcomes``.

    ``done`` is what earlier attempts settled (``{recipient: "sent" | [failure type,
    reason]}``), ``attempts`` how many attempts failed temporarily before this one. The
    values hold a ``state`` only when the mail is settled (``sent`` or ``exception``), and
    the recipients done only while they matter: while some are left, or some failed.
    """
    done = dict(done)
    retry = {key: o for key, o in outcomes.items() if o.status == RETRY}
    waits = [o.until for o in outcomes.values() if o.status == WAIT and o.until]
    if retry:
        attempts += 1
        if attempts >= policy.max_attempts:  # the last attempt: temporary becomes final
            outcomes = {**outcomes, **{
                key: Outcome(FAILED, o.failure_type or "mail_smtp",
                             f"{o.reason} — given up after {attempts} attempts")
                for key, o in retry.items()}}
            retry = {}
    for key, outcome in outcomes.items():
        if outcome.status == SENT:
            done[key] = SENT
        elif outcome.status == FAILED:
            done[key] = [outcome.failure_type or "unknown", outcome.reason]
    values: dict[str, Any] = {"recipient_results": done, "attempt_count": attempts}
    if retry or waits:
        first = next(iter(retry.values()), None)
        next_attempt = max([now + policy.delay_after(attempts)] * bool(retry) + waits)
        reason = (f"Attempt {attempts} of {policy.max_attempts} failed; the next one is due at "
                  f"{next_attempt:%Y-%m-%d %H:%M:%S} UTC.\n"
                  + _listing((key, o.reason) for key, o in retry.items())) if first else \
            next(o.reason for o in outcomes.values() if o.status == WAIT)
        values.update(next_attempt=next_attempt, failure_reason=reason,
                      failure_type=first.failure_type if first else False)
        return values
    failed = [(key, result) for key, result in done.items() if result != SENT]
    delivered = len(done) - len(failed)
    values.update(state="sent" if delivered else "exception", next_attempt=False,
                  failure_type=failed[0][1][0] if failed else False,
                  failure_reason=False)
    if not failed:  # sent to everyone: nothing left to track
        values["recipient_results"] = False
    else:
        heading = (f"Not delivered to {len(failed)} of {len(done)} recipients:\n" if delivered
                   else "")
        values["failure_reason"] = heading + _listing((key, reason) for key, (_t, reason) in failed)
    return values
