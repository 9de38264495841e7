"""The report designer in the browser: pick a table, drag fields to rows, columns and values,
preview live, chart, save (personal or shared), drill down to the records, export.

    views.py            the ``reports`` blueprint under ``/reports`` (list, new, open)
    templates/reports/  pages extending the web UI's base.html
    static/             reports.js (designer, preview table, SVG chart) and reports.css

Import rule: part of ``cardfile.platform.web``; pages read through ``ReportService`` and the
schema service; the script writes through the REST API (``/api/v1/reports…``) with the
session's CSRF token, so the browser obeys the same rules as any API client.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
