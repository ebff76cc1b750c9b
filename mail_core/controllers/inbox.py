"""Discuss: the inbox of the user's in-app notifications.

``GET /mail/inbox`` lists the messages waiting in the user's inbox (``needaction``),
newest first (``before=<message id>`` for older ones); ``POST /mail/inbox/read``
(``message_id``) and ``POST /mail/inbox/read_all`` mark them read. The menu
*Discuss → Inbox* opens the window action ``mail_core.action_discuss_inbox``, which
shows this page rather than a list of ``mail.message``.
"""

from __future__ import annotations

from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import backend_route, flash, page
from postroom.addons.web.controllers.listing import ListController
from postroom.http import request

from ..chatter import CHATTER_PAGE, message_cards

INBOX = "/mail/inbox"
INBOX_ACTION = "mail_core.action_discuss_inbox"
NEEDACTION = [("needaction", "=", True)]


class InboxController(http.Controller):
    @backend_route(INBOX, methods=["GET"])
    def inbox(self, before: str = "") -> Response:
        Message = request.env["mail.message"]
        messages = Message.message_fetch(NEEDACTION, before=int(before) if before.isdigit()
                                         else None, limit=CHATTER_PAGE + 1)
        shown = messages[:CHATTER_PAGE]
        action = request.env.ref(INBOX_ACTION)
        return page("mail_core.inbox", {
            "title": "Inbox",
            "messages": message_cards(request.env, shown),
            "unread": Message.search_count(NEEDACTION),
            "newer_url": INBOX if before else None,
            "older_url": f"{INBOX}?before={shown[-1]['id']}" if len(messages) > CHATTER_PAGE
            else None,
        }, action_id=action.id)

    @backend_route(f"{INBOX}/read", methods=["POST"])
    def mark_read(self, message_id: str = "") -> Response:
        if not message_id.isdigit():
            raise BadRequest("Which message? message_id is missing.")
        request.env["mail.message"].browse(int(message_id)).mark_as_read()
        return request.redirect(INBOX)

    @backend_route(f"{INBOX}/read_all", methods=["POST"])
    def mark_all_read(self) -> Response:
        done = request.env["mail.message"].mark_all_as_read()
        flash(f"{len(done)} {'message' if len(done) == 1 else 'messages'} marked as read.")
        return request.redirect(INBOX)


class InboxActionController(ListController):
    """Opening the inbox action shows the inbox page, not a list of mail.message."""

    def list_view(self, action_id: int) -> Response:
        inbox = request.env.ref(INBOX_ACTION, raise_if_not_found=False)
        if inbox and inbox.id == action_id:
            return request.redirect(INBOX)
        return super().list_view(action_id)
