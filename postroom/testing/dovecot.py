"""A real IMAP and POP3 server for tests of incoming mail: Debian's dovecot.

:class:`Dovecot` starts ``/usr/sbin/dovecot -F`` with a throw-away
configuration in a temporary directory: loopback listeners on free ports,
passwords in a ``passwd-file``, one Maildir per user, and no growing penalty
for failed logins (each still takes about half a second).
Tests put mail straight into a Maildir with :meth:`Dovecot.deliver` and read
the Maildir back with :meth:`Dovecot.messages` to check what IMAP or POP3
clients did (``\\Seen``, ``\\Deleted``, expunged).

Privileges: the whole instance runs as one unprivileged user. Under a normal
user that is the user itself. Under root it is ``nobody:nogroup``: the master
is started with that uid and gid (supplementary groups dropped), the
temporary tree is owned by it, and files written by this class are handed to
it. Dovecot refuses to run its login processes as root, and this keeps root
and non-root runs on the same configuration.

Debian packages: ``dovecot-imapd`` and ``dovecot-pop3d`` (which pull in
``dovecot-core``). :meth:`Dovecot.available` says whether they are installed.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import string
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple, Self

from postroom.testing.net import LOOPBACK, Peer, free_ports
from postroom.testing.tls import client_context_trusting, make_self_signed_cert

BINARY = Path("/usr/sbin/dovecot")
PROTOCOL_BINARIES = (Path("/usr/lib/dovecot/imap"), Path("/usr/lib/dovecot/pop3"))
UNPRIVILEGED_USER = "nobody"
UNPRIVILEGED_GROUP = "nogroup"

_START_ATTEMPTS = 3
_PORT_IN_USE = "Address already in use"

# Maildir info letters for the IMAP system flags (lowercase letters are keywords).
_SYSTEM_FLAGS = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}

_CONFIG = string.Template(
    """\
