"""Email a document: "Send by email" on a card, the PDF or DOCX attached.

    DocumentMail.draft(actor, table, id, template)   recipient, subject and message to offer:
                         the template's ``email`` settings rendered for the record (as the
                         actor: a hidden field is a placeholder here too), else the record's
                         first readable email field and plain defaults
    DocumentMail.send(actor, table, id, template, to=…, subject=…, message=…, fmt=…)
                         render, attach, send, then write the sending on the record's
                         history (``copies.py``: recipient, file name, SHA-256 digest)

The server is ``CARDFILE_SMTP_URL`` (``smtp://user:password@host:25``,
``smtp+starttls://…:587`` or ``smtps://…:465``) with ``CARDFILE_MAIL_FROM`` as the
sender. Without them ``send`` refuses with ``MAIL_NOT_SET_UP``, saying where to set them.
A failure to send is ``MAIL_FAILED`` with the server's answer, logged, and nothing is
written on the history. Sending is immediate through ``send_message``, one function that
an outgoing-mail queue can take over (``DocumentMail(..., transport=…)``).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Callable
from urllib.parse import unquote, urlsplit

from cardfile.metamodel.errors import BadQuery, CardfileError

from .render import MEDIA_TYPES, Documents

log = logging.getLogger(__name__)

TIMEOUT = 30
MAX_RECIPIENTS = 20
DEFAULT_SUBJECT = "{{ template.name }}"
DEFAULT_MESSAGE = "Hello,\n\nplease find the document attached.\n\n{{ company.name }}"
_SPLIT = re.compile(r"[,;\s]+")


class MailNotSetUp(CardfileError):
    code = "MAIL_NOT_SET_UP"


class MailFailed(CardfileError):
    code = "MAIL_FAILED"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # none, starttls, ssl
    username: str
    password: str
    sender: str


def smtp_server(settings) -> SmtpServer:
    """The server from the runtime's settings, or ``MAIL_NOT_SET_UP`` saying where to set it."""
    url, sender = getattr(settings, "smtp_url", None), getattr(settings, "mail_from", None)
    if not url or not sender:
        missing = " and ".join(n for n, v in (("CARDFILE_SMTP_URL", url), ("CARDFILE_MAIL_FROM", sender)) if not v)
        raise MailNotSetUp(f"Email is not set up: set {missing} in the server's environment "
                           "(for example CARDFILE_SMTP_URL=smtp+starttls://user:password@smtp.example.com:587 "
                           "and CARDFILE_MAIL_FROM=office@example.com), then restart Cardfile.",
                           {"missing": [n for n, v in (("CARDFILE_SMTP_URL", url), ("CARDFILE_MAIL_FROM", sender))
                                        if not v]})
    parts = urlsplit(url)
    security = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "ssl"}.get(parts.scheme)
    if security is None or not parts.hostname:
        raise MailNotSetUp("CARDFILE_SMTP_URL should look like smtp://host:25, smtp+starttls://user:password@host:587 "
                           "or smtps://user:password@host:465.", {"setting": "CARDFILE_SMTP_URL"})
    port = parts.port or {"none": 25, "starttls": 587, "ssl": 465}[security]
    return SmtpServer(parts.hostname, port, security, unquote(parts.username or ""), unquote(parts.password or ""),
                      sender)


