"""The read-only view a template sees, built for the acting user through the record service.

    Reader        reads records as the actor (``RecordService.get`` / ``list``), once each,
                  and remembers which records and fields a document showed
    Session       one document being rendered: reader, formatter, kind (html/docx),
                  the fields it could not show
    RecordView    a record: its fields by API name (``total``, ``client.name``), line items,
                  back-links (``payments``), ``id``
    Value         one field's value: prints formatted, ``.raw`` is the plain value,
                  ``.label`` a choice's label, ``.currency`` a money value's currency
    Hidden        a field the actor may not read: prints ``[not readable: client.tax_id]``,
                  never the value (the record service never returned it)
    EMPTY         an empty link, or a linked record outside what the actor may read

Every linked or back-linked record is read through ``RecordService`` as the actor, so row
scopes and hidden fields hold through dot paths; nothing here touches SQL.
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any, Callable

from jinja2 import StrictUndefined
from markupsafe import Markup, escape

from cardfile.metamodel.errors import AccessDenied, NotFound
from cardfile.metamodel.formulas.bridge import back_link_names
from cardfile.metamodel.records.query import ListQuery

from .formatting import Formatter

BACK_LINK_LIMIT = 5000
PAGE = 500


class Reader:
    """Records as one actor may read them, each read once per document batch."""

    def __init__(self, records, actor, snap):
        self.records = records
        self.actor = actor
        self.snap = snap
        self._cache: dict = {}
        self.reads: dict[tuple[int, int], set[str]] = {}
        self.company: dict | None = None  # the company's details, read once (render.py)

    def get(self, table_name: str, record_id: int, action: str = "read") -> dict | None:
        key = (table_name, int(record_id), action)
        if key not in self._cache:
            try:
                self._cache[key] = self.records.get(self.actor, table_name, int(record_id), action=action)
            except (NotFound, AccessDenied):
                self._cache[key] = None
            if len(self._cache) > 4000:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]

    def back(self, source: str, link: str, record_id: int) -> list[dict]:
        """Records of ``source`` whose ``link`` points at ``record_id`` (readable ones)."""
        out: list[dict] = []
        page = 1
        try:
            while True:
                result = self.records.list(self.actor, source, ListQuery(
                    filters=[(link, "eq", str(record_id))], sort=["id"], page=page, per_page=PAGE))
                out += result["records"]
                if len(result["records"]) < PAGE or len(out) >= BACK_LINK_LIMIT:
                    return out[:BACK_LINK_LIMIT]
                page += 1
        except (NotFound, AccessDenied):
            return []

    def shown(self, table_id: int, record_id: int, field: str) -> None:
        self.reads.setdefault((table_id, int(record_id)), set()).add(field)

    def reads_json(self) -> list[dict]:
        return [{"table_id": t, "id": i, "fields": sorted(f)} for (t, i), f in sorted(self.reads.items())]


class Session:
    """One document being rendered."""

    def __init__(self, reader: Reader, formatter: Formatter, kind: str = "html", image: Callable | None = None):
        self.reader = reader
        self.fmt = formatter
        self.kind = kind
        self.image = image  # (bytes, media type, width mm, height mm) -> markup or an inline image
        self.hidden: list[str] = []

    @property
    def snap(self):
        return self.reader.snap


class Hidden:
    """A field the actor may not read: a visible placeholder, never the value."""

    __slots__ = ("_path", "_session")

    def __init__(self, path: str, session: Session | None = None):
        self._path = path
        self._session = session

    def __str__(self) -> str:
        if self._session is not None and self._path not in self._session.hidden:
            self._session.hidden.append(self._path)
        return f"[not readable: {self._path}]"

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


class _Empty:
    """An empty link (or one the actor may not read): every field of it is empty."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""

    def __html__(self) -> str:
        return ""

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __eq__(self, other) -> bool:
        return other is None or other == "" or isinstance(other, _Empty)

    def __hash__(self) -> int:
        return 0


EMPTY = _Empty()


def _unwrap(value):
    return value.raw if isinstance(value, Value) else value


def _arith(op):
    def forward(self, other):
        return op(self.raw, _unwrap(other))

    def backward(self, other):
        return op(_unwrap(other), self.raw)

    return forward, backward


class Value:
    """A field's value: prints formatted for the document's language."""

    __slots__ = ("_field", "_json", "_session", "_owner")

    def __init__(self, field, json_value, session: Session, owner: tuple[int, int] | None = None):
        self._field = field
        self._json = json_value
        self._session = session
        self._owner = owner  # (table id, record id): marked as shown when the value is used

    def _used(self) -> None:
        if self._owner is not None:
            self._session.reader.shown(self._owner[0], self._owner[1], self._field.api_name)
            self._owner = None

    @property
    def raw(self):
        self._used()
        return self._session.fmt.raw(self._field, self._json)

    @property
    def text(self) -> str:
        self._used()
        return self._session.fmt.text(self._field, self._json)

    @property
    def label(self) -> str:
        return self.text

    @property
    def currency(self) -> str | None:
        return self._session.fmt.currency(self._field, self._json)

    @property
    def type(self) -> str:
        return self._field.type

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        if self._field.type == "long_text":
            return str(escape(self.text)).replace("\n", Markup("<br>")) if self._session.kind == "html" \
                else str(escape(self.text))
        return str(escape(self.text))

    def __bool__(self) -> bool:
        return bool(self.raw)

    def __eq__(self, other) -> bool:
        return self.raw == _unwrap(other)

    def __hash__(self) -> int:
        return hash(self.raw)

    def __lt__(self, other):
        return self.raw < _unwrap(other)

    def __le__(self, other):
        return self.raw <= _unwrap(other)

    def __gt__(self, other):
        return self.raw > _unwrap(other)

    def __ge__(self, other):
        return self.raw >= _unwrap(other)

    def __neg__(self):
        return -self.raw

    __add__, __radd__ = _arith(operator.add)
    __sub__, __rsub__ = _arith(operator.sub)
    __mul__, __rmul__ = _arith(operator.mul)
    __truediv__, __rtruediv__ = _arith(operator.truediv)


