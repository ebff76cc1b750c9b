"""The sending machinery of the mail queue, one concept per module.

- :mod:`.addresses` — parsing and checking addresses, rendering them safely;
- :mod:`.mime` — the bytes of a message (headers, text and HTML, attachments);
- :mod:`.smtp` — an SMTP session: connect, secure, authenticate, one transaction per message;
- :mod:`.sessions` — a worker's open sessions, one per server, reused;
- :mod:`.diagnosis` — SMTP failures explained in plain words;
- :mod:`.delivery` — each recipient's outcome, retries with backoff, the verdict on a mail;
- :mod:`.worker` — the queue workers (threads, processes) and their LISTEN loop.

The models (``ir.mail_server``, ``mail.mail``) decide what to send and record what
happened; these modules do the sending and know nothing of the ORM, except the worker,
which drives the models.
"""