def send_message(server: SmtpServer, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; ``OSError``/``smtplib.SMTPException`` on failure."""
    context = ssl.create_default_context()
    if server.security == "ssl":
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    with smtp:
        if server.security == "starttls":
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password)
        smtp.send_message(message)


def recipients(text: str) -> list[str]:
    """The addresses in ``text`` (comma, semicolon or space separated), each checked."""
    from email_validator import EmailNotValidError, validate_email

    found = [part for part in _SPLIT.split(text or "") if part]
    if not found:
        raise BadQuery("Whom should it go to? Give an email address.", {"field": "to"})
    if len(found) > MAX_RECIPIENTS:
        raise BadQuery(f"At most {MAX_RECIPIENTS} recipients.", {"field": "to"})
    out = []
    for address in found:
        try:
            out.append(validate_email(address, check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            raise BadQuery(f"{address!r} is not an email address: {exc}", {"field": "to", "value": address}) from None
    return out


class DocumentMail:
    def __init__(self, docs: Documents, transport: Callable[[SmtpServer, EmailMessage], None] = send_message):
        self.docs = docs
        self.transport = transport

    def draft(self, actor, table_name: str, record_id, template_id) -> dict:
        """What the "Send by email" form starts with, rendered as ``actor``."""
        template = self.docs.templates.for_use(actor, template_id, table_name)
        record = self.docs.rt.records.get(actor, table_name, record_id, action="print")
        reader = self.docs.reader(actor)
        email = template["settings"].get("email") or {}
        text = lambda source: self.docs.text(actor, reader, template, table_name, record, source)  # noqa: E731
        to = text(email["to"]).strip() if email.get("to") else self._email_field(reader, table_name, record)
        fmt = email.get("format") or ("docx" if template["kind"] == "docx" else "pdf")
        return {"to": to, "subject": text(email.get("subject") or DEFAULT_SUBJECT).strip(),
                "message": text(email.get("body") or DEFAULT_MESSAGE), "format": fmt,
                "formats": ["docx"] if template["kind"] == "docx" else ["pdf", "html"],
                "template": {"id": template["id"], "name": template["name"]}}

    def send(self, actor, table_name: str, record_id, template_id, to: str | None = None,
             subject: str | None = None, message: str | None = None, fmt: str | None = None) -> dict:
        draft = self.draft(actor, table_name, record_id, template_id)
        addresses = recipients(draft["to"] if to is None else to)
        server = smtp_server(self.docs.rt.settings)
        fmt = fmt or draft["format"]
        output = self.docs.render(actor, table_name, record_id, template_id, fmt, keep=False)
        subject = (draft["subject"] if subject is None else subject).replace("\r", " ").replace("\n", " ")[:500]
        mail = EmailMessage()
        mail["From"] = formataddr(("", server.sender)) if server.sender else server.sender
        mail["To"] = ", ".join(addresses)
        mail["Subject"] = subject
        mail["Message-ID"] = make_msgid(domain=server.sender.rpartition("@")[2] or "localhost")
        mail.set_content(draft["message"] if message is None else message)
        maintype, subtype = MEDIA_TYPES[output.format].split(";")[0].split("/")
        mail.add_attachment(output.data, maintype=maintype, subtype=subtype, filename=output.filename)
        try:
            self.transport(server, mail)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("Sending %s of %s #%s to %s failed: %s", output.filename, table_name, record_id,
                        ", ".join(addresses), exc)
            raise MailFailed(f"The mail server did not take the message: {_reason(exc)}",
                             {"to": addresses, "server": f"{server.host}:{server.port}"}) from None
        kept = self.docs.copies.keep(actor, table_name, output.record, output, sent_to=", ".join(addresses),
                                     subject=subject)
        return {"to": addresses, "subject": subject, "file": output.filename, "format": output.format,
                "sha256": kept["sha256"], "size": kept["size"]}

    def _email_field(self, reader, table_name: str, record: dict) -> str:
        table = reader.snap.table(table_name)
        for f in table.fields:
            if f.type == "email" and record.get(f.api_name):
                return str(record[f.api_name])
        for f in table.fields:  # the linked client's address, one link away
            if f.type == "link" and record.get(f.api_name):
                target = reader.snap.table_by_id(int(f.options["target_id"]))
                linked = reader.get(target.api_name, _link_id(record[f.api_name]))
                for g in target.fields:
                    if linked and g.type == "email" and linked.get(g.api_name):
                        return str(linked[g.api_name])
        return ""


def _link_id(value) -> int:
    return int(value["id"] if isinstance(value, dict) else value)


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
                         for addr, (code, msg) in exc.recipients.items())
    return str(exc) or exc.__class__.__name__