class LazyList:
    """A collection read on first use (the records that link back to this one)."""

    __slots__ = ("_load", "_items")

    def __init__(self, load: Callable[[], list]):
        self._load = load
        self._items = None

    def _all(self) -> list:
        if self._items is None:
            self._items = self._load()
        return self._items

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __bool__(self) -> bool:
        return bool(self._all())

    def __getitem__(self, index):
        return self._all()[index]


class RecordView:
    """A record as the template sees it; ``data`` None means "read it when first asked"."""

    __slots__ = ("_table", "_data", "_id", "_display", "_session", "_path", "_action")

    def __init__(self, table, data: dict | None, session: Session, path: str, record_id: int | None = None,
                 display: str = "", action: str = "read"):
        self._table = table
        self._data = data
        self._id = data["id"] if data is not None else record_id
        self._display = display
        self._session = session
        self._path = path
        self._action = action

    def _record(self) -> dict | None:
        if self._data is None:
            self._data = self._session.reader.get(self._table.api_name, self._id, self._action) or {}
        return self._data or None

    def __str__(self) -> str:
        record = self._record()
        if record is None:
            return ""
        display = self._table.display_field
        if display is not None and display.api_name in record:
            return str(getattr(self, display.api_name))
        return self._display or f"#{self._id}"

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __bool__(self) -> bool:
        return self._record() is not None

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        record = self._record()
        if record is None:
            return EMPTY
        if name == "id":
            return record["id"]
        field = self._table.field(name)
        if field is not None:
            return self._field(field, record)
        back = back_link_names(self._session.snap, self._table).get(name)
        if back is not None and not self._table.is_child:
            source, link = back
            where = f"{self._path}.{name}" if self._path else name
            return LazyList(lambda: [RecordView(source, r, self._session, where)
                                     for r in self._session.reader.back(source.api_name, link.api_name, record["id"])])
        return StrictUndefined(hint=f"{self._table.label!r} has no field {name!r} "
                                    f"({f'{self._path}.{name}' if self._path else name})")

    def _field(self, field, record: dict):
        path = f"{self._path}.{field.api_name}" if self._path else field.api_name
        if field.api_name not in record:
            return Hidden(path, self._session)
        value = record[field.api_name]
        owner = (self._table.id, record["id"])
        if field.type in ("link", "lines", "image", "file"):
            self._session.reader.shown(*owner, field.api_name)
        if field.type == "link":
            if value is None:
                return EMPTY
            target = self._session.snap.table_by_id(int(field.options["target_id"]))
            return RecordView(target, None, self._session, path, record_id=value["id"], display=value.get("display", ""))
        if field.type == "lines":
            child = self._session.snap.child_table(field)
            return [RecordView(child, line, self._session, f"{path}[{i}]") for i, line in enumerate(value or [], 1)]
        if field.type in ("image", "file") and value:
            return Attachment(value, self._session)
        return Value(field, value, self._session, owner)


class Attachment:
    """A file or image field, or a company logo: ``image(x)`` draws it; prints its name."""

    __slots__ = ("_value", "_session")

    def __init__(self, value: dict, session: Session):
        self._value = value
        self._session = session

    @property
    def name(self) -> str:
        return self._value.get("name") or ""

    @property
    def sha256(self) -> str:
        return self._value.get("sha256") or ""

    def __str__(self) -> str:
        return self.name

    def __html__(self) -> str:
        return str(escape(self.name))

    def __bool__(self) -> bool:
        return bool(self.sha256)


class Plain:
    """A small read-only namespace of texts (company details, the user)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict):
        self._values = values

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._values:
            value = self._values[name]
            return "" if value is None else value
        return StrictUndefined(hint=f"no {name!r} here; known: {', '.join(sorted(self._values))}")

    def __str__(self) -> str:
        return str(self._values.get("name") or "")

    def __html__(self) -> str:
        return str(escape(str(self)))


def day_value(day: dt.date, session: Session) -> Value:
    from cardfile.metamodel.model import FieldDef

    return Value(FieldDef(id=0, table_id=0, api_name="today", label="Today", type="date"), day.isoformat(), session)


def unwrap(value: Any) -> Any:
    """A helper's argument as a plain value (a Value's raw value)."""
    return _unwrap(value)