# Written by postroom.testing.dovecot for one test run.
protocols = imap pop3
listen = $host
base_dir = $root/run
state_dir = $root/state
log_path = $log
info_log_path = $log
$ssl_settings
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
default_internal_user = $user
default_internal_group = $group
default_login_user = $user
# The unprivileged user may have a low uid.
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $root/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$root/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = $imaps_port
    ssl = yes
  }
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = $pop3_port
  }
  inet_listener pop3s {
    port = $pop3s_port
    ssl = yes
  }
}
service anvil {
  chroot =
  # No growing delays after failed logins from 127.0.0.1.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
"""
)


class MaildirMessage(NamedTuple):
    """A message as stored in a Maildir: its IMAP flags and its bytes."""

    flags: set[str]
    raw: bytes



class DovecotError(RuntimeError):
    """Dovecot did not start or stop as expected."""


class Dovecot(Peer):
    """A private dovecot instance serving IMAP and POP3 on ``127.0.0.1``.

    With ``tls=True`` it has a self-signed certificate (trusted by
    :meth:`client_context`), offers STARTTLS (IMAP) and STLS (POP3) on the
    plain ports, and also listens for implicit TLS on ``imaps_port`` and
    ``pop3s_port``. Plaintext logins stay allowed on the plain ports.
    """

    def __init__(self, *, tls: bool = False, start_timeout: float = 10.0) -> None:
        self.tls = tls
        self.start_timeout = start_timeout
        self.host = LOOPBACK
        self.imap_port = 0
        self.pop3_port = 0
        self.imaps_port: int | None = None
        self.pop3s_port: int | None = None
        self.cert_path: Path | None = None
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._users: set[str] = set()
        self._sequence = 0
        if os.geteuid() == 0:
            entry = pwd.getpwnam(UNPRIVILEGED_USER)
            self._uid, self._gid = entry.pw_uid, grp.getgrnam(UNPRIVILEGED_GROUP).gr_gid
        else:
            self._uid, self._gid = os.getuid(), os.getgid()

    @staticmethod
    def available() -> bool:
        """Whether dovecot with its IMAP and POP3 servers is installed."""
        return all(path.exists() for path in (BINARY, *PROTOCOL_BINARIES))

    # -- life cycle ---------------------------------------------------------

    @property
    def directory(self) -> Path:
        """The temporary directory holding configuration, log and mail."""
        if self._root is None:
            raise DovecotError("Dovecot is not running")
        return self._root

    def start(self) -> Self:
        """Start dovecot and wait until every port accepts connections."""
        if self._process is not None:
            raise DovecotError("Dovecot is already running")
        if not self.available():
            raise DovecotError(
                "Dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d"
            )
        self._root = Path(tempfile.mkdtemp(prefix="postroom-dovecot-"))
        try:
            self._prepare()
            for _ in range(_START_ATTEMPTS):
                if self._launch():
                    break
            else:
                raise DovecotError(f"ports kept being taken by others:\n{self._log_tail()}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop dovecot with SIGTERM and remove its directory."""
        if self._process is not None:
            self._terminate(self._process)
            self._process = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        self._users.clear()


    def _prepare(self) -> None:
        """Create the directory tree, certificate and empty password file."""
        root = self.directory
        for sub in ("run", "state", "home"):
            (root / sub).mkdir()
        (root / "passwd").touch(mode=0o600)
        if self.tls:
            self.cert_path, _ = make_self_signed_cert(root)
        for path in (root, *root.rglob("*")):
            self._own(path)

    def _launch(self) -> bool:
        """Start the master on fresh ports; ``False`` if a port was taken meanwhile."""
        root = self.directory
        ports = free_ports(4 if self.tls else 2)
        self.imap_port, self.pop3_port = ports[:2]
        self.imaps_port, self.pop3s_port = (ports[2], ports[3]) if self.tls else (None, None)
        config = root / "dovecot.conf"
        config.write_text(self._config())
        self._own(config)
        log_path = root / "dovecot.log"
        # dovecot reopens its log as the unprivileged user as soon as it
        # starts: hand the file over before the master exists, not after.
        log_path.touch()
        self._own(log_path)
        drop = os.geteuid() != self._uid  # root: run as the unprivileged user
        with open(log_path, "ab") as log_file:
            process = subprocess.Popen(
                [str(BINARY), "-F", "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=root,
                start_new_session=True,
                user=self._uid if drop else None,
                group=self._gid if drop else None,
                extra_groups=[] if drop else None,
            )
        self._process = process
        deadline = time.monotonic() + self.start_timeout
        pending = list(ports)
        while pending:
            if process.poll() is not None:
                self._process = None
                if _PORT_IN_USE in self.log():
                    return False
                raise DovecotError(
                    f"dovecot exited with status {process.returncode}:\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                raise DovecotError(
                    f"dovecot did not answer within {self.start_timeout}s:\n{self._log_tail()}"
                )
            # A greeting shows the port's login process is up, which also
            # lets stop() finish at once.
            if self._greets(pending[0], implicit_tls=pending[0] in ports[2:]):
                pending.pop(0)
            else:
                time.sleep(0.005)
        return True

    def _greets(self, port: int, implicit_tls: bool) -> bool:
        """Whether ``port`` accepts a connection and sends a greeting."""
        try:
            with contextlib.ExitStack() as stack:
                probe = stack.enter_context(socket.create_connection((self.host, port), timeout=1))
                if implicit_tls:
                    probe = stack.enter_context(
                        self.client_context().wrap_socket(probe, server_hostname=self.host)
                    )
                return bool(probe.recv(1024))
        except OSError:
            return False

    def _config(self) -> str:
        """The dovecot.conf text for the current ports and privileges."""
        root = self.directory
        if self.tls:
            ssl_settings = (
                f"ssl = yes\nssl_cert = <{root / 'cert.pem'}\nssl_key = <{root / 'key.pem'}"
            )
        else:
            ssl_settings = "ssl = no"
        return _CONFIG.substitute(
            host=self.host,
            root=root,
            log=root / "dovecot.log",
            ssl_settings=ssl_settings,
            user=pwd.getpwuid(self._uid).pw_name,
            group=grp.getgrgid(self._gid).gr_name,
            uid=self._uid,
            gid=self._gid,
            imap_port=self.imap_port,
            pop3_port=self.pop3_port,
            imaps_port=self.imaps_port or 0,
            pop3s_port=self.pop3s_port or 0,
        )

    @staticmethod
    def _terminate(process: subprocess.Popen[bytes]) -> None:
        """SIGTERM dovecot's process group, then SIGKILL whatever is left.

        Signalling the group, not just the master, spares the master's
        one-second wait for its log process.
        """
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.5)
        # A login process caught while starting up can hold the master for
        # seconds, and children may outlive it: clear the group for good.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def _own(self, path: Path) -> None:
        """Hand ``path`` to the user dovecot runs as."""
        if os.geteuid() != self._uid:
            os.chown(path, self._uid, self._gid)

    # -- users and mail -----------------------------------------------------

    def add_user(self, login: str, password: str) -> None:
        """Create a mail account with an empty INBOX; usable immediately."""
        if not login or any(char in login for char in ":/\n\r") or login.startswith("."):
            raise ValueError(f"unusable login for a test account: {login!r}")
        if any(char in password for char in ":\n\r"):
            raise ValueError("the password may not contain ':' or line breaks")
        if login in self._users:
            raise ValueError(f"user {login!r} already exists")
        self._make_maildir(self.maildir_path(login))
        with open(self.directory / "passwd", "a", encoding="utf-8") as passwd:
            passwd.write(f"{login}:{{PLAIN}}{password}\n")
        self._users.add(login)

    def maildir_path(self, login: str, folder: str = "INBOX") -> Path:
        """The Maildir of ``folder`` (Maildir++ layout: ``Sent`` is ``~/Maildir/.Sent``)."""
        maildir = self.directory / "home" / login / "Maildir"
        return maildir if folder.upper() == "INBOX" else maildir / f".{folder}"

    def deliver(self, login: str, raw: bytes, folder: str = "INBOX", seen: bool = False) -> Path:
        """Put a message into ``login``'s ``folder``, as a local delivery agent would.

        Unseen mail lands in ``new/`` (IMAP ``\\Recent``); ``seen=True`` puts it
        in ``cur/`` with the ``S`` flag. A missing folder is created. Returns
        the file's path.
        """
        if login not in self._users:
            raise KeyError(f"no such user: {login!r}")
        maildir = self.maildir_path(login, folder)
        if not maildir.exists():
            self._make_maildir(maildir)
            (maildir / "maildirfolder").touch()
            self._own(maildir / "maildirfolder")
        self._sequence += 1
        now = time.time()
        name = f"{int(now)}.M{int(now % 1 * 1_000_000):06d}P{os.getpid()}Q{self._sequence}.postroom"
        staged = maildir / "tmp" / name
        staged.write_bytes(raw)
        self._own(staged)
        final = maildir / "cur" / f"{name}:2,S" if seen else maildir / "new" / name
        staged.rename(final)
        return final

    def messages(self, login: str, folder: str = "INBOX") -> list[MaildirMessage]:
        """The messages in ``login``'s ``folder``, in IMAP order, with their flags.

        Expunged messages are gone; ``\\Deleted`` ones are still listed. A
        folder that does not exist yet is empty.
        """
        if login not in self._users:
            raise KeyError(f"no such user: {login!r}")
        maildir = self.maildir_path(login, folder)
        if not maildir.exists():
            return []
        for _ in range(5):  # dovecot may rename a file while we read
            try:
                return self._read_maildir(maildir)
            except FileNotFoundError:
                time.sleep(0.01)
        return self._read_maildir(maildir)

    def _read_maildir(self, maildir: Path) -> list[MaildirMessage]:
        """Read every message of one Maildir, sorted by UID, then by name."""
        keywords = self._keywords(maildir)
        uids = self._uids(maildir)
        found: list[tuple[float, str, MaildirMessage]] = []
        for sub in ("new", "cur"):
            for path in (maildir / sub).iterdir():
                base, _, info = path.name.partition(":")
                flags: set[str] = set()
                if info.startswith("2,"):
                    for letter in info[2:]:
                        flag = _SYSTEM_FLAGS.get(letter) or keywords.get(letter)
                        if flag:
                            flags.add(flag)
                found.append(
                    (uids.get(base, float("inf")), base, MaildirMessage(flags, path.read_bytes()))
                )
        found.sort(key=lambda item: item[:2])
        return [message for _, _, message in found]

    @staticmethod
    def _keywords(maildir: Path) -> dict[str, str]:
        """Maildir keyword letters (``a``, ``b``…) to names, from ``dovecot-keywords``."""
        path = maildir / "dovecot-keywords"
        if not path.exists():
            return {}
        keywords = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            index, _, name = line.partition(" ")
            if index.isdigit() and name:
                keywords[chr(ord("a") + int(index))] = name
        return keywords

    @staticmethod
    def _uids(maildir: Path) -> dict[str, int]:
        """File base names to IMAP UIDs, from ``dovecot-uidlist``."""
        path = maildir / "dovecot-uidlist"
        if not path.exists():
            return {}
        uids = {}
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            head, _, base = line.partition(" :")
            uid = head.split(" ", 1)[0]
            if base and uid.isdigit():
                uids[base] = int(uid)
        return uids

    def _make_maildir(self, maildir: Path) -> None:
        """Create ``maildir`` with ``cur``, ``new`` and ``tmp``, owned by dovecot's user."""
        missing = [parent for parent in (maildir, *maildir.parents) if not parent.exists()]
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True)
        for path in (*missing, *(maildir / sub for sub in ("cur", "new", "tmp"))):
            self._own(path)

    # -- diagnostics --------------------------------------------------------

    def client_context(self) -> ssl.SSLContext:
        """A client SSL context that trusts this server's certificate."""
        if self.cert_path is None:
            raise DovecotError("this Dovecot runs without TLS")
        return client_context_trusting(self.cert_path)

    def log(self) -> str:
        """Everything dovecot logged so far."""
        path = self.directory / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def _log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


__all__ = ["Dovecot", "DovecotError", "MaildirMessage"]
