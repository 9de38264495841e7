"""Server messages shown on pages, in the user's language.

The record and schema services speak English (the API keeps their words, which
integrations match on). Where a page shows one of their messages (a card's save, an
error page), ``translate(code, message, details)`` gives it in the page's language: the
message shapes the services use are listed below with their translation, and the table and
field labels inside them are given in the page's language too (their translations, see
``cardfile.metamodel.i18n``). A rule's message comes from the rule's own translation, and
"field in use" is written anew from its details. A message of unknown shape stays as it is.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from flask_babel import gettext as _

from cardfile.platform.app.factory import get_runtime

from .i18n import language, local

#: Suffix the record service adds to a value it could not read: " (a decimal field)".
TYPE_SUFFIX = re.compile(r" \((?:a|an) [a-z /-]+ field\)$")


def _patterns() -> list[tuple[re.Pattern, Callable[[dict], str]]]:
    p = re.compile
    return [
        (p(r"is required"), lambda m: _("is required")),
        (p(r"is read-only"), lambda m: _("is read-only")),
        (p(r"must be unique; record #(?P<id>\d+) already has this value"),
         lambda m: _("must be unique; record #%(id)s already has this value", **m)),
        (p(r"must be unique; another record already has this value"),
         lambda m: _("must be unique; another record already has this value")),
        (p(r"(?P<table>.+) #(?P<id>\d+) does not exist"), lambda m: _("%(table)s #%(id)s does not exist", **m)),
        (p(r"user #(?P<id>\d+) does not exist"), lambda m: _("user #%(id)s does not exist", **m)),
        (p(r"must be at least (?P<low>.+)"), lambda m: _("must be at least %(low)s", **m)),
        (p(r"must be at most (?P<high>[^ ]+)"), lambda m: _("must be at most %(high)s", **m)),
        (p(r"must be at most (?P<limit>\d+) characters \(got (?P<got>\d+)\)"),
         lambda m: _("must be at most %(limit)s characters (you have %(got)s)", **m)),
        (p(r"must not be before (?P<low>.+)"), lambda m: _("must not be before %(low)s", **m)),
        (p(r"must not be after (?P<high>.+)"), lambda m: _("must not be after %(high)s", **m)),
        (p(r"could not be copied from (?P<table>.+?) \((?P<reason>.+)\)"),
         lambda m: _("could not be copied from %(table)s (%(reason)s)", **m)),
        (p(r"Some values are not valid\."), lambda m: _("Some values are not valid.")),
        (p(r"Table (?P<table>'.+') has no record (?P<id>.+)\."),
         lambda m: _("%(table)s has no record %(id)s.", **m)),
        (p(r"This record was changed by (?P<who>.+) since you opened it \(your version (?P<yours>\d+), "
           r"now (?P<now>\d+)\)\. Reload it, or reapply your change\."),
         lambda m: _("This record was changed by %(who)s since you opened it (your version %(yours)s, "
                     "now %(now)s). Reload it, or reapply your change.", **m)),
        (p(r"You may not see the records of (?P<table>'.+')\."),
         lambda m: _("You may not see the records of %(table)s.", **m)),
        (p(r"You may not add records to (?P<table>'.+')\."), lambda m: _("You may not add records to %(table)s.", **m)),
        (p(r"You may not change records in (?P<table>'.+')\."),
         lambda m: _("You may not change records in %(table)s.", **m)),
        (p(r"You may not delete records from (?P<table>'.+')\."),
         lambda m: _("You may not delete records from %(table)s.", **m)),
        (p(r"You may not export (?P<table>'.+')\."), lambda m: _("You may not export %(table)s.", **m)),
        (p(r"You may not print from (?P<table>'.+')\."), lambda m: _("You may not print from %(table)s.", **m)),
        (p(r"You may not set (?P<fields>.+) on (?P<table>'.+')\."),
         lambda m: _("You may not set %(fields)s on %(table)s.", **m)),
        (p(r"This record of (?P<table>'.+') is outside what you may (?P<action>[a-z]+)\."),
         lambda m: _("This record of %(table)s is outside the records you may work with.", **m)),
        (p(r"The record would be outside what you may (?P<action>[a-z]+) in (?P<table>'.+') "
           r"\(your row rule\); nothing was saved\."),
         lambda m: _("The record would be outside the records you may work with in %(table)s "
                     "(your row rule); nothing was saved.", **m)),
        (p(r"Only administrators may do this\."), lambda m: _("Only administrators may do this.")),
    ]


def translate(code: str, message: str, details: Any = None) -> tuple[str, Any]:
    """(message, details) in the page's language; details' field messages too."""
    if language() == "en" or not isinstance(message, str):
        return message, details
    try:
        return _translate(code, message, details)
    except Exception:  # noqa: BLE001 - an error page must show even when this cannot
        return message, details


def _translate(code: str, message: str, details: Any) -> tuple[str, Any]:
    words = _Words()
    if isinstance(details, dict) and isinstance(details.get("rule"), dict):
        rule_message = words.rule(details["rule"])
        if rule_message:
            fields = {k: [rule_message if m == message else m for m in v]
                      for k, v in (details.get("fields") or {}).items()}
            return rule_message, {**details, "fields": fields}
    if code == "FIELD_IN_USE" and isinstance(details, dict):
        return words.in_use(details), details
    if isinstance(details, dict) and isinstance(details.get("fields"), dict):
        details = {**details, "fields": {name: [words.sentence(m) for m in messages]
                                         for name, messages in details["fields"].items()}}
        field, _colon, rest = message.partition(": ")
        if rest and field in details["fields"]:
            return f"{words.field_label(field)}: {words.sentence(rest)}", details
    return words.sentence(message), details


class _Words:
    """The configuration's labels, as defined -> in the page's language."""

    def __init__(self):
        rt = get_runtime()
        self.base = rt.schema.snapshot()
        self.snap = local(self.base)
        self.labels: dict[str, str] = {}
        for tid, table in self.base.tables.items():
            mine = self.snap.tables[tid]
            self.labels.setdefault(table.label, mine.label)
            self.labels.setdefault(table.api_name, mine.label)
            for f in table.all_fields:
                own = mine.field_by_id(f.id)
                if own is not None:
                    self.labels.setdefault(f.label, own.label)

    def label(self, text: str) -> str:
        quoted = re.fullmatch(r"'(.*)'", text)
        inner = quoted.group(1) if quoted else text
        return f"«{self.labels.get(inner, inner)}»" if quoted else self.labels.get(inner, inner)

    def field_label(self, name: str) -> str:
        for table in self.snap.tables.values():
            f = table.field(name.split(".")[-1].split("[")[0])
            if f is not None:
                return f.label
        return name

    def sentence(self, message: str) -> str:
        if not isinstance(message, str):
            return message
        suffix = TYPE_SUFFIX.search(message)
        core = message[:suffix.start()] if suffix else message
        for pattern, make in _patterns():
            found = pattern.fullmatch(core)
            if found:
                groups = {k: self.label(v) if k in ("table", "fields") else v for k, v in found.groupdict().items()}
                if "fields" in groups:
                    groups["fields"] = ", ".join(self.label(x.strip()) for x in found.group("fields").split(","))
                return make(groups)
        return message

    def rule(self, rule: dict) -> str | None:
        try:
            table = self.snap.table(str(rule.get("table")))
        except Exception:  # noqa: BLE001 - a table since renamed keeps the message as it was
            return None
        rules = table.options.get("rules") or []
        index = rule.get("index")
        if isinstance(index, int) and 0 <= index < len(rules) and isinstance(rules[index], dict):
            return rules[index].get("message")
        return None

    def in_use(self, details: dict) -> str:
        by_table: dict[str, list[str]] = {}
        for entry in details.get("used_by") or []:
            try:
                table = self.snap.table(entry["table"])
            except Exception:  # noqa: BLE001
                continue
            if "field" in entry:
                f = table.field(entry["field"])
                name = f.label if f is not None else entry["field"]
            else:
                name = _("rule %(num)s", num=entry.get("rule"))
            by_table.setdefault(table.label, []).append(name)
        field = self.field_label(f"{details.get('field')}")
        try:
            field = self.snap.table(details["table"]).field(details["field"]).label
        except Exception:  # noqa: BLE001
            pass
        used = "; ".join(f"{', '.join(names)} ({label})" for label, names in by_table.items())
        return _("«%(field)s» cannot be moved to the trash: it is used by %(used)s. "
                 "Change or remove those formulas first.", field=field, used=used)
