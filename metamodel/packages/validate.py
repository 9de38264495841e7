"""Checking a loaded package: schemas, field types, options, names, links and demo data.

All problems are collected (not just the first), each naming the file and the JSON path,
so a consultant can fix a package in one pass.
"""

from __future__ import annotations

from typing import Iterable

import jsonschema

from ..errors import CardfileError
from ..fieldtypes.base import FieldValueError
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import FieldDef
from ..naming import check_api_name
from .loader import Package, PackageTable, Problem, json_path, raise_problems, schema_problems

#: Options the package may not set: the platform assigns them.
INTERNAL_OPTIONS = {"link": ("target_id",), "lines": ("table_id", "table")}


def package_problems(pkg: Package, registry: FieldTypeRegistry,
                     existing_tables: Iterable[str] = ()) -> list[Problem]:
    """Every problem in ``pkg``; ``existing_tables`` are API names links may also point at."""
    problems: list[Problem] = []
    names_seen: dict[str, PackageTable] = {}
    labels_seen: dict[str, PackageTable] = {}
    structurally_ok: list[PackageTable] = []
    for table in pkg.tables:
        found = schema_problems(table.spec, "table", table.file, table.path)
        problems += found
        if found:
            continue
        structurally_ok.append(table)
        name = table.api_name
        problems += _api_name_problems(name, table.file, f"{table.path}.api_name", "table")
        if name in names_seen:
            problems.append(Problem(table.file, f"{table.path}.api_name",
                                    f"table {name!r} is defined twice (also in {names_seen[name].file})"))
        names_seen.setdefault(name, table)
        label = " ".join(table.spec["label"].split()).casefold()
        if label in labels_seen:
            problems.append(Problem(table.file, f"{table.path}.label",
                                    f"label {table.spec['label']!r} is used by table {labels_seen[label].api_name!r} too"))
        labels_seen.setdefault(label, table)

    link_targets = {t.api_name for t in pkg.tables if t.api_name} | set(existing_tables)
    child_names: dict[str, str] = {}
    for table in structurally_ok:
        problems += _fields_problems(registry, table.spec["fields"], table.file, f"{table.path}.fields",
                                     link_targets, table.api_name, child_names, nested=False)
        display = table.spec.get("display_field")
        if display is not None:
            field = next((f for f in table.spec["fields"] if f["api_name"] == display), None)
            if field is None:
                problems.append(Problem(table.file, f"{table.path}.display_field",
                                        f"{table.api_name!r} has no field {display!r}"))
            elif field["type"] == "lines":
                problems.append(Problem(table.file, f"{table.path}.display_field",
                                        "line items cannot be a table's display field"))
    for child, owner in child_names.items():
        if child in names_seen:
            problems.append(Problem(names_seen[child].file, f"{names_seen[child].path}.api_name",
                                    f"{child!r} is also the name of the line-item table of {owner}; rename one"))
    for table in structurally_ok:
        problems += _fill_problems(pkg, table.spec["fields"], table.file, f"{table.path}.fields")
    if pkg.demo is not None:
        problems += demo_problems(pkg)
    if pkg.reports:
        problems += _report_problems(pkg, link_targets | set(child_names))
    if pkg.templates:
        problems += _template_problems(pkg, link_targets)
    return problems


def _template_problems(pkg: Package, tables: set[str]) -> list[Problem]:
    """A template names a table of the package; names are unique per table (the text is
    checked when the package is applied)."""
    problems, seen = [], set()
    for template in pkg.templates:
        key = (template.definition["table"], template.definition["name"])
        if key in seen:
            problems.append(Problem(template.file, "$.name",
                                    f"template {key[1]!r} of {key[0]} is defined twice"))
        seen.add(key)
        if key[0] not in tables:
            problems.append(Problem(template.file, "$.table", f"no table {key[0]!r} in the package"))
    return problems


