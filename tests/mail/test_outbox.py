"""The outbox: queued in the database, sent by the scheduler with retries; a real SMTP server."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from cardfile.metamodel.mail import MailOutbox
from cardfile.metamodel.storage.messaging_tables import cf_mail_log, cf_mail_outbox


@pytest.fixture
def outbox(mail_runtime, clock):
    return MailOutbox(mail_runtime, clock=clock)


def states(rt) -> dict:
    with rt.engine.connect() as conn:
        return dict(conn.execute(sa.select(cf_mail_outbox.c.to_addr, cf_mail_outbox.c.state)).all())


def test_queued_mail_is_sent_once_and_read_back(outbox, smtp_server, mail_runtime):
    outbox.queue("anna@example.com", "Hello", "Привет, Anna", html="<p>Привет</p>", key="k1")
    assert outbox.queue("anna@example.com", "Hello", "again", key="k1") is None  # the key is taken
    assert outbox.send_due()["sent"] == 1
    assert outbox.send_due()["sent"] == 0
    [message] = smtp_server.messages
    assert message["Subject"] == "Hello" and message["From"].addresses[0].addr_spec == "office@example.com"
    assert message.get_body(("plain",)).get_content().strip() == "Привет, Anna"
    assert message.get_body(("html",)).get_content().strip() == "<p>Привет</p>"
    assert states(mail_runtime) == {"anna@example.com": "sent"}


def test_an_outage_queues_and_retries_with_backoff(outbox, smtp_server, mail_runtime, clock):
    smtp_server.down = True
    outbox.queue("anna@example.com", "Hello", "text")
    assert outbox.send_due()["retry"] == 1 and smtp_server.messages == []
    assert outbox.send_due()["retry"] == 0  # waits for its next attempt
    clock.advance(minutes=1)
    assert outbox.send_due()["retry"] == 1
    smtp_server.down = False
    clock.advance(minutes=1)
    assert outbox.send_due()["sent"] == 0  # the second wait is two minutes
    clock.advance(minutes=1)
    assert outbox.send_due()["sent"] == 1 and len(smtp_server.messages) == 1
    with mail_runtime.engine.connect() as conn:
        assert [r[0] for r in conn.execute(sa.select(cf_mail_log.c.event).order_by(cf_mail_log.c.id))] == \
            ["retry", "retry", "sent"]


def test_a_server_that_is_not_there_is_an_outage_too(mail_runtime, clock, boss):
    outbox = MailOutbox(mail_runtime, clock=clock)
    outbox.save_settings(boss, {"host": "127.0.0.1", "port": 1})
    outbox.queue("anna@example.com", "Hello", "text")
    assert outbox.send_due()["retry"] == 1
    assert outbox.list(boss, "problems")["messages"][0]["last_error"].startswith("Cannot reach")


def test_a_refused_recipient_fails_at_once_and_shows_in_the_admin_list(outbox, smtp_server, mail_runtime, boss):
    smtp_server.refuse.add("ghost@example.com")
    outbox.queue("ghost@example.com", "Hello", "text")
    outbox.queue("anna@example.com", "Hello", "text")
    report = outbox.send_due()
    assert report["failed"] == 1 and report["sent"] == 1
    problems = outbox.list(boss, "problems")["messages"]
    assert [m["to"] for m in problems] == ["ghost@example.com"] and "550" in problems[0]["last_error"]
    assert outbox.counts(boss)["failed"] == 1
    outbox.resend(boss, problems[0]["id"])
    assert outbox.counts(boss)["queued"] == 1


def test_a_sender_that_died_while_sending_leaves_an_unknown_message_never_resent(outbox, smtp_server, mail_runtime,
                                                                               clock, boss):
    for i in range(3):
        outbox.queue(f"r{i}@example.com", "Hello", "text")

    def crash(point, row):
        if point == "accepted" and row["to_addr"] == "r1@example.com":
            raise KeyboardInterrupt  # as if killed after the server accepted, before the commit

    outbox.crash_hook = crash
    with pytest.raises(KeyboardInterrupt):
        outbox.send_due()
    outbox.crash_hook = None
    assert states(mail_runtime) == {"r0@example.com": "sent", "r1@example.com": "sending", "r2@example.com": "claimed"}
    clock.advance(minutes=11)  # the leases end
    report = outbox.send_due()
    assert report["unknown"] == 1 and report["sent"] == 1
    assert sorted(m["To"] for m in smtp_server.messages) == ["r0@example.com", "r1@example.com", "r2@example.com"]
    assert states(mail_runtime)["r1@example.com"] == "unknown"
    assert "may or may not" in outbox.list(boss, "unknown")["messages"][0]["last_error"]


def test_the_test_button_sends_now(outbox, smtp_server, boss):
    assert outbox.send_test(boss, "me@example.com") == {"ok": True, "to": "me@example.com"}
    assert smtp_server.messages[0]["Subject"] == "Cardfile: test message"
    smtp_server.refuse.add("nobody@example.com")
    result = outbox.send_test(boss, "nobody@example.com")
    assert result["ok"] is False and "550" in result["error"]


def test_settings_page_values_win_over_the_environment_and_hide_the_password(outbox, boss):
    saved = outbox.save_settings(boss, {"host": "mail.example.com", "port": "587", "security": "starttls",
                                        "username": "office", "password": "s3cret", "from_addr": "a@example.com"})
    assert saved["host"] == "mail.example.com" and saved["password_set"] is True and "password" not in saved
    again = outbox.save_settings(boss, {"host": "mail.example.com", "password": ""})
    assert again["password_set"] is True and outbox.settings().password == "s3cret"
    from cardfile.metamodel.errors import InvalidDefinition
    with pytest.raises(InvalidDefinition):
        outbox.save_settings(boss, {"port": "99999"})
    assert dt  # noqa
