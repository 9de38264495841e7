"""The pivot engine: SQL ``GROUP BY`` through the record service, shaped with pandas.

    run_pivot(records, actor, table, definition) -> Pivot
      1. one aggregate over rows + columns groupings (``RecordService.aggregate``); an
         average asks SQL for its sum and count so that every total stays exact
      2. pandas rolls the finest groups up to each level the layout needs (subtotals,
         row totals, column totals, grand total); a distinct count cannot be rolled up,
         so it gets its own aggregate per level
      3. rows are sorted (by label, or by a value, descending for "top N") and cut to the
         limit; columns are sorted by their keys
      4. ``Pivot.to_json()`` for the API and the designer, ``Pivot.frame()`` (a DataFrame
         with row and column MultiIndexes) for exports

Money is summed per currency: a sum, average, minimum or maximum of a money field becomes
one value per currency found in the filtered rows ("Sum of Amount (EUR)", "… (USD)"), each
rolled up on its own, so no total ever adds euros to dollars. With a single currency the
value keeps its label and carries that currency (``values[i]["currency"]``, which exports
use as the number format). ``values[i]["source"]`` is the index of the definition's value.

Rows never reach Python: only the groups do. Keys stay raw (ids, choice values, period
keys) so a cell can be drilled into (:func:`drill_filters`); labels are what people see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported when a pivot runs, not when the app starts (memory)
    import pandas as pd

from cardfile.formula.rounding import quantize
from cardfile.metamodel.records.aggregate import AggregateSpec, Group, Measure

from .definition import groups, list_query, validate_definition

EMPTY_LABEL = "(empty)"
TOTAL_LABEL = "Total"
ROLLUP = {"sum": "sum", "count": "sum", "min": "min", "max": "max"}


MONEY_AGGS = ("sum", "avg", "min", "max")


@dataclass
class _Value:
    spec: dict
    measures: list[int]  # indices into the SQL measures
    kind: str            # sum/count/min/max: roll up; avg: sum ÷ count; count_distinct: re-query
    source: int = 0      # the definition's value it comes from
    currency: str | None = None   # money: the one currency this value adds up
    several: bool = False         # the definition's value was split by currency


class Pivot:
    def __init__(self, table: str, definition: dict, row_fields, column_fields, values, rows, columns):
        self.table = table
        self.definition = definition
        self.row_fields = row_fields
        self.column_fields = column_fields
        self.values = values
        self.rows = rows
        self.columns = columns

    def to_json(self) -> dict:
        return {
            "table": self.table,
            "row_fields": self.row_fields,
            "column_fields": self.column_fields,
            "values": self.values,
            "columns": [{**c, "keys": [_json(k) for k in c["keys"]]} for c in self.columns],
            "rows": [{**r, "keys": [_json(k) for k in r["keys"]], "cells": [_json(v) for v in r["cells"]]}
                     for r in self.rows],
        }

    def frame(self) -> pd.DataFrame:
        """Rows × columns, labelled by MultiIndexes (row labels; column labels + value)."""
        import pandas as pd

        depth = max(len(self.row_fields), 1)
        index = pd.MultiIndex.from_tuples(
            [tuple(r["labels"]) + ("",) * (depth - len(r["labels"])) for r in self.rows],
            names=[f["label"] for f in self.row_fields] or [""])
        cdepth = len(self.column_fields) + 1
        columns = pd.MultiIndex.from_tuples(
            [tuple(c["labels"]) + ("",) * (cdepth - 1 - len(c["labels"])) + (self.values[c["value"]]["label"],)
             for c in self.columns])
        return pd.DataFrame([r["cells"] for r in self.rows], index=index, columns=columns, dtype=object)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# --- running ------------------------------------------------------------------------
def run_pivot(records, actor, table: str, definition: dict) -> Pivot:
    doc = validate_definition(definition)
    rows_g, cols_g = groups(doc["rows"]), groups(doc["columns"])
    measures, values = _plan_values(doc["values"])
    query = list_query(doc, records.registry, actor)
    spec = AggregateSpec(groups=rows_g + cols_g, measures=measures, query=query)
    result = records.aggregate(actor, table, spec)
    found = _currencies(records, actor, table, query, values, result.measures)
    if any(len(codes) > 1 for codes in found.values()):   # one value per currency
        measures, values = _plan_values(doc["values"], found)
        spec = AggregateSpec(groups=rows_g + cols_g, measures=measures, query=query)
        result = records.aggregate(actor, table, spec)
    else:
        for v in values:
            v.currency = (found.get(v.source) or [None])[0]
    nr, nc = len(rows_g), len(cols_g)
    dims = [f"g{i}" for i in range(nr + nc)]
    levels = _Levels(records, actor, table, spec, result.rows, dims, values, len(measures))
    labels = result.labels
    group_info = result.groups
    value_info = [_value_info(v, result.measures) for v in values]
    row_keys = _sorted_rows(levels, _sort_by_source(doc, values), dims[:nr], group_info[:nr], labels[:nr])
    col_keys = _sorted_keys(levels.level(dims[nr:]), dims[nr:], group_info[nr:], labels[nr:])
    columns = _columns(col_keys, labels[nr:], group_info[nr:], len(values), doc["totals"] and nc > 0)
    layout = _Layout(levels, dims[:nr], dims[nr:], columns, len(values))
    out_rows = []
    previous: tuple = ()
    for keys in row_keys:
        if doc["subtotals"] and nr > 1 and previous:
            out_rows += _subtotals(layout, previous, keys, labels, group_info)
        out_rows.append(layout.row(keys, [_label(labels[i], group_info[i], k) for i, k in enumerate(keys)], "row"))
        previous = keys
    if doc["subtotals"] and nr > 1 and previous:
        out_rows += _subtotals(layout, previous, (), labels, group_info)
    if doc["totals"] and nr > 0:
        out_rows.append(layout.row((), [TOTAL_LABEL], "total"))
    if nr == 0:
        out_rows = [layout.row((), [TOTAL_LABEL if nc else ""], "total")]
    fields = [{**g, "label": doc_g.get("label") or g["label"]} for g, doc_g in zip(group_info, doc["rows"] + doc["columns"])]
    return Pivot(table, doc, fields[:nr], fields[nr:], value_info, out_rows, columns)


def _plan_values(specs: list[dict], currencies: dict[int, list[str]] | None = None
                 ) -> tuple[list[Measure], list[_Value]]:
    """The SQL measures and the report's values; ``currencies`` splits a money value into
    one per currency (definition index -> codes)."""
    measures: list[Measure] = []
    values = []

    def add(m: Measure) -> int:
        measures.append(m)
        return len(measures) - 1

    for index, spec in enumerate(specs):
        field = None if spec.get("field") in (None, "*") else spec["field"]
        agg, weight = spec["agg"], spec.get("weight")
        codes = (currencies or {}).get(index) or [None]
        for code in codes:
            money = {"currency": code, "currency_field": field} if code else {}
            if agg == "avg":
                total = add(Measure(field, "sum", weight, **money))
                count = add(Measure(weight, "sum", **money) if weight else Measure(field, "count", **money))
                value = _Value(spec, [total, count], "avg")
            else:
                value = _Value(spec, [add(Measure(field, agg, weight if agg == "sum" else None, **money))], agg)
            value.source, value.currency, value.several = index, code, len(codes) > 1
            values.append(value)
    return measures, values


def _currencies(records, actor, table: str, query, values: list[_Value], measures: list[dict]
                ) -> dict[int, list[str]]:
    """For each money value (sum, average, min, max), the currencies in the filtered rows."""
    found: dict[int, list[str]] = {}
    by_path: dict[str, list[str]] = {}
    for v in values:
        info = measures[v.measures[0]]
        if v.kind not in MONEY_AGGS or info.get("type") != "money" or info.get("field") in (None, "*"):
            continue
        path = info["field"]
        if path not in by_path:
            spec = AggregateSpec(groups=[Group(path, currency=True)], measures=[Measure()], query=query)
            rows = records.aggregate(actor, table, spec).rows
            by_path[path] = sorted(row[0] for row in rows if row[0] is not None)
        found[v.source] = by_path[path] or [info.get("currency")]
    return found


def _sort_by_source(doc: dict, values: list[_Value]) -> dict:
    """A sort by the definition's value ``i`` sorts by the first value made from it."""
    sort = doc.get("sort") or {}
    if sort.get("by") != "value":
        return doc
    wanted = int(sort.get("value", 0))
    index = next((n for n, v in enumerate(values) if v.source == wanted), wanted)
    return {**doc, "sort": {**sort, "value": index}}


