"""Demo data in the language chosen at ``cardfile init --demo-language``.

``demo.yaml`` is written in one language (``language:``, default ``en``). Under
``languages:`` it may carry an overlay per other language::

    languages:
      ru:
        currency: RUB                 # every demo amount is in roubles
        pools:                        # replace the pools of the same name
          first_names: [Анна, Борис]
        tables:                       # per table of demo.yaml
          clients:
            fields:                   # replace these generators, keep the others
              phone: {template: "+7 9{##} {###}-{##}-{##}"}
          products:
            rows: [...]               # replace the explicit rows
            count: 10                 # replace the count

``localise(demo, language)`` gives the demo for that language: the base one for its own
language, the base with the overlay applied otherwise. Everything stays deterministic:
the same seed and language give the same records. ``money_value`` puts a demo amount into
the overlay's currency.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from ..errors import CardfileError

DEFAULT_LANGUAGE = "en"


class DemoLanguageError(CardfileError):
    code = "DEMO_LANGUAGE_UNKNOWN"


def demo_languages(demo: dict) -> list[str]:
    """The languages a demo can be loaded in, its own first."""
    own = demo.get("language") or DEFAULT_LANGUAGE
    return [own] + sorted(k for k in (demo.get("languages") or {}) if k != own)


def localise(demo: dict, language: str | None, package: str = "") -> dict:
    """The demo in ``language`` (None: the demo's own language)."""
    own = demo.get("language") or DEFAULT_LANGUAGE
    base = {k: v for k, v in demo.items() if k != "languages"}
    if language in (None, own):
        return base
    overlay = (demo.get("languages") or {}).get(language)
    if overlay is None:
        raise DemoLanguageError(
            f"The demo data of {package or 'this package'} has no language {language!r}; "
            f"languages: {', '.join(demo_languages(demo))}.", {"language": language})
    result = copy.deepcopy(base)
    result["language"] = language
    result["pools"] = {**(result.get("pools") or {}), **(overlay.get("pools") or {})}
    if overlay.get("currency"):
        result["currency"] = overlay["currency"]
    changes = overlay.get("tables") or {}
    for item in result["tables"]:
        change = changes.get(item["table"]) or {}
        if "rows" in change:
            item["rows"] = change["rows"]
        if "count" in change:
            item["count"] = change["count"]
        if change.get("fields"):
            item["fields"] = {**(item.get("fields") or {}), **change["fields"]}
    return result


def overlay_problems(demo: dict, file: str = "demo.yaml") -> list[tuple[str, str]]:
    """(JSON path, reason) for overlay tables that demo.yaml does not fill."""
    tables = {item.get("table") for item in demo.get("tables") or []}
    problems = []
    for language, overlay in (demo.get("languages") or {}).items():
        for name in (overlay or {}).get("tables") or {}:
            if name not in tables:
                problems.append((f"$.languages.{language}.tables.{name}",
                                 f"demo.yaml does not fill a table {name!r}"))
    return problems


def money_value(value, currency: str | None):
    """A demo amount in ``currency`` (when the language sets one): a plain number becomes an
    amount in it, an amount in another currency is relabelled (demo values are made up)."""
    if currency is None or value is None:
        return value
    if isinstance(value, dict) and "amount" in value:
        return {**value, "currency": currency}
    if isinstance(value, (int, float, Decimal, str)):
        return {"amount": Decimal(str(value)), "currency": currency}
    return value