def _fill_problems(pkg: Package, fields: list[dict], file: str, base: str) -> list[Problem]:
    """A link's ``fill`` names fields of its own table and of the table it links to."""
    problems = []
    own = {f.get("api_name") for f in fields}
    for i, spec in enumerate(fields):
        options = spec.get("options") if isinstance(spec.get("options"), dict) else {}
        if spec.get("type") == "lines":
            problems += _fill_problems(pkg, options.get("fields") or [], file, f"{base}[{i}].options.fields")
        fill = options.get("fill") if spec.get("type") == "link" else None
        if not isinstance(fill, dict):
            continue
        target = pkg.table(str(options.get("target")))
        theirs = {f.get("api_name") for f in target.spec.get("fields") or []} if target else None
        for dest, src in fill.items():
            where = f"{base}[{i}].options.fill.{dest}"
            if dest not in own or dest == spec.get("api_name"):
                problems.append(Problem(file, where, f"no other field {dest!r} in this table to fill"))
            if theirs is not None and src not in theirs:
                problems.append(Problem(file, where, f"{target.api_name!r} has no field {src!r} to fill from"))
    return problems


def _report_problems(pkg: Package, tables: set[str]) -> list[Problem]:
    """Report names are unique and name a table of the package (definitions are checked when applied)."""
    problems, seen = [], set()
    for i, report in enumerate(pkg.reports):
        if report["name"] in seen:
            problems.append(Problem(pkg.reports_file, f"$.reports[{i}].name", f"report {report['name']!r} is defined twice"))
        seen.add(report["name"])
        if report["table"] not in tables:
            problems.append(Problem(pkg.reports_file, f"$.reports[{i}].table",
                                    f"no table {report['table']!r} in the package"))
    return problems


def validate_package(pkg: Package, registry: FieldTypeRegistry, existing_tables: Iterable[str] = ()) -> Package:
    """Raise PackageInvalid listing every problem; return the package when it is valid."""
    problems = package_problems(pkg, registry, existing_tables)
    if pkg.extras and not problems:  # layouts.yaml and views.yaml name the package's tables and fields
        from .extras import extra_problems

        tables = {name: None for name in existing_tables}
        tables.update({t.api_name: {f.get("api_name") for f in t.spec.get("fields") or []} for t in pkg.tables})
        problems = extra_problems(pkg.extras, tables)
    raise_problems(problems, f"Package {pkg.name!r}")
    return pkg


def _api_name_problems(name: str, file: str, path: str, what: str) -> list[Problem]:
    try:
        check_api_name(name, what)
    except CardfileError as exc:
        return [Problem(file, path, exc.message)]
    return []


def _fields_problems(registry, fields: list[dict], file: str, base: str, link_targets: set[str],
                     table_name: str, child_names: dict[str, str], nested: bool) -> list[Problem]:
    problems: list[Problem] = []
    names: dict[str, int] = {}
    labels: dict[str, int] = {}
    for i, spec in enumerate(fields):
        path = f"{base}[{i}]"
        name = spec["api_name"]
        problems += _api_name_problems(name, file, f"{path}.api_name", "field")
        if name in names:
            problems.append(Problem(file, f"{path}.api_name", f"field {name!r} is defined twice (also at {base}[{names[name]}])"))
        names.setdefault(name, i)
        label = " ".join(spec["label"].split()).casefold()
        if label in labels:
            problems.append(Problem(file, f"{path}.label",
                                    f"label {spec['label']!r} is used twice (also at {base}[{labels[label]}])"))
        labels.setdefault(label, i)
        problems += field_problems(registry, spec, file, path, link_targets, table_name, child_names, nested)
    return problems


