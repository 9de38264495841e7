"""Deterministic demo data from a package's ``demo.yaml``, written through the record service.

``demo.yaml`` lists tables in the order to fill them, each with a ``count`` of generated
records and/or explicit ``rows``, plus per-field generators; named ``pools`` of realistic
values (company names, people, products) are shared. Fields without a generator get a
value from their field type's ``random_value``; links pick an existing record of the
target table; users pick an active user. One seeded ``random.Random`` drives everything
and relative dates count from ``anchor_date`` (a day, or ``today``: the day of loading, so
that due dates and overdue invoices look current), so the same seed gives the same data
(on the same day, with ``today``).

Field generators (a plain list means ``choose``, a plain scalar is a constant):

    {choose: [a, b]}              one of the values
    {weights: {a: 3, b: 1}}       one of the keys, weighted
    {pool: name}                  one value of a pool
    {template: "{first_names} {last_names}"}
                                  text: {pool} (the same pick within a record),
                                  {=field} (a value set earlier in the record), {n} (record
                                  number), {###} (random digits); filters |lower |upper
                                  |slug |title |first, and :width to zero-pad numbers
    {range: [min, max], step: s}  numbers, decimals, percents and money amounts
    {days: [from, to]}            dates / date-times relative to anchor_date
    {after: field, days: [a, b]}  a date after another date of the same record (or of a
                                  linked one: ``after: invoice.date``); ``until: 0`` keeps
                                  it at most that many days after anchor_date
    {match: {their_field: our_field}}
                                  a link to a record whose their_field links where our_field does
    {copy: link_field.field}      a value of the record a link points at
    {open: field, where: {f: v}, oldest: date, among: 8}
                                  a link to a record (with those values) whose ``field`` (a
                                  balance) is above zero, less what this run generated
                                  against it with ``remaining``; with ``oldest``, one of the
                                  ``among`` oldest such records by that field; when none is
                                  left, the record is not made (fewer than ``count``)
    {remaining: link.field, full: 0.6, step: 10}
                                  money or a number: what is left of the linked record's
                                  ``field`` (all of it with probability ``full``, else a part)
    {by: field, cases: {value: generator}, default: generator}
                                  (field may be link.field: a value of the linked record)
    {lines: [min, max], fields: {…}}   line items, each generated like a record
    {random: true}                the field type's random value
    {value: x}                    a constant (also null)
  and on any generator: blank: 0.2 (probability of leaving it empty), unique: true.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from decimal import Decimal
from typing import Any

from slugify import slugify

from ...formula.rounding import quantize
from ..actors import Actor
from ..errors import CardfileError
from ..model import FieldDef, TableDef
from ..records.query import MAX_PER_PAGE, ListQuery
from .demo_language import localise, money_value, overlay_problems
from .loader import Package, Problem, raise_problems
from .validate import demo_problems

DEFAULT_SEED = 1
DEFAULT_ANCHOR = dt.date(2026, 1, 15)
TOKEN = re.compile(r"\{(=?[a-z_][a-z0-9_]*|#+)((?:\|[a-z]+)*)(?::(\d+))?\}")
GENERATOR_KEYS = ("choose", "weights", "pool", "template", "range", "days", "match", "copy", "by",
                  "lines", "random", "value", "open", "remaining")
MAX_TRIES = 200


_DEFAULT = object()  # "no generator": the field type's value, a random link or user


class DemoDataError(CardfileError):
    code = "DEMO_DATA_INVALID"


class _Row:
    """One record being generated: values so far, pool picks, display texts."""

    def __init__(self, n: int, fields: list[FieldDef]):
        self.n = n
        self.fields = {f.api_name: f for f in fields}
        self.values: dict[str, Any] = {}
        self.picks: dict[str, Any] = {}
        self.texts: dict[str, str] = {}


class DemoGenerator:
    def __init__(self, runtime, actor: Actor, pkg: Package, seed: int | None = None,
                 anchor: dt.date | None = None, language: str | None = None):
        if pkg.demo is None:
            raise DemoDataError(f"Package {pkg.name!r} has no demo data (demo.yaml).", {"package": pkg.name})
        raise_problems(demo_problems(pkg), f"Demo data of {pkg.name!r}")
        self.file = pkg.demo_file or "demo.yaml"
        raise_problems([Problem(self.file, path, reason) for path, reason in overlay_problems(pkg.demo)],
                       f"Demo data of {pkg.name!r}")
        self.demo = localise(pkg.demo, language, pkg.name)
        if self.demo is not pkg.demo:  # the overlay's fields and rows must fit the tables too
            raise_problems(demo_problems(dataclasses.replace(pkg, demo=self.demo)), f"Demo data of {pkg.name!r}")
        self.language = self.demo.get("language") or "en"
        self.currency = self.demo.get("currency")  # every amount in it (the language's money)
        self.runtime = runtime
        self.actor = actor
        self.seed = seed if seed is not None else int(self.demo.get("seed", DEFAULT_SEED))
        self.rng = random.Random(self.seed)
        self.anchor = anchor or anchor_of(self.demo)
        self.pools: dict[str, list] = dict(self.demo.get("pools") or {})
        self.records: dict[str, list[dict]] = {}
        self.by_id: dict[str, dict[int, dict]] = {}
        self.users = [u["id"] for u in runtime.users.list() if u["is_active"]]
        self.snap = runtime.schema.snapshot()
        self.used: dict[tuple[str, str], set] = {}
        self.spent: dict[tuple[str, int, str], Decimal] = {}  # (table, id, field) -> generated against it

    # --- running --------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        items = self.demo["tables"]
        for item in items:
            table = self.snap.table(item["table"])
            total = self.runtime.records.list(self.actor, table.api_name, ListQuery(per_page=1))["total"]
            if total:
                raise DemoDataError(
                    f"Demo data goes into empty tables only; {table.label!r} already has {total} record(s).",
                    {"table": table.api_name, "records": total})
        counts: dict[str, int] = {}
        for i, item in enumerate(items):
            table = self.snap.table(item["table"])
            rows = self.generate(table, item, f"$.tables[{i}]")
            self._write(table, rows)
            self._load(table)
            counts[table.api_name] = len(rows)
        return counts

    def generate(self, table: TableDef, item: dict, path: str) -> list[dict]:
        specs = item.get("fields") or {}
        rows = []
        for n, explicit in enumerate(item.get("rows") or [], 1):
            rows.append(self._record(table, specs, n, explicit, path, only_specified=True))
        start = len(rows)
        for n in range(start + 1, start + int(item.get("count", 0)) + 1):
            rows.append(self._record(table, specs, n, {}, path, only_specified=False))
        # a record whose ``open`` link found nothing left (every invoice paid) is not made
        opened = [name for name, spec in specs.items() if isinstance(spec, dict) and "open" in spec]
        return [r for r in rows if all(r.get(name) is not None for name in opened)]

    def _write(self, table: TableDef, rows: list[dict]) -> None:
        if not rows:
            return
        if any(f.type == "lines" for f in table.fields):
            for row in rows:
                self.runtime.records.create(self.actor, table.api_name, row)
        else:
            self.runtime.records.bulk_create(self.actor, table.api_name, rows)

    def _load(self, table: TableDef) -> None:
        records, page = [], 1
        while True:
            result = self.runtime.records.list(self.actor, table.api_name,
                                               ListQuery(per_page=MAX_PER_PAGE, page=page, sort=["id"]))
            records += result["records"]
            if len(records) >= result["total"] or not result["records"]:
                break
            page += 1
        self.records[table.api_name] = records
        self.by_id[table.api_name] = {r["id"]: r for r in records}

    # --- records --------------------------------------------------------------------
    def _record(self, table: TableDef, specs: dict, n: int, explicit: dict, path: str,
                only_specified: bool) -> dict:
        row = _Row(n, table.fields)
        # explicit values first, then fields left to defaults (in table order), then the
        # generators in the order demo.yaml writes them, so they can refer to the others
        for f in table.fields:
            if f.api_name in explicit:
                value = self._explicit(f, explicit[f.api_name], f"{path}.rows[{n - 1}].{f.api_name}")
                self._set(row, f, value)
                if f.opt("unique"):
                    self.used.setdefault((table.api_name, f.api_name), set()).add(repr(value))
        if not only_specified:
            for f in table.fields:
                if f.api_name not in explicit and f.api_name not in specs:
                    self._set(row, f, self._unique(table, f, _DEFAULT, row, f"{path}.fields.{f.api_name}"))
        for name, spec in specs.items():
            f = row.fields.get(name)
            if f is not None and name not in explicit:
                self._set(row, f, self._unique(table, f, spec, row, f"{path}.fields.{name}"))
        return {k: v for k, v in row.values.items() if v is not None or k in explicit}

    def _set(self, row: _Row, f: FieldDef, value) -> None:
        if f.type == "money":
            value = money_value(value, self.currency)
        row.values[f.api_name] = value
        row.texts[f.api_name] = self._text(f, value)

    def _explicit(self, f: FieldDef, value, where: str):
        """An explicit row value; a link may name its target by display value."""
        if f.type != "link" or not isinstance(value, str):
            return value
        target = self.snap.table_by_id(int(f.options["target_id"]))
        display = target.display_field
        for record in self.records.get(target.api_name) or []:
            if display is not None and str(record.get(display.api_name)) == value:
                return record["id"]
        raise DemoDataError(f"{self.file}: {where}: no {target.label} record {value!r}", {"path": where})

    def _unique(self, table: TableDef, f: FieldDef, spec, row: _Row, where: str):
        unique = isinstance(spec, dict) and spec.get("unique") or f.opt("unique")
        if not unique:
            return self._value(f, spec, row, where)
        used = self.used.setdefault((table.api_name, f.api_name), set())
        before = dict(row.picks)
        for _ in range(MAX_TRIES):
            row.picks = dict(before)  # a new attempt draws its own pool picks
            value = self._value(f, spec, row, where)
            key = repr(value)
            if value is None or key not in used:
                used.add(key)
                return value
        if isinstance(value, str):
            value = f"{value} {row.n}"
            used.add(repr(value))
            return value
        raise DemoDataError(f"{self.file}: {where}: cannot make {MAX_TRIES} different values; "
                            "add values to the pool or lower the count.", {"path": where})

    def _default(self, f: FieldDef, row: _Row):
        if f.type in ("counter", "file", "image", "lines"):
            return None
        if f.type == "link":
            return self._pick_link(f, None, row)
        if f.type == "user":
            return self.rng.choice(self.users) if self.users else None
        return self.runtime.registry.get(f.type).random_value(f, self.rng)

    def _value(self, f: FieldDef, spec, row: _Row, where: str):
        if spec is _DEFAULT:
            return self._default(f, row)
        if isinstance(spec, list):
            return self.rng.choice(spec) if spec else None
        if not isinstance(spec, dict):
            return spec
        if spec.get("blank") and self.rng.random() < float(spec["blank"]):
            return None
        kinds = [k for k in GENERATOR_KEYS if k in spec]
        if len(kinds) != 1:
            raise DemoDataError(f"{self.file}: {where}: a generator needs exactly one of "
                                f"{', '.join(GENERATOR_KEYS)} (got {', '.join(kinds) or 'none'})", {"path": where})
        kind = kinds[0]
        arg = spec[kind]
        if kind == "value":
            return arg
        if kind == "choose":
            return self.rng.choice(arg)
        if kind == "weights":
            keys = list(arg)
            return self.rng.choices(keys, weights=[float(arg[k]) for k in keys])[0]
        if kind == "pool":
            return self.rng.choice(self._pool(arg, where))
        if kind == "template":
            return self._template(arg, row, where)
        if kind == "range":
            return self._range(f, arg, spec.get("step"), where)
        if kind == "days":
            return self._days(f, arg, spec.get("after"), row, where, spec.get("until"))
        if kind == "open":
            return self._open(f, arg, spec.get("where") or {}, spec.get("oldest"), int(spec.get("among", 1)))
        if kind == "remaining":
            return self._remaining(f, arg, spec, row, where)
        if kind == "match":
            return self._pick_link(f, arg, row)
        if kind == "copy":
            return self._copy(f, arg, row, where)
        if kind == "by":
            key = self._copy(f, arg, row, where) if "." in arg else row.values.get(arg)
            cases = spec.get("cases") or {}
            chosen = cases.get(str(key), spec.get("default"))
            return self._value(f, chosen, row, f"{where}.cases.{key}")
        if kind == "lines":
            return self._lines(f, arg, spec.get("fields") or {}, row, where)
        return self.runtime.registry.get(f.type).random_value(f, self.rng)

    # --- generators -----------------------------------------------------------------
    def _pool(self, name: str, where: str) -> list:
        if name not in self.pools:
            raise DemoDataError(f"{self.file}: {where}: no pool named {name!r}; pools: "
                                f"{', '.join(sorted(self.pools))}", {"path": where})
        return self.pools[name]

    def _template(self, template: str, row: _Row, where: str) -> str:
        def sub(match: re.Match) -> str:
            token, filters, width = match.group(1), match.group(2), match.group(3)
            if token.startswith("#"):
                text = "".join(str(self.rng.randint(0, 9)) for _ in token)
            elif token == "n":
                text = str(row.n)
            elif token.startswith("="):
                text = row.texts.get(token[1:], "")
            else:
                if token not in row.picks:
                    row.picks[token] = self.rng.choice(self._pool(token, where))
                text = str(row.picks[token])
            if width:
                text = text.zfill(int(width))
            for name in [x for x in filters.split("|") if x]:
                text = _FILTERS.get(name, lambda s: s)(text)
            return text

        return TOKEN.sub(sub, template)

    def _range(self, f: FieldDef, bounds, step, where: str):
        low, high = Decimal(str(bounds[0])), Decimal(str(bounds[1]))
        if f.type == "integer":
            return self.rng.randint(int(low), int(high))
        places = int(f.opt("places", 2))
        step = Decimal(str(step)) if step is not None else Decimal(1).scaleb(-places)
        steps = int((high - low) / step)
        value = quantize(low + step * self.rng.randint(0, max(steps, 0)), places)
        if f.type == "money":
            return {"amount": value, "currency": f.opt("currency", "EUR")}
        return value

    def _days(self, f: FieldDef, bounds, after, row: _Row, where: str, until=None):
        base = self.anchor
        if after:
            value = self._copy(f, after, row, where) if "." in after else row.values.get(after)
            if value is None:
                return None
            base = value.date() if isinstance(value, dt.datetime) else \
                value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        day = base + dt.timedelta(days=self.rng.randint(int(bounds[0]), int(bounds[1])))
        if until is not None:
            day = min(day, self.anchor + dt.timedelta(days=int(until)))
        if f.type == "datetime":
            minutes = self.rng.randint(9 * 4, 17 * 4) * 15
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=minutes)
        return day

    def _pick_link(self, f: FieldDef, match: dict | None, row: _Row):
        if f.type == "user":
            return self.rng.choice(self.users) if self.users else None
        target = self.snap.table_by_id(int(f.options["target_id"])).api_name
        candidates = self.records.get(target) or []
        for their, ours in (match or {}).items():
            wanted = row.values.get(ours)
            candidates = [r for r in candidates if _link_id(r.get(their)) == wanted] if wanted is not None else []
        if not candidates:
            return None
        record = self.rng.choice(candidates)
        return record["id"]

    def _copy(self, f: FieldDef, ref: str, row: _Row, where: str):
        link_name, _, field_name = ref.partition(".")
        linked = row.values.get(link_name)
        if linked is None:
            return None
        link_field = row.fields.get(link_name)
        if link_field is None or link_field.type != "link":
            raise DemoDataError(f"{self.file}: {where}: copy needs a link field, {link_name!r} is not one",
                                {"path": where})
        target = self.snap.table_by_id(int(link_field.options["target_id"])).api_name
        value = self.by_id.get(target, {}).get(linked, {}).get(field_name)
        return _link_id(value) if isinstance(value, dict) and set(value) == {"id", "display"} else value

    def _open(self, f: FieldDef, field_name: str, where: dict, oldest: str | None, among: int):
        target = self.snap.table_by_id(int(f.options["target_id"])).api_name
        candidates = [r for r in self.records.get(target) or []
                      if all(r.get(k) == v for k, v in where.items())
                      and self._left(target, r, field_name) > 0]
        if oldest:  # the ``among`` oldest by that field (older invoices are paid first)
            candidates = sorted(candidates, key=lambda r: (str(r.get(oldest) or ""), r["id"]))[:max(among, 1)]
        return self.rng.choice(candidates)["id"] if candidates else None

    def _left(self, target: str, record: dict, field_name: str) -> Decimal:
        value = record.get(field_name)
        amount = Decimal(str(value["amount"] if isinstance(value, dict) else value or 0))
        return amount - self.spent.get((target, record["id"], field_name), Decimal(0))

    def _remaining(self, f: FieldDef, ref: str, spec: dict, row: _Row, where: str):
        link_name, _, field_name = ref.partition(".")
        link_field = row.fields.get(link_name)
        linked = row.values.get(link_name)
        if link_field is None or link_field.type != "link":
            raise DemoDataError(f"{self.file}: {where}: remaining needs a link field, {link_name!r} is not one",
                                {"path": where})
        if linked is None:
            return None
        target = self.snap.table_by_id(int(link_field.options["target_id"])).api_name
        left = self._left(target, self.by_id.get(target, {}).get(linked, {"id": linked}), field_name)
        if left <= 0:
            return None
        places = int(f.opt("places", 2))
        amount = left
        if self.rng.random() >= float(spec.get("full", 1)):
            step = Decimal(str(spec.get("step", 1)))
            parts = int(left / step)
            amount = step * self.rng.randint(1, parts - 1) if parts > 1 else left
        amount = quantize(amount, places)
        key = (target, linked, field_name)
        self.spent[key] = self.spent.get(key, Decimal(0)) + amount
        if f.type == "money":
            return {"amount": amount, "currency": f.opt("currency", "EUR")}
        return amount

    def _lines(self, f: FieldDef, bounds, specs: dict, row: _Row, where: str) -> list[dict]:
        child = self.snap.child_table(f)
        low, high = (bounds, bounds) if isinstance(bounds, int) else (int(bounds[0]), int(bounds[1]))
        return [self._record(child, specs, n, {}, f"{where}.fields", only_specified=False)
                for n in range(1, self.rng.randint(low, high) + 1)]

    def _text(self, f: FieldDef, value) -> str:
        if value is None:
            return ""
        if f.type == "link":
            target = self.snap.table_by_id(int(f.options["target_id"])).api_name
            rec = self.by_id.get(target, {}).get(value)
            display = self.snap.table(target).display_field
            return str(rec.get(display.api_name) or "") if rec and display else ""
        if isinstance(value, dict) and "amount" in value:
            return str(value["amount"])
        return value.isoformat() if hasattr(value, "isoformat") else str(value)


def anchor_of(demo: dict) -> dt.date:
    """The day relative dates count from: ``anchor_date`` ("today": the day of loading)."""
    anchor = demo.get("anchor_date")
    if anchor == "today":
        return dt.date.today()
    return dt.date.fromisoformat(anchor) if anchor else DEFAULT_ANCHOR


def _link_id(value):
    return value.get("id") if isinstance(value, dict) else value


_FILTERS = {
    "lower": str.lower,
    "upper": str.upper,
    "title": str.title,
    "first": lambda s: s[:1],
    "slug": lambda s: slugify(s, separator="-"),
}


def load_demo(runtime, actor: Actor, pkg: Package, seed: int | None = None,
              anchor: dt.date | None = None, language: str | None = None) -> dict:
    """Fill the package's tables with demo records (in ``language``: see demo_language.py);
    returns ``{"seed", "language", "tables": {name: count}, "total"}``."""
    runtime.access.check_design(actor)
    generator = DemoGenerator(runtime, actor, pkg, seed=seed, anchor=anchor, language=language)
    counts = generator.run()
    return {"seed": generator.seed, "language": generator.language, "tables": counts,
            "total": sum(counts.values())}
