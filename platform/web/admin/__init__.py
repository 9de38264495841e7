"""Administration pages: users, groups, permissions, reassign owner, the security log, and
"view as" (an administrator previews the pages as another user or group, read-only).

    views.py       the ``admin`` blueprint under ``/admin``
    templates/     admin/*.html, extending the web UI's base.html; ``_preview_banner.html``
                   marks every page while a preview is on

Import rule: part of ``cardfile.platform.web``; talks to the services of the runtime only.
While a preview is on, every state-changing request except stopping the preview and signing
out is refused (``refuse_writes_while_previewing``), on pages and the API alike.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import packages  # noqa: F401 - the package pages' routes, on the same blueprint
    from .views import bp

    app.register_blueprint(bp)
