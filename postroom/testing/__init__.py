"""The test kit: a pytest plugin (:mod:`.plugin`) and real protocol peers.

- :mod:`.plugin`: fixtures for a test database with the addons installed once
  per session, an ``env`` rolled back after each test, and committed copies
  for tests that must commit.
- :mod:`.smtp`: an aiosmtpd server with programmable answers.
- :mod:`.dovecot`: a throw-away Dovecot (IMAP and POP3).
"""
