"""Email a document: "Send by email" on a card, the PDF or DOCX attached.

    DocumentMail.draft(actor, table, id, template)   recipient, subject and message to offer:
                         the template's ``email`` settings rendered for the record (as the
                         actor: a hidden field is a placeholder here too), else the record's
                         first readable email field (or its linked client's) and plain defaults
    DocumentMail.send(actor, table, id, template, to=…, subject=…, message=…, fmt=…)
                         render, attach, send, then write the sending on the record's
                         history (``copies.py``: recipient, file name, SHA-256 digest)

The mail server and the sender are the outgoing-mail settings (``cardfile.metamodel.mail``:
Administration → Mail, else ``CARDFILE_SMTP_URL`` and ``CARDFILE_MAIL_FROM``); without them
``send`` refuses with ``MAIL_NOT_SET_UP``, saying where to set them. The message goes out at
once through the mail module's SMTP transport, so the person sending sees the server's
answer: a failure is ``MAIL_FAILED`` with that answer, logged, and nothing is written on the
history. (The outgoing queue holds texts without attachments; ``transport`` is the one
place to change when it carries files.)
"""

from __future__ import annotations

import logging
import re
from email.utils import formataddr

from cardfile.metamodel.errors import BadQuery, CardfileError
from cardfile.metamodel.mail import settings as mail_settings
from cardfile.metamodel.mail.transport import SendError, SmtpTransport, build_message

from .render import MEDIA_TYPES, Documents

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 20
DEFAULT_SUBJECT = "{{ template.name }}"
DEFAULT_MESSAGE = "Hello,\n\nplease find the document attached.\n\n{{ company.name }}"
_SPLIT = re.compile(r"[,;\s]+")


class MailNotSetUp(CardfileError):
    code = "MAIL_NOT_SET_UP"


class MailFailed(CardfileError):
    code = "MAIL_FAILED"


def mail_server(runtime) -> mail_settings.MailSettings:
    """The outgoing-mail settings, or ``MAIL_NOT_SET_UP`` saying where to set them."""
    with runtime.engine.connect() as conn:
        found = mail_settings.load(conn, runtime.settings)
    if not found.configured:
        missing = [name for name, value in (("the SMTP server", found.host), ("the sender's address", found.from_addr))
                   if not value]
        raise MailNotSetUp(f"Email is not set up: an administrator enters {' and '.join(missing)} under "
                           "Administration → Mail (or sets CARDFILE_SMTP_URL and CARDFILE_MAIL_FROM in the "
                           "server's environment).", {"missing": missing})
    return found


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
    def __init__(self, docs: Documents, transport=SmtpTransport):
        self.docs = docs
        self.transport = transport  # ``with transport(settings) as smtp: smtp.send(message)``

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
        server = mail_server(self.docs.rt)
        fmt = fmt or draft["format"]
        output = self.docs.render(actor, table_name, record_id, template_id, fmt, keep=False)
        subject = (draft["subject"] if subject is None else subject).replace("\r", " ").replace("\n", " ")[:500]
        mail = build_message(server, ", ".join(addresses), subject, draft["message"] if message is None else message)
        sender = self.docs.company.get().get("name")
        if sender:
            mail.replace_header("From", formataddr((sender, server.from_addr)))
        maintype, subtype = MEDIA_TYPES[output.format].split(";")[0].split("/")
        mail.add_attachment(output.data, maintype=maintype, subtype=subtype, filename=output.filename)
        try:
            with self.transport(server) as smtp:
                smtp.send(mail)
        except SendError as exc:
            log.warning("Sending %s of %s #%s to %s failed: %s", output.filename, table_name, record_id,
                        ", ".join(addresses), exc)
            raise MailFailed(f"The message was not sent: {exc}",
                             {"to": addresses, "server": f"{server.host}:{server.port}",
                              "permanent": exc.permanent}) from None
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
