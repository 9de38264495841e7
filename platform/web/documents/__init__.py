"""Documents in the browser: the Print menu of every card and list, batches printed on a
worker with progress, "Send by email", the copies kept with a record, and the template
editor (list per table, HTML editor with checks, live preview, variables, Word files).

    views.py              the ``documents`` blueprint under ``/documents``; the Print menus'
                          data for card.html and list.html (``print_templates``)
    templates/documents/  the menus (included by card.html and list.html), the pages
    static/               print.js (menus, email dialog, batch progress), editor.js,
                          documents.css

Import rule: part of ``cardfile.platform.web``; pages read through ``TemplateService`` and
the record service (``cardfile.reports.documents``); the scripts write through the REST
API (``/api/v1/templates…``, ``…/print…``) with the session's CSRF token.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
