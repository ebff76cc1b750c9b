"""Values of the chatter and inbox templates, built from the formatted messages.

Everything here works on the dicts of ``message_format`` and ``message_chatter_data``,
which cost a bounded number of queries whatever the number of messages: building the
cards adds none.
"""

from __future__ import annotations

import datetime
from collections import Counter
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from markupsafe import Markup

from postroom.addons.web.rendering.widgets.relational import picker
from postroom.exceptions import AccessError
from postroom.http import request
from postroom.http.templates import render_template
from postroom.render import format_decimal, sanitize_html

from ..models.mail_notification import FAILURE_TYPES

#: messages shown at once, and loaded by each "Load older messages"
CHATTER_PAGE = 30
#: notification_status → (what the reader is told: kind, label)
DELIVERY_STATES = {
    "ready": ("waiting", "Waiting"),
    "sent": ("sent", "Sent"),
    "bounce": ("error", "Bounced"),
    "exception": ("error", "Error"),
    "canceled": ("canceled", "Canceled"),
}
#: the kind a message's delivery summary takes: its most severe notification's
_SEVERITY = ("error", "waiting", "canceled", "sent")
_FAILURES = dict(FAILURE_TYPES)
_UNITS = ("bytes", "KB", "MB", "GB")


# -- the widget ------------------------------------------------------------------------
def chatter_url(record: Any) -> str:
    """The prefix of the chatter routes of ``record``."""
    return f"/mail/chatter/{record._name}/{record.id}"


def render_chatter(record: Any) -> Markup:
    """The chatter of ``record`` (the hint of a record not saved yet when it is empty)."""
    values = chatter_values(record, back=request.httprequest.path) if record else {}
    return render_template(request, "mail_core.chatter", {"chatter": values})


def render_messages(record: Any, before: int | None) -> tuple[Markup, str | None]:
    """The messages of ``record`` older than id ``before`` (list items), and the URL of
    the next older ones (None when there are none)."""
    data = record.message_chatter_data(limit=CHATTER_PAGE, before=before)
    cards = message_cards(record.env, data["messages"])
    html = render_template(request, "mail_core.chatter_messages",
                           {"messages": cards, "inbox": False})
    return html, _more_url(record, data)


def chatter_values(record: Any, back: str) -> dict[str, Any]:
    """What the chatter of ``record`` shows; its forms come back to ``back`` when done."""
    env = record.env
    data = record.message_chatter_data(limit=CHATTER_PAGE)
    me = env.user.partner_id.id
    internal = env.su or env.user._is_internal()
    can_post = _allowed(record, "post")
    comment = env.ref("mail_core.mt_comment").id
    followers = [{"partner_id": f["partner_id"], "name": f["name"], "email": f["email"],
                  "is_me": f["partner_id"] == me} for f in data["followers"]]
    partners = env["res.partner"]
    return {
        "url": chatter_url(record),
        "back": back,
        "messages": message_cards(env, data["messages"]),
        "more_url": _more_url(record, data),
        "is_internal": internal,
        "can_post": can_post,
        "can_note": can_post and internal,
        "can_manage_followers": internal and _allowed(record, "write"),
        "is_follower": data["is_follower"],
        "followers": followers,
        "recipients": [f["name"] for f in data["followers"]
                       if comment in f["subtype_ids"] and f["partner_id"] != me
                       and f["is_active"]],
        "to_picker": picker(partners, "o_chatter_to_add", "partner_ids.add", False,
                            label="Add a recipient", labelled=False,
                            placeholder="Add a recipient…"),
        "follower_picker": picker(partners, "o_chatter_follower_add", "partner_ids.add", False,
                                  label="Add a follower", labelled=False,
                                  placeholder="Search a contact…"),
    }


def _allowed(record: Any, operation: str) -> bool:
    try:
        record._check_mail_access(operation)
    except AccessError:
        return False
    return True


def _more_url(record: Any, data: dict[str, Any]) -> str | None:
    if not data["has_more"]:
        return None
    return f"{chatter_url(record)}/messages?before={data['messages'][-1]['id']}"


