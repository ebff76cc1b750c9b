"""The mail gateway: incoming messages, from the wire to the transaction that keeps them.

One concept per module:

- :mod:`.charsets` — text in whatever charset a message claims (or fails to claim);
- :mod:`.body` — ``text/plain`` as HTML (``format=flowed`` unwrapped), ``cid:`` links;
- :mod:`.parser` — one parse of a message: headers, body, files, auto-reply markers;
- :mod:`.errors` — why a message was refused, in words an administrator can act on;
- :mod:`.mailbox` — what fetching clients share: settings, failures, the client protocol;
- :mod:`.session` — opening a session (connect, TLS, log in), every failure a FetchFailure;
- :mod:`.imap` and :mod:`.pop` — the IMAP and POP3 clients, each what its protocol does;
- :mod:`.diagnosis` — connection and login failures explained in plain words;
- :mod:`.intake` — one message, one transaction: processed, or kept in the failed list;
- :mod:`.fetcher` — one fetch of one server: locked, planned, a transaction per message.

The models (``mail.thread``'s gateway methods, ``fetchmail.server``,
``mail.incoming.failed``) decide what a message becomes; these modules read and fetch
it, and know nothing of the ORM except :mod:`.intake` and :mod:`.fetcher`, which drive
the models.
"""
