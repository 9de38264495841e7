"""Reminders, the inbox, mailings and mail administration in the browser.

    views.py            the ``messaging`` blueprint: /inbox (and the bell in the top bar),
                        /reminders (the rule designer), /mailings, /admin/mail, and the
                        public /unsubscribe/<token>
    templates/messaging pages extending the web UI's base.html
    static/             messaging.css, rule.js (the rule designer's live condition check)

Import rule: part of ``cardfile.platform.web``; pages call the services of
``cardfile.metamodel.reminders`` and ``cardfile.metamodel.mail`` with the signed-in user.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .views import bp, unsubscribe_confirm

    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # the signed token in the URL is the permission (and works without a session)
        csrf.exempt(unsubscribe_confirm)
