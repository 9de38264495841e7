"""A package's labels in other languages: ``translations/<language>.yaml``.

One file per language, named by its code (``ru.yaml``), in the words of the package's own
tables, fields and reports::

    tables:
      invoices:
        label: Счета
        section: Продажи
        rules: ["Платёж больше остатка по счёту"]     # messages, in the order of the rules
        fields:
          number: Номер                              # a text is the field's label
          status:
            label: Статус
            help_text: …
            choices: {draft: Черновик, sent: Отправлен}
          lines:                                     # line items: their own fields
            label: Строки
            fields: {product: Товар или услуга}
    reports:
      Sales by client by month: {name: Продажи по клиентам и месяцам, description: …}

Loading merges each file into the definitions as ``options.translations.<language>`` of
tables and fields (and ``translations`` of reports), so applying and upgrading treat them
like any other option (``metamodel/i18n.py`` shows them). A name the package does not
define is a problem naming the file and the path.
"""

from __future__ import annotations

from pathlib import Path

from ..i18n import LANGUAGE
from .loader import Package, Problem, read_document, schema_problems

SUFFIXES = (".yaml", ".yml", ".json")


def load_translations(pkg: Package) -> list[Problem]:
    """Merge ``translations/*.yaml`` into ``pkg``; returns the problems found."""
    folder = Path(pkg.root) / "translations"
    if not folder.is_dir():
        return []
    problems: list[Problem] = []
    for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES):
        shown = f"translations/{path.name}"
        lang = path.stem
        if not LANGUAGE.match(lang):
            problems.append(Problem(shown, "$", f"{lang!r} is not a language code (such as ru, uk, ro)"))
            continue
        document = read_document(path, shown)
        found = schema_problems(document, "translations", shown)
        if found:
            problems += found
            continue
        problems += _merge(pkg, lang, document or {}, shown)
    return problems


def _merge(pkg: Package, lang: str, document: dict, file: str) -> list[Problem]:
    problems: list[Problem] = []
    for name, words in (document.get("tables") or {}).items():
        table = pkg.table(name)
        if table is None:
            problems.append(Problem(file, f"$.tables.{name}", f"the package has no table {name!r}"))
            continue
        own = {k: words[k] for k in ("label", "section", "rules") if k in words}
        if own:
            options = table.spec.setdefault("options", {})
            options.setdefault("translations", {})[lang] = own
        problems += _fields(table.spec.get("fields") or [], words.get("fields") or {}, lang, file,
                            f"$.tables.{name}.fields")
    reports = {r["name"]: r for r in pkg.reports or []}
    for name, words in (document.get("reports") or {}).items():
        report = reports.get(name)
        if report is None:
            problems.append(Problem(file, f"$.reports.{name}", f"the package has no report {name!r}"))
            continue
        report.setdefault("translations", {})[lang] = dict(words)
    return problems


def _fields(specs: list[dict], words: dict, lang: str, file: str, base: str) -> list[Problem]:
    problems: list[Problem] = []
    by_name = {s.get("api_name"): s for s in specs if isinstance(s, dict)}
    for name, given in words.items():
        spec = by_name.get(name)
        if spec is None:
            problems.append(Problem(file, f"{base}.{name}", f"no field {name!r} here"))
            continue
        given = {"label": given} if isinstance(given, str) else dict(given)
        options = spec.setdefault("options", {})
        children = given.pop("fields", None)
        if children is not None:
            if spec.get("type") != "lines":
                problems.append(Problem(file, f"{base}.{name}.fields", "only line items have fields"))
            else:
                problems += _fields(options.get("fields") or [], children, lang, file, f"{base}.{name}.fields")
        known = {c.get("value") for c in options.get("choices") or [] if isinstance(c, dict)}
        for value in given.get("choices") or {}:
            if value not in known:
                problems.append(Problem(file, f"{base}.{name}.choices.{value}", f"{name!r} has no choice {value!r}"))
        if given:
            options.setdefault("translations", {})[lang] = given
    return problems