def _value_info(v: _Value, measures: list[dict]) -> dict:
    info = dict(measures[v.measures[0]])
    info["agg"] = v.kind
    if v.kind == "avg" and info.get("type") == "integer":
        info["type"] = "decimal"
    default = {"sum": "Sum", "count": "Count", "avg": "Average", "min": "Min", "max": "Max",
               "count_distinct": "Distinct"}[v.kind]
    info["label"] = v.spec.get("label") or (f"{default} of {info['label']}" if info["field"] != "*" else "Records")
    info["source"] = v.source
    if v.currency:
        info["currency"] = v.currency
        if v.several:
            info["label"] = f"{info['label']} ({v.currency})"
    if v.spec.get("format"):
        info["format"] = v.spec["format"]
    return info


class _Levels:
    """Each level of the layout (a subset of the dims) as {keys: [value per report value]}."""

    def __init__(self, records, actor, table, spec: AggregateSpec, rows: list, dims, values, nmeasures: int):
        self.records, self.actor, self.table, self.spec = records, actor, table, spec
        self.rows, self.dims, self.values, self.nmeasures = rows, dims, values, nmeasures
        self.cache: dict[tuple, dict] = {}
        self._base = None

    @property
    def base(self) -> pd.DataFrame:
        """The finest groups as a frame, built the first time a level rolls them up (a pivot
        whose levels are all the finest one — a single cell, a plain grouping without
        totals — never builds it, nor imports pandas)."""
        if self._base is None:
            import pandas as pd

            self._base = pd.DataFrame(self.rows, columns=self.dims + [f"m{i}" for i in range(self.nmeasures)],
                                      dtype=object)
        return self._base

    def level(self, dims: list[str]) -> dict[tuple, list]:
        key = tuple(dims)
        if key not in self.cache:
            self.cache[key] = self._compute(list(dims))
        return self.cache[key]

    def _compute(self, dims: list[str]) -> dict[tuple, list]:
        frame = self._rolled(dims)
        distinct = self._distinct(dims) if any(v.kind == "count_distinct" for v in self.values) else {}
        out = {}
        for keys, row in frame.items():
            cells = []
            for v in self.values:
                if v.kind == "avg":
                    total, count = row[v.measures[0]], row[v.measures[1]]
                    cells.append(None if total is None or not count else _divide(total, count))
                elif v.kind == "count_distinct":
                    cells.append(distinct.get(keys, {}).get(v.measures[0], 0))
                else:
                    cells.append(row[v.measures[0]])
            out[keys] = cells
        return out

    def _rolled(self, dims: list[str]) -> dict[tuple, dict[int, Any]]:
        if dims == self.dims:  # the finest level is what SQL answered
            n = len(dims)
            return {tuple(r[:n]): dict(enumerate(r[n:])) for r in self.rows}
        base = self.base
        kinds = {}
        for v in self.values:
            for i in v.measures:
                kinds[i] = "sum" if v.kind == "avg" else ROLLUP.get(v.kind)
        if base.empty:
            return {} if dims else {(): {i: (0 if kinds[i] == "sum" else None) for i in kinds}}
        aggs = {f"m{i}": _ROLLERS[kind] for i, kind in kinds.items() if kind}
        if dims:
            grouped = base.groupby(dims, dropna=False, sort=False).agg(aggs) if aggs else \
                base[dims].drop_duplicates().set_index(dims)
            result = {}
            for keys, row in grouped.iterrows():
                keys = keys if isinstance(keys, tuple) else (keys,)
                result[tuple(_none(k) for k in keys)] = {int(c[1:]): _plain(row[c]) for c in grouped.columns}
            return result
        return {(): {int(c[1:]): _plain(fn(base[c])) for c, fn in aggs.items()}}

    def _distinct(self, dims: list[str]) -> dict[tuple, dict[int, Any]]:
        idx = [int(d[1:]) for d in dims]
        wanted = [i for v in self.values if v.kind == "count_distinct" for i in v.measures]
        spec = AggregateSpec(groups=[self.spec.groups[i] for i in idx],
                             measures=[self.spec.measures[i] for i in wanted], query=self.spec.query)
        result = self.records.aggregate(self.actor, self.table, spec)
        n = len(idx)
        return {tuple(r[:n]): dict(zip(wanted, r[n:])) for r in result.rows}