# -- messages --------------------------------------------------------------------------
def message_cards(env: Any, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cards of the formatted ``messages``, for the user of ``env``."""
    zone, locale = _reader_locale(env)
    internal = env.su or env.user._is_internal()
    return [_card(message, zone, locale, internal) for message in messages]


def _card(message: dict[str, Any], zone: datetime.tzinfo, locale: Locale,
          internal: bool) -> dict[str, Any]:
    author = message["author"]
    name, address = parseaddr(message["email_from"] or "")
    author_name = (author["name"] if author else name or address) or "Postroom"
    body = sanitize_html(message["body"])
    subtype = message["subtype"] or {}
    model, res_id = message["model"], message["res_id"]
    return {
        "id": message["id"],
        "author_name": author_name,
        "author_initial": author_name[:1].upper(),
        "when": _moment(message["date"], zone, locale),
        "kind": _kind(message),
        "subject": message["subject"],
        "body": body,
        "description": "" if body.striptags() else subtype.get("description", ""),
        "tracking": [_tracking_line(value, zone, locale) for value in message["tracking_values"]],
        "attachments": [{"name": a["name"], "url": f"/mail/attachment/{a['id']}",
                         "size": _file_size(a["file_size"])} for a in message["attachments"]],
        "delivery": _delivery(message["notifications"]) if internal else None,
        "needaction": message["needaction"],
        "record_name": message["record_name"],
        "record_url": f"/web/record/{model}/{res_id}" if model and res_id else None,
    }


def _kind(message: dict[str, Any]) -> str:
    """``note``, ``email`` (received), ``log`` (changes, system notices) or ``message``."""
    if message["is_note"] and message["message_type"] != "notification":
        return "note"
    return {"email": "email", "notification": "log"}.get(message["message_type"], "message")


def _tracking_line(value: dict[str, Any], zone: datetime.tzinfo, locale: Locale
                   ) -> dict[str, str]:
    return {"field": value["field_label"] or value["field_name"],
            "old": _value_text(value["old_value"], value["field_type"], zone, locale),
            "new": _value_text(value["new_value"], value["field_type"], zone, locale)}


def _value_text(value: Any, field_type: str, zone: datetime.tzinfo, locale: Locale) -> str:
    """A tracked value as text; an empty one is ``""`` (the template says "(empty)")."""
    if field_type == "boolean":
        return "Yes" if value else "No"
    if value is None or value is False or value == "":
        return ""
    if field_type == "datetime":
        return _moment(value, zone, locale)["text"]
    if isinstance(value, float):
        return format_decimal(value, str(locale))
    return str(value)


def _delivery(notifications: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The delivery of a message's emails: a summary, and each recipient's status."""
    items = []
    for notification in notifications:
        if notification["notification_type"] != "email":
            continue
        kind, label = DELIVERY_STATES.get(notification["status"], ("waiting", "Waiting"))
        reason = notification["failure_reason"] or (
            _FAILURES.get(notification["failure_type"], "") if kind == "error" else "")
        items.append({"name": notification["partner_name"], "kind": kind, "label": label,
                      "reason": reason or ""})
    if not items:
        return None
    counts = Counter(item["kind"] for item in items)
    kind = next(name for name in _SEVERITY if counts[name])
    total = len(items)
    whom = items[0]["name"] if total == 1 else f"{counts[kind]} of {total} recipients"
    summary = {
        "error": f"Not delivered to {whom}",
        "waiting": f"Waiting to be sent to {whom}",
        "canceled": f"Canceled for {whom}",
        "sent": f"Sent to {items[0]['name'] if total == 1 else f'{total} recipients'}",
    }[kind]
    return {"kind": kind, "summary": summary, "recipients": items}


# -- formatting --------------------------------------------------------------------------
def _reader_locale(env: Any) -> tuple[datetime.tzinfo, Locale]:
    """The time zone and locale of the user reading."""
    tz = env.context.get("tz") or env.user.tz or "UTC"
    lang = env.context.get("lang") or env.user.lang or "en_US"
    try:
        zone: datetime.tzinfo = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = datetime.UTC
    try:
        locale = Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en_US")
    return zone, locale


def _moment(value: str, zone: datetime.tzinfo, locale: Locale) -> dict[str, str]:
    """A stored (naive UTC) datetime as the reader reads it, and in ISO 8601."""
    moment = datetime.datetime.fromisoformat(str(value)).replace(tzinfo=datetime.UTC)
    day = babel_dates.format_date(moment.astimezone(zone), "medium", locale=locale)
    time = babel_dates.format_time(moment, "short", tzinfo=zone, locale=locale)
    return {"text": locale.datetime_formats["medium"].format(time, day),
            "iso": moment.isoformat().replace("+00:00", "Z")}


def _file_size(size: int | None) -> str:
    amount, unit = float(size or 0), 0
    while amount >= 1024 and unit < len(_UNITS) - 1:
        amount, unit = amount / 1024, unit + 1
    return f"{amount:.0f} {_UNITS[unit]}" if unit == 0 else f"{amount:.1f} {_UNITS[unit]}"
