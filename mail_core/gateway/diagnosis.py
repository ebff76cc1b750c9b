"""Explain fetching failures in plain words, with what to do about them.

:func:`explain` turns a :class:`~.mailbox.FetchFailure` into a sentence or two for an
administrator: what happened, in the server's own words where it gave some, and the
likely fix (the port that goes with a security mode, app passwords, the folders that do
exist…). Test & Confirm shows it; the fetch keeps it as the server's last error.
"""

from __future__ import annotations

from .mailbox import DEFAULT_PORTS, FetchFailure, MailboxConfig

__all__ = ["explain"]

_NAMES = {"imap": "IMAP", "pop": "POP3"}
_STEPS = {"list": "listing the messages", "fetch": "downloading a message",
          "acknowledge": "marking a message as processed", "folder": "opening the folder",
          "login": "logging in", "starttls": "switching to TLS (STARTTLS)"}
_APP_PASSWORD = (
    "With Gmail or Google Workspace, Outlook.com or Microsoft 365, Yahoo and other providers "
    "that use two-step verification, the account's usual password is refused: create an app "
    "password for this mailbox and enter it here (Google: Google Account > Security > App "
    "passwords). Gmail also needs IMAP turned on in its settings, and some Microsoft 365 "
    "organisations turn password logins off for IMAP and POP altogether.")


def _ports(protocol: str) -> str:
    name = _NAMES[protocol]
    return (f"{name} uses port {DEFAULT_PORTS[protocol, 'ssl']} with SSL/TLS, and port "
            f"{DEFAULT_PORTS[protocol, 'starttls']} with STARTTLS or without encryption")


def explain(failure: FetchFailure, config: MailboxConfig) -> str:
    """What went wrong with ``config``'s mailbox, and what to do."""
    where, name = config.where, _NAMES[config.protocol]
    kind, step, detail = failure.kind, failure.step, failure.detail
    tls_port = DEFAULT_PORTS[config.protocol, "ssl"]
    if kind == "unknown_host":
        return (f"The server name {config.host!r} cannot be found ({detail}). Check its spelling, "
                f"e.g. {'imap' if config.protocol == 'imap' else 'pop'}.gmail.com.")
    if kind == "refused":
        return (f"Nothing accepts connections on {where}. Check the server name and the port "
                f"({_ports(config.protocol)}); a firewall may also block the port.")
    if kind == "certificate":
        return (f"The certificate of {config.host} was not accepted ({detail}): it may be "
                f"self-signed, expired, or made out to another name than {config.host!r}. Use "
                "the name the certificate shows; for a server you trust on your own network "
                "you may untick Verify Certificate.")
    if kind == "tls" and step == "connect":
        return (f"The TLS handshake with {where} failed ({detail}): the server does not start "
                f"with TLS on port {config.port}. Either use port {tls_port} with SSL/TLS, or "
                "keep this port and set Connection Security to STARTTLS.")
    if kind == "tls":
        return (f"The TLS handshake with {where} failed ({detail}). The server may not offer a "
                "TLS version or cipher we accept.")
    if kind == "timeout" and step == "connect":
        return (f"{where} did not answer within {config.timeout:g} s ({detail}). Check the "
                "server name and the port; a firewall may block the connection.")
    if kind == "no_greeting":
        hint = (f"Port {config.port} expects TLS from the first byte: set Connection Security "
                "to SSL/TLS." if config.port == tls_port and config.security != "ssl" else
                f"If the port expects TLS from the first byte (usually {tls_port}), set "
                "Connection Security to SSL/TLS.")
        return f"{where} accepted the connection but sent no {name} greeting. {hint}"
    if kind == "wrong_protocol":
        other = _NAMES["pop" if config.protocol == "imap" else "imap"]
        return (f"{where} does not speak {name} (it answered: {detail}); it may be a {other} "
                f"server. Check the Server Type and the port: {_ports(config.protocol)}.")
    if kind == "no_starttls":
        return (f"{where} does not offer STARTTLS. If it uses TLS from the first byte (port "
                f"{tls_port}), choose SSL/TLS; choose None only for a server on a network you "
                "trust.")
    if kind == "login_disabled":
        return (f"{where} refuses logins on an unencrypted connection. Set Connection Security "
                f"to STARTTLS (port {DEFAULT_PORTS[config.protocol, 'starttls']}) or SSL/TLS "
                f"(port {tls_port}).")
    if kind == "auth_failed":
        return (f"{where} refused the username {config.user!r} or its password ({detail}). "
                f"{_APP_PASSWORD}")
    if kind == "no_folder":
        listed = ", ".join(failure.folders) or "none could be listed"
        return (f"The folder {config.folder!r} does not exist on {where} ({detail}). Folders "
                f"there: {listed}. Names are case-sensitive (except INBOX), and subfolders use "
                "the server's separator, e.g. INBOX.Support or INBOX/Support.")
    if kind == "unsupported":
        return (f"{where} does not support UIDL ({detail}), which Postroom needs to recognise "
                "the messages it already processed. Use IMAP with this server.")
    doing = _STEPS.get(step, "connecting")
    if kind in ("timeout", "network"):
        return (f"The connection to {where} was lost while {doing} ({detail}). The next fetch "
                "tries again.")
    return f"{where} answered unexpectedly while {doing}: {detail}."
