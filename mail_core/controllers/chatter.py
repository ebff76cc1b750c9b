"""The chatter's routes: post a message or log a note, follow, manage followers, load
older messages, download an attachment.

Every route works on a record of a ``mail.thread`` model and leaves the rights to
the thread API (``message_post`` needs the model's post right, following others
needs write access, ...): any logged-in user may call them with the rights they
have, and a refusal rolls the request back (403). The forms come back to their
``redirect`` (the form page they were on) when it is a local path.

==========================================================  ======  =============================
``/mail/chatter/<model>/<id>/post``                          POST    ``body``, ``kind`` (``message``
                                                                     or ``note``), ``partner_ids``
                                                                     (repeated), ``attachments``
``/mail/chatter/<model>/<id>/follow`` / ``unfollow``         POST    the user follows or stops
``/mail/chatter/<model>/<id>/followers/add``                 POST    ``partner_ids`` (repeated)
``/mail/chatter/<model>/<id>/followers/remove``              POST    ``partner_id``
``/mail/chatter/<model>/<id>/messages?before=<message id>``  GET     older messages (HTML list
                                                                     items; ``X-Chatter-More``:
                                                                     the URL of the next ones)
``/mail/attachment/<id>``                                    GET     a message's file, as a download
==========================================================  ======  =============================
"""

from __future__ import annotations

import io
from typing import Any

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import flash
from postroom.addons.web.controllers.session import safe_redirect
from postroom.addons.web.rendering.widgets.base import FieldError
from postroom.addons.web.rendering.widgets.relational import resolve
from postroom.exceptions import AccessError, MissingError
from postroom.http import request

from ..chatter import render_messages

THREAD = "/mail/chatter/<string:model>/<int:res_id>"
#: what each composer posts: (subtype, message shown once done)
KINDS = {"message": ("mail_core.mt_comment", "Message sent."),
         "note": ("mail_core.mt_note", "Note logged.")}


class ChatterController(http.Controller):
    @http.route(f"{THREAD}/post", auth="user", methods=["POST"])
    def post(self, model: str, res_id: int, body: str = "", kind: str = "message",
             redirect: str = "") -> Response:
        """Send a message (to the followers and ``partner_ids``) or log an internal note."""
        if kind not in KINDS:
            raise BadRequest(f"Unknown kind of message {kind!r}: use message or note.")
        record = thread(model, res_id)
        if kind == "note" and not request.env.user._is_internal():
            raise AccessError("Only internal users can log notes.")
        files = [(upload.filename, upload.read())
                 for upload in request.httprequest.files.getlist("attachments") if upload.filename]
        back = back_url(record, redirect)
        if not body.strip() and not files:
            flash("Write something or attach a file first.", "warning")
            return request.redirect(back)
        try:
            partner_ids = [] if kind == "note" else posted_partners()
        except FieldError as exc:
            flash(f"Not sent: {exc}", "danger")
            return request.redirect(back)
        subtype, done = KINDS[kind]
        record.message_post(body=body, message_type="comment", subtype_xmlid=subtype,
                            partner_ids=partner_ids, attachments=files)
        flash(done)
        return request.redirect(back)

    @http.route(f"{THREAD}/follow", auth="user", methods=["POST"])
    def follow(self, model: str, res_id: int, redirect: str = "") -> Response:
        record = thread(model, res_id)
        record.message_subscribe(request.env.user.partner_id.ids)
        return request.redirect(back_url(record, redirect))

    @http.route(f"{THREAD}/unfollow", auth="user", methods=["POST"])
    def unfollow(self, model: str, res_id: int, redirect: str = "") -> Response:
        record = thread(model, res_id)
        record.message_unsubscribe(request.env.user.partner_id.ids)
        return request.redirect(back_url(record, redirect))

    @http.route(f"{THREAD}/followers/add", auth="user", methods=["POST"])
    def add_followers(self, model: str, res_id: int, redirect: str = "") -> Response:
        record = thread(model, res_id)
        back = back_url(record, redirect)
        try:
            partner_ids = posted_partners()
        except FieldError as exc:
            flash(str(exc), "danger")
            return request.redirect(back)
        if partner_ids:
            record.message_subscribe(partner_ids)
            flash("Followers added.")
        return request.redirect(back)

    @http.route(f"{THREAD}/followers/remove", auth="user", methods=["POST"])
    def remove_follower(self, model: str, res_id: int, partner_id: str = "",
                        redirect: str = "") -> Response:
        record = thread(model, res_id)
        if not partner_id.isdigit():
            raise BadRequest("Which follower? partner_id is missing.")
        record.message_unsubscribe([int(partner_id)])
        return request.redirect(back_url(record, redirect))

    @http.route(f"{THREAD}/messages", auth="user", methods=["GET"])
    def messages(self, model: str, res_id: int, before: str = "") -> Response:
        """Messages older than ``before``, as list items for the chatter to append."""
        if not before.isdigit():
            raise BadRequest("before must be a message id.")
        html, more_url = render_messages(thread(model, res_id), int(before))
        return Response(html, mimetype="text/html", headers={"X-Chatter-More": more_url or ""})

    @http.route("/mail/attachment/<int:attachment_id>", auth="user", methods=["GET"])
    def attachment(self, attachment_id: int) -> Response:
        """A file of a message the user may read (never shown inline: it is foreign content)."""
        if not request.env["mail.message"].search_count(
                [("attachment_ids", "in", [attachment_id])], limit=1):
            raise NotFound("This file does not exist, or is not in a message you can read.")
        attachment = request.env["ir.attachment"].sudo().browse(attachment_id)
        return send_file(io.BytesIO(attachment.raw), request.httprequest.environ,
                         mimetype=attachment.mimetype or "application/octet-stream",
                         as_attachment=True, download_name=attachment.name or "file",
                         max_age=0)


def thread(model: str, res_id: int) -> Any:
    """The record ``res_id`` of the thread model ``model``, as the user."""
    env = request.env
    if model not in env["mail.thread"]._thread_models():
        raise NotFound(f"{model!r} has no chatter.")
    record = env[model].browse(res_id).exists()
    if not record:
        raise MissingError("This record does not exist (any more).")
    return record


def back_url(record: Any, redirect: str) -> str:
    """Where a chatter form returns: the local page it came from, or the record's form."""
    target = safe_redirect(redirect) if redirect else f"/web/record/{record._name}/{record.id}"
    return f"{target}#o_chatter"


def posted_partners() -> list[int]:
    """The partners of the form: the ``partner_ids`` picked, and the contact typed in the
    picker (``partner_ids.add``) without picking, when its name finds exactly one."""
    form = request.httprequest.form
    ids = {int(value) for value in form.getlist("partner_ids") if value.isdigit()}
    partners = request.env["res.partner"]
    typed = resolve(partners, form.get("partner_ids.add") or "",
                    form.get("partner_ids.add.text") or "", [])
    if typed:
        ids.add(typed[0])
    found = partners.browse(sorted(ids)).exists()
    found.check_access("read")
    return found.ids
