"""Explain SMTP failures in plain words, with what to do about them.

:func:`explain` turns an :class:`~.smtp.SMTPFailure` into a sentence or two for an
administrator: what happened, in the server's own words where it gave some, and the likely
fix (the port that goes with a security mode, app passwords, the From filter…). The Test
Connection button shows it; the queue keeps it as the mail's failure reason.
"""

from __future__ import annotations

from .smtp import ServerConfig, SMTPFailure

__all__ = ["explain"]

_PORTS = "587 goes with TLS (STARTTLS), 465 with SSL/TLS, 25 with servers of your own network"
_APP_PASSWORD = ("With Gmail or Google Workspace, Outlook.com or Microsoft 365, Yahoo and other "
                 "providers that use two-step verification, the usual password does not work: "
                 "create an app password (for Google: Google Account > Security > App passwords) "
                 "and enter it here.")


def explain(failure: SMTPFailure, config: ServerConfig, sender: str | None = None) -> str:
    """What went wrong with ``config``'s server, and what to do; ``sender`` if one was tried."""
    where = f"{config.host}:{config.port}"
    kind, step, detail = failure.kind, failure.step, failure.detail
    if kind == "unknown_host":
        return (f"The server name {config.host!r} cannot be found ({detail}). Check the spelling "
                "of the SMTP server, e.g. smtp.gmail.com.")
    if kind == "refused":
        return (f"Nothing accepts connections on {where}. Check the host and the port "
                f"({_PORTS}); a firewall may also block the port.")
    if kind == "certificate":
        return (f"The certificate of {config.host} was not accepted ({detail}): it may be "
                f"self-signed, expired, or made out to another name than {config.host!r}. Use the "
                "name the certificate shows; for a server you trust on your own network you may "
                "untick Verify Certificate.")
    if kind == "tls" and step == "connect" and config.security == "ssl":
        return (f"The TLS handshake with {where} failed ({detail}): the server does not start "
                f"with TLS on port {config.port}. Either use port 465 with SSL/TLS, or keep this "
                "port and set Connection Security to TLS (STARTTLS).")
    if kind == "tls":
        return (f"The TLS handshake with {where} failed ({detail}). The server may not offer a "
                "TLS version or cipher we accept, or the port is not meant for TLS.")
    if step == "connect" and kind in ("timeout", "network"):
        return (f"{where} did not answer within {config.timeout:g} s ({detail}). A firewall may "
                f"block outgoing connections on port {config.port} (many hosting providers block "
                "port 25): try 587 with TLS (STARTTLS), and check the host.")
    if step == "greeting" and kind in ("timeout", "disconnected"):
        hint = ("Port 465 expects TLS from the first byte: set Connection Security to SSL/TLS."
                if config.security != "ssl" and config.port == 465 else
                "If the port expects TLS from the first byte (usually 465), set Connection "
                "Security to SSL/TLS.")
        return f"{where} accepted the connection but sent no greeting. {hint}"
    if step == "greeting":
        return f"{where} refused the connection: {detail}."
    if kind == "no_starttls":
        return (f"{where} does not offer STARTTLS. If it uses TLS from the first byte (port 465), "
                "choose SSL/TLS; choose None only for a server without encryption on a network "
                "you trust.")
    if kind == "no_auth" and config.security == "none":
        return (f"{where} does not offer to log in on an unencrypted connection. Most servers "
                "allow it only after STARTTLS: set Connection Security to TLS (STARTTLS), "
                "usually on port 587.")
    if kind == "no_auth":
        return (f"{where} offers no login method we can use ({detail}). If the server relays "
                "your mail without a login (by address, for instance), leave Username empty.")
    if kind == "auth_failed" and failure.temporary:
        return f"{where} could not check the login right now ({detail}); it will be tried again."
    if kind == "auth_failed":
        return f"{where} refused the username or password ({detail}). {_APP_PASSWORD}"
    reply = failure.reply
    if step == "mail" and reply is not None and reply.code == 530:
        return (f"{where} wants a login before it accepts mail ({detail}). Fill in Username and "
                "Password, with Connection Security TLS (STARTTLS) or SSL/TLS.")
    if step == "mail":
        address = f" {sender}" if sender else ""
        return (f"{where} refused the sender address{address} ({detail}). The account may not "
                "send as this address: send from an address it owns, and set the From Filter "
                "of the server to that address or its domain.")
    if step == "rcpt":
        return (f"{where} accepted the sender but refused the recipient ({detail}). If it "
                "refuses to relay, it probably needs a login (Username and Password).")
    if kind == "disconnected":
        return f"{where} closed the connection ({detail}). It will be tried again."
    if step == "ehlo":
        return f"{where} did not accept our greeting (EHLO): {detail}."
    return f"{where}: {detail}"
