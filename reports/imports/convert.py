"""Column mapping and cell conversion for imports.

The field types' ``parse`` already accepts most input (ISO and dotted dates, a decimal
comma, "yes"/"да", choice labels). What spreadsheets add on top is handled here, not by
loosening the types: thousands separators (``1 234,56``, ``1.234,56``, ``1,234.56``),
currency signs and words (kept with the amount: the money type reads them against the
field's currency, so "€ 100" into a RUB field is 100 EUR — or an error on a field fixed to
RUB — never 100 RUB), percent signs, more date formats (``03/31/2025``, ``31 Mar 2025``,
spreadsheet date cells), booleans in more languages, multi-choices split on ``;``, and
links found by the target's display value (or another key field) instead of an id.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from cardfile.metamodel.currencies import UnknownCurrency, resolve, split_amount
from cardfile.metamodel.errors import BadQuery

NOT_IMPORTABLE = ("lines", "counter", "file", "image")
EXTRA_DATE_FORMATS = ("%m/%d/%Y", "%d-%m-%Y", "%Y.%m.%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y",
                      "%B %d, %Y", "%Y%m%d", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S",
                      "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")
TRUE_EXTRA = {"tak", "sim", "ano", "igen", "evet", "истина", "вкл", "+", "✔", "☑", "t", "wahr", "vrai"}
FALSE_EXTRA = {"nie", "não", "nao", "ne", "nem", "hayır", "ложь", "выкл", "-", "✗", "☐", "f", "falsch",
               "faux", "nej", "no"}
CURRENCY_SIGNS = "€$£₽₴¥₸₼₾₺"
_SPACES = re.compile(r"[\s\u00a0\u202f']")


class ImportMappingInvalid(BadQuery):
    code = "IMPORT_MAPPING_INVALID"


def normalize(text) -> str:
    """Header/label matching key: case-, space-, accent- and punctuation-insensitive."""
    folded = unicodedata.normalize("NFKD", str(text or "")).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def auto_mapping(headers: list[str], fields) -> dict[str, str | None]:
    """Column header -> field api name, matched by label or API name (each field once)."""
    by_key = {}
    for f in fields:
        by_key.setdefault(normalize(f.api_name), f.api_name)
        by_key.setdefault(normalize(f.label), f.api_name)
    mapping, used = {}, set()
    for header in headers:
        name = by_key.get(normalize(header))
        if name is not None and name not in used:
            mapping[header] = name
            used.add(name)
        else:
            mapping[header] = None
    return mapping


def check_mapping(mapping: dict, headers: list[str], table, writable: dict) -> dict[int, str]:
    """Column index -> field api name; unknown columns or fields raise with the list."""
    problems, by_index, used = [], {}, {}
    positions = {h: i for i, h in reversed(list(enumerate(headers)))}
    for header, name in mapping.items():
        if name in (None, ""):
            continue
        if header not in positions:
            problems.append(f"the file has no column {header!r}")
            continue
        f = writable.get(name)
        if f is None:
            problems.append(f"{table.label!r} has no field {name!r} that can be imported")
            continue
        if f.type in NOT_IMPORTABLE:
            problems.append(f"{f.label!r} ({f.type}) cannot be imported from a file")
            continue
        if name in used:
            problems.append(f"columns {used[name]!r} and {header!r} both go to {name!r}")
            continue
        used[name] = header
        by_index[positions[header]] = name
    if problems:
        raise ImportMappingInvalid("The column mapping is not valid: " + "; ".join(problems) + ".",
                                   {"problems": problems, "columns": headers})
    if not by_index:
        raise ImportMappingInvalid("No column is mapped to a field; map at least one.",
                                   {"columns": headers, "fields": sorted(writable)})
    return by_index


# --- cells ----------------------------------------------------------------------------
class CellError(ValueError):
    pass


def number_text(value, percent: bool = False, money: bool = False, whole: bool = False,
                sign_code=None) -> str | Decimal | int:
    if isinstance(value, bool):
        raise CellError(f"expected a number, got {value!r}")
    if isinstance(value, (int, Decimal)):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    currency = ""
    if money:  # the sign or code stays with the amount, for the money type to read
        text, sign = split_amount(str(value))
        text, currency = _SPACES.sub("", text), sign or ""
        if sign and sign_code is not None:
            currency = sign_code(sign)
    else:
        text = _SPACES.sub("", str(value)).strip(CURRENCY_SIGNS)
    if percent:
        text = text.rstrip("%")
    if text.count(",") and text.count("."):
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")  # 1.234,56
        else:
            text = text.replace(",", "")  # 1,234.56
    elif text.count(",") > 1:
        text = text.replace(",", "")  # 1,234,567
    elif text.count(".") > 1:
        text = text.replace(".", "")  # 1.234.567
    elif text.count(",") == 1 and not whole:
        text = text.replace(",", ".")  # 12,5: a decimal comma, as the number types read it
    return text + currency


_DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def date_value(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    text = str(value).strip()
    quick = _YMD.fullmatch(text) or _DMY.fullmatch(text)
    if quick is not None:  # the two common spellings, without strptime's cost
        a, b, c = (int(g) for g in quick.groups())
        try:
            return dt.date(a, b, c) if quick.re is _YMD else dt.date(c, b, a)
        except ValueError:
            raise CellError(f"there is no such date: {text}") from None
    for fmt in EXTRA_DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return text


def bool_value(value):
    if isinstance(value, (bool, int)):
        return value
    word = str(value).strip().casefold()
    if word in TRUE_EXTRA:
        return True
    if word in FALSE_EXTRA:
        return False
    return str(value)


def multi_value(value):
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,\n]", value) if v.strip()]
    return value


def _date_only(value):
    parsed = date_value(value)
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def _other(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


_BY_TYPE = {
    "integer": lambda v: number_text(v, whole=True), "decimal": number_text,
    "percent": lambda v: number_text(v, percent=True), "money": lambda v: number_text(v, money=True),
    "date": _date_only, "datetime": date_value, "boolean": bool_value, "multi_choice": multi_value,
}


def sign_reader(field, locale: str | None):
    """Sign or word -> ISO code as people write it in ``locale`` (the field's own currency
    first when the sign can mean it); a sign this cannot decide stays as written, for the
    money type to refuse with its message."""
    own = field.opt("currency") if field is not None else None
    seen: dict[str, str] = {}

    def code(sign: str) -> str:
        if sign not in seen:
            try:
                seen[sign] = " " + resolve(sign, locale, expected=own)
            except UnknownCurrency:
                seen[sign] = sign
        return seen[sign]
    return code


def preparer(ftype_key: str, field=None, locale: str | None = None):
    """``prepare`` for one field type, looked up once (imports call it for every cell);
    ``locale`` reads money signs as people write them there."""
    convert = _BY_TYPE.get(ftype_key)
    if ftype_key == "money" and locale:
        reader = sign_reader(field, locale)
        convert = lambda v: number_text(v, money=True, sign_code=reader)  # noqa: E731
    if convert is None:
        def text_cell(value):
            if isinstance(value, str):
                return value if value.strip() else None
            return None if value is None else _other(value)
        return text_cell

    if ftype_key in ("date", "datetime", "boolean"):
        return _remembering(convert)

    def cell(value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return convert(value)
    return cell


def _remembering(convert, size: int = 10_000):
    """``cell`` for columns whose texts repeat (dates, yes/no): each distinct text is
    converted once per import (up to ``size`` of them)."""
    seen: dict = {}

    def cell(value):
        if type(value) is str:
            if value in seen:
                return seen[value]
            result = None if not value.strip() else convert(value)
            if len(seen) < size:
                seen[value] = result
            return result
        if value is None:
            return None
        return convert(value)
    return cell


def prepare(ftype_key: str, value):
    """A cell as input the field type's ``parse`` accepts."""
    return preparer(ftype_key)(value)