def _plain(value):
    """A numpy scalar (pandas sums counts as int64) as the Python number it holds."""
    return value.item() if hasattr(value, "item") and not isinstance(value, Decimal) else value


def _none(value):
    """Group keys back from pandas: NaN is the empty group, floats were whole ids."""
    if isinstance(value, float):
        if value != value:
            return None
        return int(value) if value.is_integer() else value
    return value


def _present(series: pd.Series) -> list:
    return [v for v in series.tolist() if _none(v) is not None]


def _sum(series: pd.Series):
    items = _present(series)
    return sum(items[1:], items[0]) if items else None


def _min(series: pd.Series):
    items = _present(series)
    return min(items) if items else None


def _max(series: pd.Series):
    items = _present(series)
    return max(items) if items else None


_ROLLERS = {"sum": _sum, "min": _min, "max": _max}


def _divide(total, count):
    if isinstance(total, Decimal) or isinstance(count, Decimal):
        places = -total.as_tuple().exponent if isinstance(total, Decimal) else 0
        return quantize(Decimal(total) / Decimal(count), max(places, 2))
    return Decimal(total) / Decimal(count) if count else None


# --- layout -------------------------------------------------------------------------
def _label(labels: dict, info: dict, key) -> str:
    if key is None:
        return EMPTY_LABEL
    if key in labels:
        return str(labels[key])
    if isinstance(key, (dt.date, dt.datetime)):
        return key.isoformat()
    return str(key)


