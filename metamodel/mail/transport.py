"""Sending over SMTP (smtplib): one connection for a batch of messages.

A failure is **temporary** (the server is down, answered 4xx, dropped the connection: retry
later) or **permanent** (5xx for this recipient: retrying cannot help).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from .settings import MailSettings

TIMEOUT = 30


class SendError(Exception):
    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def build_message(settings: MailSettings, to: str, subject: str, text: str, html: str | None = None,
                  headers: dict | None = None, message_id: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr(("Cardfile", settings.from_addr)) if settings.from_addr else "cardfile@localhost"
    msg["To"] = to
    msg["Subject"] = subject.replace("\n", " ").replace("\r", " ")
    domain = settings.from_addr.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = message_id or make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


class SmtpTransport:
    """``with SmtpTransport(settings) as smtp: smtp.send(message)``."""

    def __init__(self, settings: MailSettings, timeout: float = TIMEOUT):
        self.settings = settings
        self.timeout = timeout
        self.smtp = None

    def __enter__(self) -> "SmtpTransport":
        s = self.settings
        if not s.host:
            raise SendError("No SMTP server is set up (Administration → Mail).")
        try:
            if s.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout,
                                             context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
                if s.security == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if s.username:
                self.smtp.login(s.username, s.password)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(f"Cannot reach the SMTP server {s.host}:{s.port}: {_text(exc)}",
                            permanent=isinstance(exc, smtplib.SMTPAuthenticationError)) from None
        return self

    def send(self, message: EmailMessage) -> None:
        try:
            refused = self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendError(f"The server refused the recipient: {_text(exc)}",
                            permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"The server answered {exc.smtp_code}: {_text(exc)}",
                            permanent=exc.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(f"Sending failed: {_text(exc)}") from None
        if refused:
            raise SendError(f"The server refused: {refused}", permanent=True)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None

    def __exit__(self, *exc) -> None:
        self.close()


def _text(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return error.decode(errors="replace") if isinstance(error, bytes) else str(error)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                         for addr, (code, msg) in exc.recipients.items())
    return str(exc) or type(exc).__name__
