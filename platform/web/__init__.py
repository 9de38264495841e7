"""The browser UI: server-rendered pages driven by metadata, plain JavaScript for interaction.

Map: ``views`` (the blueprint, sign-in, the shell: navigation, language, security headers),
``lists`` (the generic list view and the trash), ``cards`` (the generic card view, its
history and related lists), ``designer`` (tables and fields, card layouts, list views,
sections), ``i18n`` (Flask-Babel), ``formatting`` (locale formats), ``cells`` (plain text).
Pages read through the record and schema services; the JavaScript in ``static/js`` writes
through the REST API with the session's CSRF token, so both obey the same rules.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from cardfile.platform.app.factory import get_runtime

    from .i18n import init_babel
    from .views import bp

    with app.app_context():
        init_babel(app, get_runtime().settings.data_dir)
    app.register_blueprint(bp)
    from .reports import init_app as init_reports

    init_reports(app)
    from .documents import init_app as init_documents

    init_documents(app)
    from .messaging import init_app as init_messaging

    init_messaging(app)


def render_error_page(status: int, code: str, message: str):
    from .messages import translate
    from .views import render_error

    return render_error(status, code, translate(code, message)[0])