def _sort_key(labels: dict, info: dict, key):
    if key is None:
        return (1, 0, "")
    if info["type"] in ("period", "date", "datetime", "integer", "decimal", "money", "percent"):
        return (0, 0, key) if not isinstance(key, str) else (0, 1, key)
    return (0, 1, _label(labels, info, key).casefold())


def _sorted_keys(level: dict, dims, info, labels) -> list[tuple]:
    if not dims:
        return [()]
    keys = list(level)
    return sorted(keys, key=lambda k: tuple(_sort_key(labels[i], info[i], k[i]) for i in range(len(dims))))


def _sorted_rows(levels: _Levels, doc: dict, dims, info, labels) -> list[tuple]:
    if not dims:
        return []
    keys = _sorted_keys(levels.level(dims), dims, info, labels)
    sort = doc.get("sort") or {}
    if sort.get("by") == "value":
        index = min(int(sort.get("value", 0)), len(levels.values) - 1)
        prefix_totals = [levels.level(dims[:n + 1]) for n in range(len(dims))]

        def value_key(k):
            parts = []
            for n in range(len(dims)):
                v = prefix_totals[n].get(k[:n + 1], [None] * len(levels.values))[index]
                parts.append((v is None, _neg(v) if sort.get("desc") else v if v is not None else 0))
            return tuple(parts)

        keys = sorted(keys, key=value_key)
    elif sort.get("desc"):
        keys = list(reversed(keys))
    limit = doc.get("limit")
    if limit:
        allowed, kept = set(), []
        for k in keys:
            if k[0] not in allowed and len(allowed) >= limit:
                continue
            allowed.add(k[0])
            kept.append(k)
        keys = kept
    return keys


