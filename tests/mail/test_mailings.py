"""Mailings: audience, placeholders, preview, skips, unsubscribe links, throttled sending,
their own permission; read back from a real SMTP server."""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import AccessDenied, InvalidDefinition
from cardfile.metamodel.mail import MailOutbox
from cardfile.metamodel.mail.mailings import MailingService
from cardfile.metamodel.mail.unsubscribe import make_token, read_token, unsubscribe

SECRET = "test-secret"


@pytest.fixture
def shop(mail_runtime, boss):
    rt = mail_runtime
    rt.schema.create_table(boss, {"label": "Clients", "api_name": "clients", "fields": [
        {"label": "Name", "api_name": "name", "type": "text"},
        {"label": "Email", "api_name": "email", "type": "text"},
        {"label": "City", "api_name": "city", "type": "text"},
        {"label": "Discount", "api_name": "discount", "type": "integer"},
        {"label": "Unsubscribed", "api_name": "unsubscribed", "type": "boolean"}]})
    rows = [{"name": "Ana", "email": "ana@example.com", "city": "Chisinau", "discount": 5},
            {"name": "Bob", "email": "", "city": "Chisinau"},
            {"name": "Cid", "email": "not an address", "city": "Chisinau"},
            {"name": "Dan", "email": "dan@example.com", "city": "Chisinau", "unsubscribed": True},
            {"name": "Eva", "email": "eva@example.com", "city": "Balti"},
            {"name": "Fay", "email": "fay@example.com", "city": "Chisinau", "discount": 10}]
    rt.records.bulk_create(boss, "clients", rows)
    return rt


@pytest.fixture
def mailings(shop, clock):
    return MailingService(shop, SECRET, clock=clock)


@pytest.fixture
def outbox(shop, clock):
    return MailOutbox(shop, clock=clock)


def spec(**extra):
    data = {"table": "clients", "name": "New price list", "email_field": "email",
            "audience": {"filters": [["city", "eq", "Chisinau"]]},
            "subject": "New prices for {name}", "text": "Dear {name}, your discount stays {discount}%.",
            "html": "<p>Dear {name}</p>"}
    data.update(extra)
    return data


def test_preview_start_send_and_log(mailings, outbox, smtp_server, boss, clock):
    draft = mailings.create(boss, spec())
    preview = mailings.preview(boss, draft["id"])
    assert preview["total"] == 5 and preview["record"]["display"] == "Ana"
    assert preview["subject"] == "New prices for Ana" and preview["text"].startswith("Dear Ana, your discount stays 5%.")
    assert "https://crm.example.com/unsubscribe/" in preview["text"]
    started = mailings.start(boss, draft["id"])
    assert started["state"] == "sending" and started["total"] == 5
    assert started["counts"]["skipped"] == 3 and started["counts"]["pending"] == 2
    reasons = {r["record"]: r["reason"] for r in mailings.recipients(boss, draft["id"], "skipped")["recipients"]}
    assert sorted(reasons.values()) == ["no email address", "not an email address: not an address", "unsubscribed"]
    assert mailings.run()["queued"] == 2
    assert outbox.send_due()["sent"] == 2
    assert mailings.run()["finished"] == 1
    done = mailings.get(boss, draft["id"])
    assert done["state"] == "done" and done["counts"]["sent"] == 2
    assert sorted(m["To"] for m in smtp_server.messages) == ["ana@example.com", "fay@example.com"]
    fay = smtp_server.to("fay@example.com")[0]
    assert fay["Subject"] == "New prices for Fay" and fay["List-Unsubscribe"].strip().startswith("<https://crm.example.com/")
    assert "Dear Fay</p>" in fay.get_body(("html",)).get_content()


def test_placeholders_are_escaped_in_html(shop, mailings, boss):
    shop.records.create(boss, "clients", {"name": "<b>Zed</b>", "email": "zed@example.com", "city": "Orhei"})
    draft = mailings.create(boss, spec(audience={"filters": [["city", "eq", "Orhei"]]}))
    assert "&lt;b&gt;Zed&lt;/b&gt;" in mailings.preview(boss, draft["id"])["html"]


