"""What the field dialog offers: each type's options from its own JSON Schema, with help.

``option_specs(ftype)`` walks the type's ``options_schema()`` (the same schema the schema
service validates against) and describes each option the dialog draws generically: its
kind (yes/no, whole number, number, text, date, a value of the field's own type, an
expression), its bounds, a label and the help for *this* type (a text field's pattern is a
regular expression; a counter's is ``INV-{YYYY}-{####}``). Options with an editor of their
own (choices, the linked table, line columns, the formula) and the ones Cardfile keeps
itself are left to the template. A plugin type's options are offered the same way, with
their names as labels.

``formula_names(rt, snap, table)`` lists what a formula on ``table`` can use, by label and
API name, grouped (this table, each link, each line items field, each table linking here,
the parent record of a line) — the formula editor inserts ``[Label]`` on a click.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from cardfile.metamodel.formulas.bridge import back_link_names, formula_type_of
from cardfile.metamodel.formulas.labels import SnapshotLabels, display_options

#: options with an editor of their own in the dialog, or kept by Cardfile
OWN_EDITORS = {"choices", "target", "target_id", "table_id", "fields", "expression", "result", "back_name",
               "fill", "table"}
ORDER = ("required", "unique", "indexed", "default", "default_formula", "min", "max", "max_length", "places",
         "currency", "pattern", "pattern_message", "region", "max_size", "visible_if", "help_text")
EXPRESSIONS = ("default_formula", "visible_if")

LABELS = {
    "required": _l("Required"), "unique": _l("Unique: no two records may have the same value"),
    "indexed": _l("Indexed: faster filters and sorting on this field"), "default": _l("Default value"),
    "default_formula": _l("Default formula"), "min": _l("Smallest value allowed"),
    "max": _l("Largest value allowed"), "max_length": _l("Longest text allowed (characters)"),
    "places": _l("Digits after the decimal point"), "currency": _l("Currency (ISO code)"),
    "pattern": _l("Pattern"), "pattern_message": _l("Message when the text does not match the pattern"),
    "region": _l("Country of local phone numbers (two letters)"), "max_size": _l("Largest file (bytes)"),
    "visible_if": _l("Show only when"), "help_text": _l("Help text"),
}

#: help per option, or per (type, option) where the same option means something else
HELP = {
    ("counter", "pattern"): _l("{YYYY} is the year, {YY} its last two digits, {MM} the month, {DD} the day "
                               "and {####} the running number with its digits, e.g. INV-{YYYY}-{####}. "
                               "The numbers start again from 1 whenever the date part changes."),
    "pattern": _l("A regular expression the whole text must match, e.g. ^[A-Z]{2}[0-9]{6}$ for two "
                  "letters and six digits. Leave it empty to accept any text."),
    "pattern_message": _l("Shown to the user when the text does not match, e.g. “Two letters and six digits”."),
    "default": _l("Filled in when a new record is created and this field is left empty."),
    ("date", "default"): _l("A date such as 2026-12-31. For “today” use the default formula today()."),
    ("boolean", "default"): _l("Whether a new record starts ticked."),
    ("money", "default"): _l("An amount such as 12.50, in the field's currency."),
    "default_formula": _l("Computed for a new record when the field is left empty, e.g. today() + 14, "
                          "[Date] + 30 or [Client].[Discount]; me is the signed-in user. Write field labels "
                          "in square brackets."),
    ("date", "min"): _l("The earliest date allowed, e.g. 2000-01-01."),
    ("date", "max"): _l("The latest date allowed, e.g. 2099-12-31."),
    ("percent", "min"): _l("E.g. 0: no negative percentages."), ("percent", "max"): _l("E.g. 100."),
    "places": _l("How many digits after the decimal point are kept and shown (2 for cents)."),
    ("formula", "places"): _l("Digits kept after the decimal point when the formula gives a number or an amount."),
    "currency": _l("Three letters: EUR, USD, RUB, UAH, MDL, RON, AMD…"),
    "unique": _l("A record with a value another record already has is refused."),
    "max_length": _l("Longer text is refused, never cut."),
    "region": _l("Numbers typed without +country code are read as numbers of this country, e.g. MD, RU, UA."),
    "visible_if": _l("The field shows on the card only while this is true, e.g. [Kind] == \"company\". "
                     "Write field labels in square brackets."),
    "help_text": _l("Shown under the field on the card."),
}


def _types(schema: dict) -> list[str]:
    kind = schema.get("type")
    return kind if isinstance(kind, list) else [kind] if kind else []


def option_specs(ftype) -> list[dict]:
    """The options the dialog draws for ``ftype``, in a sensible order (see the module doc)."""
    props = ftype.options_schema()["properties"]
    names = [n for n in ORDER if n in props] + sorted(n for n in props if n not in ORDER)
    specs = []
    for name in names:
        schema = props[name]
        if name in OWN_EDITORS or (name == "unique" and not ftype.supports_unique):
            continue
        types = _types(schema)
        if name in EXPRESSIONS:
            kind = "expression"
        elif name == "default":
            kind = "value"
        elif types == ["boolean"]:
            kind = "bool"
        elif types == ["integer"]:
            kind = "integer"
        elif "number" in types:
            kind = "number" if "string" not in types else "decimal"
        elif types == ["string"]:
            kind = "date" if schema.get("format") == "date" else "text"
        else:
            continue  # an option without a simple form (a plugin's object): set it through the API
        if ftype.read_only and name in ("required", "unique", "default", "default_formula"):
            continue  # counters and formulas: the value is computed
        spec = {"name": name, "kind": kind, "label": str(LABELS.get(name, name.replace("_", " ").capitalize())),
                "help": str(HELP.get((ftype.key, name)) or HELP.get(name) or "")}
        for key in ("minimum", "maximum", "maxLength", "pattern"):
            if key in schema:
                spec[key] = schema[key]
        specs.append(spec)
    return specs


def field_entries(rt, snap, table, fields: list[dict]) -> list[dict]:
    """The described fields with their expressions as the dialog shows them (with labels)."""
    out = []
    for described in fields:
        f = table.field(described["api_name"])
        shown = display_options(snap, rt.registry, table, f.options) if f is not None else {}
        out.append({**described, "shown": shown})
    return out


def formula_names(rt, snap, table) -> list[dict]:
    """Groups of names a formula on ``table`` can use: {title, hint, items: [{label, name, insert}]}."""
    scope = SnapshotLabels(snap, rt.registry)

    def usable(t):
        return [f for f in t.fields if formula_type_of(snap, f) is not None]

    def items(t, prefix_label: str = "", prefix_name: str = ""):
        return [{"label": f.label, "name": prefix_name + f.api_name,
                 "insert": f"{prefix_label}[{f.label}]" if scope.by_name(t.api_name, f.api_name)[0] else
                 prefix_name + f.api_name} for f in usable(t) if f.type != "lines"]

    groups = [{"title": table.label, "hint": "", "items": items(table)}]
    for f in usable(table):
        if f.type == "link":
            target = snap.table_by_id(int(f.options["target_id"]))
            groups.append({"title": f"{f.label} → {target.label}", "hint": str(_l("the linked record")),
                           "items": items(target, f"[{f.label}].", f"{f.api_name}.")})
        elif f.type == "lines":
            child = snap.child_table(f)
            groups.append({"title": f.label, "hint": str(_l("line items: use them in sum(), count(), min(), max()")),
                           "items": items(child, f"[{f.label}].", f"{f.api_name}.")})
    for name, (source, _link) in back_link_names(snap, table).items():
        label = scope.by_name(table.api_name, name)
        prefix = f"[{label[0]}]." if label and label[0] else f"{name}."
        groups.append({"title": f"{source.label} ({name})", "hint": str(_l("records linking here: use them in sum(), count()…")),
                       "items": items(source, prefix, f"{name}.")})
    if table.is_child:
        parent, _lines = snap.parent_of(table)
        groups.append({"title": f"{parent.label} (parent)", "hint": str(_l("the record the line belongs to")),
                       "items": items(parent, "parent.", "parent.")})
    return [g for g in groups if g["items"]]
