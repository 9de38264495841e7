"""Emailing a document through a real SMTP server in the test process (aiosmtpd): the
attachment read back, the sending on the record's history with the recipient and the
file's digest, the access rules in the message, failures shown and logged, missing settings."""

from __future__ import annotations

import email
import hashlib
import socket
import threading
from email import policy

import pytest

from cardfile.metamodel.errors import BadQuery
from cardfile.metamodel.mail import MailOutbox
from cardfile.reports.documents.sending import DocumentMail, MailFailed, MailNotSetUp

from .conftest import envelope
from .docx_files import docx_text, make_docx
from .readback import pdf_text


class Mailbox:
    def __init__(self):
        self.messages = []
        self.refuse = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope_, address, rcpt_options):
        if address in self.refuse:
            return "550 No such mailbox here"
        envelope_.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope_):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope_.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:  # Controller(port=0) does not work: take a free port first
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture
def mail(shop, runtime, smtp):
    MailOutbox(runtime).save_settings(shop.admin, {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                                                   "from_addr": "office@example.com"})
    shop.docs.company.update(shop.admin, {"name": "Northwind Supply"})
    return DocumentMail(shop.docs)


def attachment(message):
    parts = [p for p in message.iter_attachments()]
    assert len(parts) == 1
    return parts[0].get_filename(), parts[0].get_content_type(), parts[0].get_content()


def test_a_pdf_goes_to_the_client_and_onto_the_history(mail, shop, runtime, smtp):
    template = shop.template("<h1>Invoice {{ number }}</h1><p>{{ words(total) }}</p>", language="ru",
                             filename="Invoice {{ number }}",
                             email={"subject": "Invoice {{ number }}", "body": "Dear {{ client.name }},\nattached."})
    draft = mail.draft(shop.admin, "invoices", shop.ids["invoice"], template["id"])
    assert draft["to"] == "buh@romashka.example"  # the linked client's email field
    assert (draft["subject"], draft["message"], draft["format"]) == ("Invoice INV-7", "Dear Romashka LLC,\nattached.", "pdf")
    sent = mail.send(shop.admin, "invoices", shop.ids["invoice"], template["id"], to="buh@romashka.example; boss@romashka.example")
    [message] = smtp.messages
    assert message["To"] == "buh@romashka.example, boss@romashka.example" and message["Subject"] == "Invoice INV-7"
    assert message["From"] == "Northwind Supply <office@example.com>"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == "Dear Romashka LLC,\nattached."
    name, media, data = attachment(message)
    assert (name, media) == ("Invoice INV-7.pdf", "application/pdf")
    assert "Invoice INV-7" in pdf_text(data) and "Одна тысяча двести рублей 50 копеек" in pdf_text(data)
    assert sent["sha256"] == hashlib.sha256(data).hexdigest()
    entry = runtime.records.history(shop.admin, "invoices", shop.ids["invoice"])[-1]
    assert entry["action"] == "emailed" and entry["user"]["display"] == "Admin"
    doc = entry["changes"]["_document"]
    assert (doc["to"], doc["sha256"], doc["file"]) == ("buh@romashka.example, boss@romashka.example", sent["sha256"],
                                                       "Invoice INV-7.pdf")
    kept = shop.docs.copies.list(shop.admin, "invoices", shop.ids["invoice"])
    assert kept[0]["action"] == "emailed" and kept[0]["sha256"] == sent["sha256"]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_word_document_by_email(mail, shop, smtp):
    template = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Word", "kind": "docx"})
    shop.docs.templates.attach_docx(shop.admin, template["id"], make_docx(["Invoice {{ number }}"]), "w.docx")
    mail.send(shop.admin, "invoices", shop.ids["invoice"], template["id"])
    name, media, data = attachment(smtp.messages[0])
    assert name.endswith(".docx") and media.endswith("wordprocessingml.document") and docx_text(data) == "Invoice INV-7"


