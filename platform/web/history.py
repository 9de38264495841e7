"""A record's History tab: audit entries as rows of "field: old → new" in the user's formats.

Links and users arrive from the record service as ``{"id", "display"}`` and show their
name. A value is shown in the field's current type when it reads as one; a value from
before a retype (text in what is now a number field) is shown as it was stored, never as
an empty cell. A retype that emptied the value ("convert" entries) says so, with the
value it had, the two types and why it could not be kept.
"""

from __future__ import annotations

from flask_babel import gettext as _

from cardfile.metamodel.fieldtypes.registry import FieldTypeRegistry

from .formatting import format_timestamp, format_value


def history_rows(rt, table, entries) -> list[dict]:
    actions = {"create": _("created"), "update": _("changed"), "delete": _("moved to the trash"),
               "restore": _("restored"), "convert": _("field type changed"), "reminder": _("reminder sent"),
               "printed": _("document kept"), "emailed": _("document emailed")}
    rows = []
    for e in reversed(entries):
        changes = []
        for name, pair in (e.get("changes") or {}).items():
            f = table.field(name)
            if f is None or not isinstance(pair, list) or len(pair) != 2:
                continue
            old, new = pair
            if f.type == "lines":
                changes.append({"label": f.label, "old": _("%(num)s lines", num=old), "new": _("%(num)s lines", num=new)})
            else:
                changes.append({"label": f.label, "old": shown(rt.registry, f, old), "new": shown(rt.registry, f, new)})
        note = conversion_note(rt.registry, table, (e.get("changes") or {}).get("_conversion")) or \
            reminder_note((e.get("changes") or {}).get("_reminder")) or \
            document_note((e.get("changes") or {}).get("_document"))
        rows.append({"at": format_timestamp(e["at"]), "who": (e.get("user") or {}).get("display") or _("system"),
                     "action": actions.get(e["action"], e["action"]), "version": e.get("version"),
                     "changes": changes, "note": note})
    return rows


def shown(registry: FieldTypeRegistry, field, value) -> str:
    """``value`` in the user's format for ``field``; as stored when it does not read as one."""
    if value is None or value == "":
        return ""
    text = format_value(registry, field, value)
    if text:
        return text
    if isinstance(value, dict):
        return str(value.get("display") or value.get("amount") or value)
    return str(value)


def conversion_note(registry: FieldTypeRegistry, table, conversion) -> str:
    if not isinstance(conversion, dict) or table.field(str(conversion.get("field"))) is None:
        return ""
    names = {key: _type_label(registry, conversion.get(key)) for key in ("from", "to")}
    return _("The field was changed from %(old)s to %(new)s; this value could not be kept (%(reason)s).",
             old=names["from"], new=names["to"], reason=conversion.get("reason") or "")


def document_note(document) -> str:
    """A printed copy kept, or a document emailed: the file, the recipient, the digest."""
    if not isinstance(document, dict):
        return ""
    digest = str(document.get("sha256") or "")[:12]
    if document.get("to"):
        return _("%(file)s sent to %(to)s (SHA-256 %(digest)s…)", file=document.get("file") or "",
                 to=document["to"], digest=digest)
    return _("%(file)s (SHA-256 %(digest)s…)", file=document.get("file") or "", digest=digest)


def _type_label(registry: FieldTypeRegistry, key) -> str:
    from .designer import type_label  # the translated names of the built-in types

    return type_label(registry.get(str(key))) if str(key) in registry else str(key)


def reminder_note(reminder) -> str:
    """What a reminder entry says: the rule, to whom, and whether it came late."""
    if not isinstance(reminder, dict):
        return ""
    note = _("“%(rule)s” to %(who)s", rule=reminder.get("rule") or "", who=", ".join(reminder.get("to") or []))
    return note + (" " + _("(late: the server was not running when it was due)") if reminder.get("late") else "")
