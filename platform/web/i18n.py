"""Translations and locale formats for the browser UI (Flask-Babel + Babel).

* Every UI string goes through gettext; the catalogues live in ``translations/<lang>/
  LC_MESSAGES/messages.po`` (English is the source language, so it needs none).
* The ``.po`` files are compiled to ``.mo`` when the app starts, into
  ``<data dir>/translations`` (only when the ``.po`` is newer), so no binary is kept in git.
  ``pybabel extract -F platform/web/babel.cfg -o messages.pot platform/web`` and
  ``pybabel update -i messages.pot -d platform/web/translations`` refresh them.
* The locale: the language the user picked (kept in the session), else the browser's
  ``Accept-Language``, else English.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel

HERE = Path(__file__).parent
SOURCE_DIR = HERE / "translations"
#: Language code -> its name in that language (shown in the language menu).
LANGUAGES = {"en": "English", "ru": "Русский"}
SESSION_KEY = "lang"


def select_locale() -> str:
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def compile_catalogues(target: Path) -> Path:
    """Compile every ``messages.po`` under ``SOURCE_DIR`` into ``target`` (when newer)."""
    for po in SOURCE_DIR.glob("*/LC_MESSAGES/messages.po"):
        mo = target / po.relative_to(SOURCE_DIR).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalog = read_po(source)
        tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")  # workers compile side by side: one file each
        with tmp.open("wb") as out:
            write_mo(out, catalog)
        tmp.replace(mo)
    return target


def init_babel(app: Flask, data_dir: Path) -> None:
    compiled = compile_catalogues(Path(data_dir) / "translations")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled.resolve())
    Babel(app, locale_selector=select_locale)


# --- the words of the configuration (tables, fields, choices, reports) --------------------
def language() -> str:
    """The language of the current page ("ru", "en")."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "en"


def local(snap):
    """``snap`` with the labels of tables, fields and choices in the page's language
    (their translations, see ``cardfile.metamodel.i18n``)."""
    from cardfile.metamodel.i18n import localize

    return localize(snap, language())


def local_section(snap, name: str | None) -> str | None:
    """A menu section's name in the page's language (``snap``: any snapshot of the tables;
    the names are looked up as the tables define them)."""
    from cardfile.metamodel.i18n import section_names
    from cardfile.platform.app.factory import get_runtime

    if not name:
        return name
    return section_names(get_runtime().schema.snapshot(), language()).get(name, name)


def local_report(report: dict) -> dict:
    """A saved report's name and description in the page's language, where translated."""
    own = ((report.get("definition") or {}).get("translations") or {}).get(language()) or {}
    return {**report, "name": own.get("name") or report.get("name"),
            "description": own.get("description") or report.get("description")}
