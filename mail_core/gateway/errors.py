"""Why an incoming message was not turned into a chatter message.

Each error carries a ``failure_type``, the code the failed-messages list
(``mail.incoming.failed``) files it under, and a message written for an
administrator: what happened and what to do about it. Anything else raised
while processing a message is a bug or a business rule of the target model, and
is filed as ``error`` with its traceback.
"""

from __future__ import annotations

__all__ = ["FAILURE_TYPES", "GatewayError", "LoopDetected", "MessageTooLarge", "NotAMessage",
           "RoutingError"]

#: the failure types of the failed-messages list, with their labels
FAILURE_TYPES = [
    ("not_a_message", "Not a message"),
    ("too_large", "Too large"),
    ("no_route", "No route"),
    ("loop", "Loop protection"),
    ("error", "Processing error"),
]


class GatewayError(Exception):
    """A message the gateway refuses, for a reason an administrator can act on."""

    failure_type = "error"


class MessageTooLarge(GatewayError):
    """The message is larger than the incoming size limit."""

    failure_type = "too_large"

    def __init__(self, size: int, limit: int):
        super().__init__(
            f"The message is {_megabytes(size)}, larger than the {_megabytes(limit)} allowed "
            "for incoming mail (system parameter mail.incoming.max_size, in MB).")
        self.size, self.limit = size, limit


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.2f} MB" if size < 2**20 else f"{size / 2**20:.1f} MB"


class NotAMessage(GatewayError):
    """The data has none of the header fields of an email (From, Date, Message-Id…)."""

    failure_type = "not_a_message"


class RoutingError(GatewayError, ValueError):
    """Nothing says where the message goes: not a reply, no alias, no fallback model."""

    failure_type = "no_route"


class LoopDetected(GatewayError):
    """A sender writes so often that a mail loop is likely (an auto-responder, a robot)."""

    failure_type = "loop"
