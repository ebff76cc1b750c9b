"""The chatter and the inbox as the backend shows them.

:mod:`.view` turns what ``mail.thread.message_chatter_data`` and
``mail.message.message_format`` return into the values of the QWeb templates
``mail_core.chatter`` (the widget beside a form, attached through
``web.form.extension``) and ``mail_core.inbox`` (the Discuss inbox page): dates in
the reader's time zone, bodies sanitized, tracked changes, attachments, and the
delivery status of each email notification.
"""

from .view import CHATTER_PAGE, message_cards, render_chatter, render_messages

__all__ = ["CHATTER_PAGE", "message_cards", "render_chatter", "render_messages"]