def field_problems(registry, spec: dict, file: str, path: str, link_targets: set[str],
                   table_name: str, child_names: dict[str, str], nested: bool) -> list[Problem]:
    type_key = spec["type"]
    if type_key not in registry:
        return [Problem(file, f"{path}.type",
                        f"unknown field type {type_key!r}; known types: {', '.join(sorted(registry.keys()))}")]
    ftype = registry.get(type_key)
    options = dict(spec.get("options") or {})
    problems: list[Problem] = []
    for key in INTERNAL_OPTIONS.get(type_key, ()):
        if key in options:
            problems.append(Problem(file, f"{path}.options.{key}", "is assigned by Cardfile; leave it out"))
            options.pop(key)
    children = options.pop("fields", None) if type_key == "lines" else None
    if type_key == "lines" and nested:
        problems.append(Problem(file, f"{path}.type", "line items cannot contain line items"))
    validator = jsonschema.Draft202012Validator(ftype.options_schema())
    for error in sorted(validator.iter_errors(options), key=lambda e: list(map(str, e.absolute_path))):
        where = json_path(f"{path}.options", error.absolute_path)
        message = error.message.replace("Additional properties are not allowed", "unknown option(s)")
        problems.append(Problem(file, where, f"{message} (for a {type_key} field)"))
    if problems:
        return problems
    try:
        normalized = ftype.normalize_options(options)
    except FieldValueError as exc:
        return [Problem(file, f"{path}.options", exc.message)]
    if normalized.get("unique") and not ftype.supports_unique:
        problems.append(Problem(file, f"{path}.options.unique", f"a {type_key} field cannot be unique"))
    if type_key == "link":
        target = normalized.get("target")
        if not target:
            problems.append(Problem(file, f"{path}.options", "a link needs options.target (a table's api_name)"))
        elif target not in link_targets:
            problems.append(Problem(file, f"{path}.options.target",
                                    f"unknown link target {target!r}: no table with that api_name in the package"))
    if normalized.get("default") is not None and type_key not in ("link", "lines"):
        probe = FieldDef(id=0, table_id=0, api_name=spec["api_name"], label=spec["label"],
                         type=type_key, options=normalized)
        try:
            ftype.parse(normalized["default"], probe)
        except FieldValueError as exc:
            problems.append(Problem(file, f"{path}.options.default", f"not a valid default: {exc.message}"))
    if type_key == "lines":
        child = f"{table_name}_{spec['api_name']}"[:63]
        child_names[child] = f"{table_name}.{spec['api_name']}"
        problems += _fields_problems(registry, children or [], file, f"{path}.options.fields",
                                     link_targets, child, child_names, nested=True)
    return problems


def demo_problems(pkg: Package) -> list[Problem]:
    """Shape of demo.yaml, and that its tables and fields exist in the package."""
    file = pkg.demo_file or "demo.yaml"
    problems = schema_problems(pkg.demo, "demo", file)
    if problems:
        return problems
    for i, item in enumerate(pkg.demo["tables"]):
        table = pkg.table(item["table"])
        if table is None:
            problems.append(Problem(file, f"$.tables[{i}].table", f"the package has no table {item['table']!r}"))
            continue
        fields = {f["api_name"]: f for f in table.spec.get("fields") or []}
        for name, gen in (item.get("fields") or {}).items():
            if name not in fields:
                problems.append(Problem(file, f"$.tables[{i}].fields.{name}",
                                        f"table {table.api_name!r} has no field {name!r}"))
            elif fields[name]["type"] == "lines" and isinstance(gen, dict):
                children = {f["api_name"] for f in (fields[name].get("options") or {}).get("fields") or []}
                for child in (gen.get("fields") or {}):
                    if child not in children:
                        problems.append(Problem(file, f"$.tables[{i}].fields.{name}.fields.{child}",
                                                f"line items {name!r} have no field {child!r}"))
        for r, row in enumerate(item.get("rows") or []):
            for name in row:
                if name not in fields:
                    problems.append(Problem(file, f"$.tables[{i}].rows[{r}].{name}",
                                            f"table {table.api_name!r} has no field {name!r}"))
    return problems