def test_the_rate_limits_each_minute(shop, mailings, outbox, boss, clock):
    outbox.save_settings(boss, {"per_minute": 1})
    draft = mailings.create(boss, spec())
    mailings.start(boss, draft["id"])
    assert mailings.run()["queued"] == 1
    assert mailings.run()["queued"] == 0
    clock.advance(minutes=1, seconds=1)
    assert mailings.run()["queued"] == 1


def test_unsubscribe_links_are_signed(shop, mailings, outbox, smtp_server, boss, clock):
    table = shop.schema.snapshot().table("clients")
    token = make_token(SECRET, table.id, 6, 1)
    assert read_token(SECRET, token) == (table.id, 6, 1)
    assert read_token(SECRET, token.replace(".6.", ".5.")) is None
    assert read_token("another-secret", token) is None
    assert unsubscribe(shop.engine, SECRET, token, clock.now) is True
    draft = mailings.create(boss, spec())
    started = mailings.start(boss, draft["id"])
    assert started["counts"]["pending"] == 1  # Fay (#6) opted out through the link


def test_mailing_needs_its_own_permission(shop, mailings, boss):
    clerk = shop.users.create("clerk", "clerk-password", actor=boss)
    shop.groups.create(boss, "clerks")
    shop.groups.set_permission(boss, "clerks", "clients", {"actions": ["read", "update", "export"]})
    shop.groups.add_member(boss, "clerks", "clerk")
    with pytest.raises(AccessDenied):
        mailings.create(clerk, spec())
    draft = mailings.create(boss, spec())
    with pytest.raises(AccessDenied):
        mailings.start(clerk, draft["id"])
    assert mailings.list(clerk) == []
    shop.groups.set_permission(boss, "clerks", "clients", {"actions": ["read", "mail"]})
    assert [m["id"] for m in mailings.list(clerk)] == [draft["id"]]


@pytest.mark.parametrize("change, words", [
    ({"email_field": "city2"}, "email_field"),
    ({"subject": "Hi {nobody}"}, "no field 'nobody'"),
    ({"audience": {"filters": [["nope", "eq", "1"]]}}, None),
    ({"audience": {"view": 999}}, None),
    ({"text": ""}, "text"),
])
def test_bad_mailings_are_refused(mailings, boss, change, words):
    from cardfile.metamodel.errors import CardfileError
    with pytest.raises(CardfileError) as exc:
        mailings.create(boss, spec(**change))
    if words:
        assert words in exc.value.message


def test_a_started_mailing_keeps_its_audience(mailings, boss):
    draft = mailings.create(boss, spec())
    mailings.start(boss, draft["id"])
    mailings.pause(boss, draft["id"])
    with pytest.raises(InvalidDefinition):
        mailings.update(boss, draft["id"], {"audience": {"filters": []}})
    assert mailings.update(boss, draft["id"], {"subject": "Fixed {name}"})["subject"] == "Fixed {name}"
    mailings.resume(boss, draft["id"])
    assert mailings.cancel(boss, draft["id"])["counts"]["pending"] == 0


def test_the_sample_package_brings_a_mailing_draft(settings, boss, mail_runtime):
    from cardfile.metamodel.mail.package import apply_mailings
    from cardfile.metamodel.packages import apply_package, load_package
    from cardfile.metamodel.packages.samples import resolve

    path, _source = resolve("customer-accounting")
    pkg = load_package(path)
    apply_package(mail_runtime, boss, pkg)
    assert apply_mailings(mail_runtime, boss, pkg, SECRET) == {"created": 1, "kept": 0}
    assert apply_mailings(mail_runtime, boss, pkg, SECRET) == {"created": 0, "kept": 1}
    service = MailingService(mail_runtime, SECRET)
    [draft] = service.list(boss)
    assert draft["name"] == "New price list" and draft["state"] == "draft"
    mail_runtime.records.create(boss, "clients", {"kind": "organization", "name": "Acme", "status": "active",
                                                  "email": "office@acme.example"})
    preview = service.preview(boss, draft["id"])
    assert preview["subject"] == "Acme: our new price list" and preview["total"] == 1
