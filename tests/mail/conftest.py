"""Mail fixtures: a real SMTP server in the test process (aiosmtpd) and a moved clock."""

from __future__ import annotations

import datetime as dt
import email
import socket
import threading
from email import policy

import pytest

UTC = dt.timezone.utc


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing):
    return None


class Clock:
    def __init__(self, now=dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    return Clock()


class Mailbox:
    """What the SMTP server received: parsed messages, in order."""

    def __init__(self):
        self.messages: list = []
        self.lock = threading.Lock()
        self.refuse: set = set()     # addresses answered with 550
        self.down = False            # answer every transaction with 421

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.down:
            return "421 Service not available, try again later"
        if address in self.refuse:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    """aiosmtpd's Controller(port=0) does not work: take a free port first."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture
def mail_runtime(settings, smtp_server):
    """A runtime whose mail goes to the test server."""
    import dataclasses

    from cardfile.metamodel.runtime import build_runtime

    rt = build_runtime(dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
                                           mail_from="office@example.com", base_url="https://crm.example.com",
                                           mail_per_minute=1000))
    yield rt
    rt.dispose()


@pytest.fixture
def boss(mail_runtime):
    return mail_runtime.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