def test_a_hidden_field_is_neither_in_the_document_nor_in_the_message(mail, shop, runtime, clerk, smtp):
    runtime.records.update(shop.admin, "clients", shop.ids["client"], {"manager": clerk.id, "version": 1})
    template = shop.template("<p>Tax ID {{ client.tax_id }}</p>",
                             email={"to": "{{ client.email }}", "subject": "For {{ client.tax_id }}",
                                    "body": "Your tax ID: {{ client.tax_id }}"})
    draft = mail.draft(clerk, "invoices", shop.ids["invoice"], template["id"])
    assert "TAX-7701234567" not in str(draft) and "[not readable: client.tax_id]" in draft["subject"]
    mail.send(clerk, "invoices", shop.ids["invoice"], template["id"])
    raw = smtp.messages[0].as_string()
    _name, _media, data = attachment(smtp.messages[0])
    assert "TAX-7701234567" not in raw and "TAX-7701234567" not in pdf_text(data)
    assert "[not readable: client.tax_id]" in pdf_text(data)


def test_failures_are_shown_and_logged_and_nothing_is_written(mail, shop, runtime, smtp, caplog):
    template = shop.template("<p>{{ number }}</p>")
    smtp.refuse.add("nobody@romashka.example")
    with pytest.raises(MailFailed) as exc:
        mail.send(shop.admin, "invoices", shop.ids["invoice"], template["id"], to="nobody@romashka.example")
    assert "550" in exc.value.message and exc.value.details["permanent"] is True
    assert "nobody@romashka.example" in caplog.text and "failed" in caplog.text
    assert runtime.records.history(shop.admin, "invoices", shop.ids["invoice"])[-1]["action"] != "emailed"
    with pytest.raises(BadQuery) as exc:
        mail.send(shop.admin, "invoices", shop.ids["invoice"], template["id"], to="not an address")
    assert exc.value.details["field"] == "to"
    MailOutbox(runtime).save_settings(shop.admin, {"host": "127.0.0.1", "port": 1, "security": "none"})
    with pytest.raises(MailFailed) as exc:
        mail.send(shop.admin, "invoices", shop.ids["invoice"], template["id"])
    assert "127.0.0.1:1" in exc.value.message


def test_missing_settings_say_where_to_set_them(shop):
    template = shop.template("<p>{{ number }}</p>")
    with pytest.raises(MailNotSetUp) as exc:
        DocumentMail(shop.docs).send(shop.admin, "invoices", shop.ids["invoice"], template["id"])
    assert "Administration → Mail" in exc.value.message and "CARDFILE_SMTP_URL" in exc.value.message


def test_email_over_the_api(api, clerk_api, shop, runtime, smtp, viewer):
    MailOutbox(runtime).save_settings(shop.admin, {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                                                   "from_addr": "office@example.com"})
    t = api.post("/templates", json={"table": "invoices", "name": "Mail", "kind": "html", "body": "<p>{{ number }}</p>",
                                     "settings": {"email": {"subject": "No {{ number }}"}}}).get_json()
    url = f"/tables/invoices/print/{t['id']}/{shop.ids['invoice']}/email"
    assert api.get(url).get_json()["subject"] == "No INV-7"
    sent = api.post(url, json={"to": "a@romashka.example", "message": "Hello"})
    assert sent.status_code == 200 and sent.get_json()["to"] == ["a@romashka.example"]
    assert smtp.messages[-1].get_body(("plain",)).get_content().strip() == "Hello"
    envelope(api.post(url, json={"to": "a@romashka.example", "cc": "b@romashka.example"}), 400, "UNKNOWN_KEYS")
    envelope(api.post(url, json={"format": "docx"}), 400, "BAD_QUERY")
    smtp.refuse.add("gone@romashka.example")
    envelope(api.post(url, json={"to": "gone@romashka.example"}), 502, "MAIL_FAILED")
    envelope(clerk_api.post(f"/tables/invoices/print/{t['id']}/999/email", json={}), 404, "RECORD_NOT_FOUND")
    MailOutbox(runtime).save_settings(shop.admin, {"host": ""})
    envelope(api.post(url, json={}), 409, "MAIL_NOT_SET_UP")
