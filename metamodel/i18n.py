"""Labels in several languages: a table's, a field's, a choice's and a rule's own words.

A table or field keeps its label (and help text, choice labels, rule messages) in the
language it was defined in, plus optional translations in its options::

    field options: {"translations": {"ru": {"label": "Клиент", "help_text": "…",
                                            "choices": {"draft": "Черновик"}}}}
    table options: {"translations": {"ru": {"label": "Счета", "section": "Продажи",
                                            "rules": ["Сообщение правила 1"]}}}

``localize(snapshot, "ru")`` gives the same snapshot with those words in Russian where a
translation exists (the defined words otherwise); the SQL tables and everything else are
shared. Pages draw from it; the API, formulas and exports keep the defined labels.
Configuration packages fill the translations from ``translations/<language>.yaml``
(``packages/loader.py``). A label changed by hand replaces its translations
(``without_label_translations``), so the owner's own words show in every language.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from .model import FieldDef, TableDef

if TYPE_CHECKING:
    from .catalog import Snapshot

LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
_TEXT = {"type": "string", "minLength": 1, "maxLength": 1000}

#: JSON Schema of the ``translations`` option of a field.
FIELD_TRANSLATIONS_SCHEMA: dict = {
    "type": "object", "propertyNames": {"pattern": LANGUAGE.pattern}, "maxProperties": 50,
    "additionalProperties": {"type": "object", "additionalProperties": False, "properties": {
        "label": {**_TEXT, "maxLength": 200}, "help_text": _TEXT,
        "choices": {"type": "object", "additionalProperties": {**_TEXT, "maxLength": 200}}}},
}

#: JSON Schema of the ``translations`` option of a table.
TABLE_TRANSLATIONS_SCHEMA: dict = {
    "type": "object", "propertyNames": {"pattern": LANGUAGE.pattern}, "maxProperties": 50,
    "additionalProperties": {"type": "object", "additionalProperties": False, "properties": {
        "label": {**_TEXT, "maxLength": 200}, "section": {**_TEXT, "maxLength": 200},
        "rules": {"type": "array", "items": {"type": ["string", "null"], "maxLength": 1000}}}},
}


def words(options: dict | None, lang: str | None) -> dict:
    """The translation of one table or field into ``lang`` ({} when there is none)."""
    if not lang or not isinstance(options, dict):
        return {}
    translations = options.get("translations")
    if not isinstance(translations, dict):
        return {}
    found = translations.get(lang) or translations.get(lang.split("_")[0])
    return found if isinstance(found, dict) else {}


def localize(snap: "Snapshot", lang: str | None) -> "Snapshot":
    """``snap`` with its labels in ``lang`` where translated (the same object when none is)."""
    if not lang or not any(t.options.get("translations") or any(f.options.get("translations")
                                                                for f in t.all_fields)
                           for t in snap.tables.values()):
        return snap
    cache = snap.__dict__.setdefault("_localized", {})
    if lang not in cache:
        tables = {tid: localize_table(t, lang) for tid, t in snap.tables.items()}
        for tid, parent_id in snap.parents.items():  # "Invoices: Line items" in the same words
            child, parent = tables[tid], tables.get(parent_id)
            lines = parent.field_by_id(child.parent_field_id) if parent is not None else None
            if lines is not None and not words(child.options, lang).get("label"):
                tables[tid] = dataclasses.replace(child, label=f"{parent.label}: {lines.label}")
        cache[lang] = dataclasses.replace(snap, tables=tables)
    return cache[lang]


def localize_table(table: TableDef, lang: str) -> TableDef:
    own = words(table.options, lang)
    options = table.options
    if own.get("rules") and isinstance(options.get("rules"), list):
        messages = own["rules"]
        options = {**options, "rules": [
            {**rule, "message": messages[i]} if i < len(messages) and messages[i] and isinstance(rule, dict)
            else rule for i, rule in enumerate(options["rules"])]}
    return dataclasses.replace(
        table, label=own.get("label") or table.label,
        section=own.get("section") or table.section if table.section else table.section,
        options=options, all_fields=[localize_field(f, lang) for f in table.all_fields])


def localize_field(field: FieldDef, lang: str) -> FieldDef:
    own = words(field.options, lang)
    if not own:
        return field
    options = dict(field.options)
    if own.get("help_text"):
        options["help_text"] = own["help_text"]
    names = own.get("choices") or {}
    if names and isinstance(options.get("choices"), list):
        options["choices"] = [{**c, "label": names[c["value"]]} if isinstance(c, dict) and c.get("value") in names
                              else c for c in options["choices"]]
    return dataclasses.replace(field, label=own.get("label") or field.label, options=options)


def section_names(snap: "Snapshot", lang: str | None) -> dict[str, str]:
    """Section name as defined -> its name in ``lang`` (from the tables' translations)."""
    names: dict[str, str] = {}
    for table in snap.tables.values():
        section = words(table.options, lang).get("section")
        if table.section and section:
            names.setdefault(table.section, section)
    return names


def without_label_translations(options: dict, changed: set[str]) -> dict:
    """``options`` with the translations of what was changed by hand (``label``,
    ``help_text``, ``section``, or choice values) left out: the new words show everywhere."""
    translations = options.get("translations")
    if not isinstance(translations, dict) or not changed:
        return options
    kept = {}
    for lang, own in translations.items():
        own = dict(own) if isinstance(own, dict) else {}
        for key in changed & {"label", "help_text", "section"}:
            own.pop(key, None)
        choices = {k: v for k, v in (own.get("choices") or {}).items() if f"choice:{k}" not in changed}
        if "choices" in own:
            own["choices"] = choices
            if not choices:
                own.pop("choices")
        if own:
            kept[lang] = own
    result = {k: v for k, v in options.items() if k != "translations"}
    if kept:
        result["translations"] = kept
    return result