def _neg(value):
    if value is None:
        return 0
    if isinstance(value, (int, float, Decimal)):
        return -value
    return value


def _columns(col_keys: list[tuple], labels, info, nvalues: int, totals: bool) -> list[dict]:
    columns = []
    for keys in col_keys:
        shown = [_label(labels[i], info[i], k) for i, k in enumerate(keys)]
        for v in range(nvalues):
            columns.append({"keys": list(keys), "labels": shown, "value": v, "total": False})
    if totals:
        for v in range(nvalues):
            columns.append({"keys": [], "labels": [TOTAL_LABEL], "value": v, "total": True})
    return columns


class _Layout:
    def __init__(self, levels: _Levels, row_dims, col_dims, columns, nvalues):
        self.levels, self.row_dims, self.col_dims = levels, row_dims, col_dims
        self.columns, self.nvalues = columns, nvalues

    def row(self, keys: tuple, shown: list[str], kind: str) -> dict:
        depth = len(keys)
        inner = self.levels.level(self.row_dims[:depth] + self.col_dims)
        outer = self.levels.level(self.row_dims[:depth])
        cells = []
        for c in self.columns:
            source = outer.get(tuple(keys)) if c["total"] else inner.get(tuple(keys) + tuple(c["keys"]))
            cells.append(None if source is None else source[c["value"]])
        return {"keys": list(keys), "labels": shown, "level": depth, "kind": kind, "cells": cells}


def _subtotals(layout: _Layout, previous: tuple, current: tuple, labels, info) -> list[dict]:
    """Subtotal rows for the outer levels that end between ``previous`` and ``current``."""
    rows = []
    for depth in range(len(previous) - 1, 0, -1):
        if current[:depth] == previous[:depth]:
            break
        prefix = previous[:depth]
        shown = [_label(labels[i], info[i], k) for i, k in enumerate(prefix)]
        shown[-1] = f"{shown[-1]} {TOTAL_LABEL.lower()}"
        rows.append(layout.row(prefix, shown, "subtotal"))
    return rows


# --- drill-down ---------------------------------------------------------------------
def drill_filters(definition: dict, row_keys: list, column_keys: list, field_types: dict | None = None) -> list[str]:
    """The list filters (``field:op:value``) selecting the records behind a cell.

    ``row_keys``/``column_keys`` are the raw keys of a row and a column (a prefix for
    subtotals and totals). ``field_types`` maps date-time paths to "datetime" so that
    period bounds are written as instants.
    """
    doc = validate_definition(definition)
    result = [f"{f['field']}:{f['op']}:{_filter_text(f.get('value'))}" for f in doc["filter"]]
    pairs = list(zip(doc["rows"], row_keys)) + list(zip(doc["columns"], column_keys))
    for g, key in pairs:
        path = g["field"]
        if key is None:
            result.append(f"{path}:is_empty")
        elif g.get("date"):
            start, end = period_bounds(g["date"], str(key))
            if (field_types or {}).get(path) == "datetime":
                result += [f"{path}:gte:{start.isoformat()}T00:00:00Z", f"{path}:lt:{end.isoformat()}T00:00:00Z"]
            else:
                result += [f"{path}:gte:{start.isoformat()}", f"{path}:lt:{end.isoformat()}"]
        else:
            result.append(f"{path}:eq:{_filter_text(key)}")
    return result


def _filter_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def period_bounds(part: str, key: str) -> tuple[dt.date, dt.date]:
    """[start, end) of a period key made by the aggregate (``2025-03``, ``2025-Q1`` …)."""
    if part in ("day", "week"):
        start = dt.date.fromisoformat(key)
        return start, start + dt.timedelta(days=1 if part == "day" else 7)
    year = int(key[:4])
    if part == "year":
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    if part == "quarter":
        month = 3 * (int(key[-1]) - 1) + 1
        return dt.date(year, month, 1), _add_months(dt.date(year, month, 1), 3)
    month = int(key[5:7])
    return dt.date(year, month, 1), _add_months(dt.date(year, month, 1), 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
