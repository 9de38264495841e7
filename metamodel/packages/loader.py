"""Reading a package directory: YAML/JSON files into a ``Package``, with exact error places.

Layout::

    my-package/
      package.yaml        name, version, title, description, tables (order)
      tables/             one YAML or JSON file per table (optional when inlined)
        clients.yaml
      demo.yaml           optional demo data description
      groups.yaml         optional groups (roles) with their permissions per table
      reports.yaml        optional saved pivot reports (shared by default)
      translations/       optional labels in other languages: <language>.yaml (translations.py)
      templates/          optional print templates: <name>.yaml (settings) next to its
                          body (<name>.html) or Word file (<name>.docx)

Every problem is reported as ``file: $.json.path: message``. YAML is read with the safe
loader, without implicit timestamps (``2026-01-31`` stays text, as in JSON) and with
duplicate keys refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field as dc_field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..errors import PackageInvalid

SCHEMA_DIR = Path(__file__).parent / "schemas"
MANIFEST_NAMES = ("package.yaml", "package.yml", "package.json")
TABLE_SUFFIXES = (".yaml", ".yml", ".json")
#: The package format this Cardfile reads (``format:`` in package.yaml).
FORMAT = 1


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": self.file, "path": self.path, "message": self.message}


def raise_problems(problems: list[Problem], what: str) -> None:
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise PackageInvalid(f"{what} is not valid ({len(problems)} problem(s)):\n{lines}",
                             {"problems": [p.to_dict() for p in problems]})


@dataclass
class PackageTable:
    spec: dict
    file: str  # path relative to the package root
    path: str  # JSON path of the table inside that file ("$" or "$.tables[3]")

    @property
    def api_name(self) -> str | None:
        name = self.spec.get("api_name") if isinstance(self.spec, dict) else None
        return name if isinstance(name, str) else None


@dataclass
class PackageTemplate:
    definition: dict  # the YAML: name, table, kind, file, settings
    file: str  # the YAML's path relative to the package root
    content: bytes  # the body (UTF-8 HTML) or the Word file

    @property
    def body(self) -> str | None:
        return self.content.decode("utf-8") if self.definition["kind"] == "html" else None


@dataclass
class Package:
    root: Path
    manifest: dict
    manifest_file: str
    tables: list[PackageTable] = dc_field(default_factory=list)
    demo: dict | None = None
    demo_file: str | None = None
    groups: list | None = None  # groups.yaml: roles and their permissions
    reports: list | None = None  # reports.yaml: saved pivot reports
    reports_file: str | None = None
    templates: list = dc_field(default_factory=list)  # templates/*.yaml: PackageTemplate
    extras: dict = dc_field(default_factory=dict)  # layouts, views, sections (extras.py)

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def title(self) -> str:
        return self.manifest.get("title") or self.name

    @property
    def description(self) -> str:
        return self.manifest.get("description") or ""

    def table(self, api_name: str) -> PackageTable | None:
        return next((t for t in self.tables if t.api_name == api_name), None)


# --- YAML -------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps, refusing duplicate keys."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    result = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_document(path: Path, shown: str) -> Any:
    """Parse one YAML or JSON file; a syntax error becomes a PackageInvalid naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise_problems([Problem(shown, "$", f"not UTF-8 text ({exc.reason} at byte {exc.start})")], shown)
    except OSError as exc:
        raise_problems([Problem(shown, "$", f"cannot be read: {exc.strerror}")], shown)
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise_problems([Problem(shown, "$", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")],
                           shown)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise_problems([Problem(shown, "$", f"malformed YAML{where}: {problem}")], shown)
    return None  # unreachable: raise_problems raised


# --- JSON Schema ------------------------------------------------------------------------
@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    """One of the schema files kept in ``schemas/`` (``package``, ``table``, ``demo``)."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def json_path(base: str, parts) -> str:
    path = base
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def schema_problems(document: Any, schema_name: str, file: str, base: str = "$") -> list[Problem]:
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        problems.append(Problem(file, json_path(base, error.absolute_path), _schema_message(error)))
    return problems


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    if error.validator == "pattern" and isinstance(error.instance, str):
        if error.schema.get("pattern", "").startswith("^[a-z][a-z0-9_]"):
            return (f"{error.instance!r} is not a valid API name (lowercase latin letters, digits "
                    "and _, starting with a letter)")
    return error.message


# --- loading ----------------------------------------------------------------------------
def load_package(path: str | Path) -> Package:
    """Read a package directory (or its ``package.yaml``); structural problems raise PackageInvalid.

    Only the manifest is checked against its schema here (it says where the tables are);
    ``validate_package`` checks the tables, fields, options and links.
    """
    root = Path(path)
    if root.is_file():
        root = root.parent
    if not root.is_dir():
        raise PackageInvalid(f"No configuration package at {str(path)!r} (not a directory).", {"path": str(path)})
    manifest_path = next((root / n for n in MANIFEST_NAMES if (root / n).is_file()), None)
    if manifest_path is None:
        raise PackageInvalid(f"{root} has no package.yaml.", {"path": str(root)})
    manifest_file = manifest_path.name
    manifest = read_document(manifest_path, manifest_file)
    _check_format(manifest, manifest_file)
    raise_problems(schema_problems(manifest, "package", manifest_file), f"Package {root.name!r}")

    pkg = Package(root=root, manifest=manifest, manifest_file=manifest_file)
    table_dir = root / "tables"
    files = {p.stem: p for p in sorted(table_dir.iterdir()) if p.suffix in TABLE_SUFFIXES} \
        if table_dir.is_dir() else {}
    problems: list[Problem] = []
    order = manifest.get("tables")
    if order is None:
        for stem, file in files.items():
            pkg.tables.append(_table_from_file(file, root))
    else:
        used = set()
        for i, item in enumerate(order):
            if isinstance(item, dict):
                pkg.tables.append(PackageTable(item, manifest_file, f"$.tables[{i}]"))
                continue
            file = files.get(item)
            if file is None:
                problems.append(Problem(manifest_file, f"$.tables[{i}]",
                                        f"no file tables/{item}.yaml (or .yml, .json)"))
                continue
            used.add(item)
            table = _table_from_file(file, root)
            if table.api_name is not None and table.api_name != item:
                problems.append(Problem(table.file, "$.api_name",
                                        f"is {table.api_name!r} but package.yaml lists this file as {item!r}"))
            pkg.tables.append(table)
        for stem in sorted(set(files) - used):
            problems.append(Problem(f"tables/{files[stem].name}", "$",
                                    "not listed in package.yaml's tables (add it to the list, or remove the file)"))
    raise_problems(problems, f"Package {pkg.name!r}")

    for name in ("groups.yaml", "groups.yml", "groups.json"):
        if (root / name).is_file():
            document = read_document(root / name, name)
            raise_problems(schema_problems(document, "groups", name), f"Package {pkg.name!r}")
            pkg.groups = document["groups"]
            break
    for name in ("reports.yaml", "reports.yml", "reports.json"):
        if (root / name).is_file():
            document = read_document(root / name, name)
            raise_problems(schema_problems(document, "reports", name), f"Package {pkg.name!r}")
            pkg.reports, pkg.reports_file = document["reports"], name
            break
    pkg.templates = _templates(root, pkg.name)
    from .extras import load_extras  # layouts.yaml, views.yaml, sections.yaml

    pkg.extras = load_extras(root, pkg.name)
    for name in ("demo.yaml", "demo.yml", "demo.json"):
        if (root / name).is_file():
            pkg.demo = read_document(root / name, name)
            pkg.demo_file = name
            break
    from .translations import load_translations  # it reads files the way this module does

    raise_problems(load_translations(pkg), f"Package {pkg.name!r}")
    return pkg


def _check_format(manifest, file: str) -> None:
    """A package written for a newer format names the Cardfile it needs instead of a schema error."""
    if not isinstance(manifest, dict):
        return
    wanted = manifest.get("format", 1)
    if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted > FORMAT:
        needs = manifest.get("cardfile")
        needs = f"Cardfile {needs} or newer" if isinstance(needs, str) and needs else "a newer Cardfile"
        raise PackageInvalid(
            f"{file}: $.format: the package is written in package format {wanted}, which needs {needs}; "
            f"this Cardfile {_cardfile_version()} reads package format {FORMAT}. Upgrade Cardfile first.",
            {"problems": [{"file": file, "path": "$.format", "message": f"format {wanted} needs {needs}"}],
             "format": wanted, "supported": FORMAT})


def _cardfile_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cardfile")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "(development)"


def _templates(root: Path, package: str) -> list[PackageTemplate]:
    """``templates/*.yaml``, each naming its body or Word file in the same folder."""
    folder = root / "templates"
    if not folder.is_dir():
        return []
    found, problems = [], []
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml"):
            continue
        shown = f"templates/{path.name}"
        document = read_document(path, shown)
        errors = schema_problems(document, "template", shown)
        if errors:
            problems += errors
            continue
        body = folder / document["file"]
        wanted = (".html", ".htm") if document["kind"] == "html" else (".docx",)
        if body.suffix not in wanted:
            problems.append(Problem(shown, "$.file", f"a {document['kind']} template's file ends in {wanted[0]}"))
        elif not body.is_file():
            problems.append(Problem(shown, "$.file", f"no file templates/{document['file']}"))
        else:
            content = body.read_bytes()
            if document["kind"] == "html":
                try:
                    content.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problems.append(Problem(f"templates/{document['file']}", "$", f"not UTF-8 text ({exc.reason})"))
                    continue
            found.append(PackageTemplate(document, shown, content))
    raise_problems(problems, f"Package {package!r}")
    return found


def _table_from_file(file: Path, root: Path) -> PackageTable:
    shown = file.relative_to(root).as_posix()
    return PackageTable(read_document(file, shown), shown, "$")
