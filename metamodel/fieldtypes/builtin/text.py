"""Text-like types: single-line text, long text, email, phone, URL."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Text, and_, not_, or_

from ...storage.sqltypes import casefold
from ..base import EMPTY_OPERATORS, EQUALITY_OPERATORS, TEXT_OPERATORS, FieldType, FieldValueError, same_rules

_WORDS = ("alpha", "bravo", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris", "juniper")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TextType(FieldType):
    key = "text"
    label = "Single-line text"
    formula_type = "text"
    searchable = True
    filter_operators = EQUALITY_OPERATORS + TEXT_OPERATORS + EMPTY_OPERATORS
    default_max_length = 255
    single_line = True  # trimmed, no line breaks (email, phone, URL and counters too)
    options_properties = {
        "max_length": {"type": "integer", "minimum": 1, "maximum": 10000},
        "pattern": {"type": "string", "maxLength": 500},
        "pattern_message": {"type": "string", "maxLength": 500},
    }

    def normalize_options(self, options):
        options = dict(options)
        pattern = options.get("pattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise FieldValueError(f"pattern is not a valid regular expression: {exc}") from None
        return options

    def sql_type(self, field):
        return Text()  # lengths are checked in validation, so changing them needs no DDL

    def parse_value(self, raw, field):
        if not isinstance(raw, str):
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                raw = str(raw)
            else:
                raise FieldValueError(f"expected text, got {type(raw).__name__}")
        if "\x00" in raw:
            raise FieldValueError("text must not contain NUL characters")
        if not self.single_line:
            return raw
        raw = raw.strip()
        if "\n" in raw:
            raise FieldValueError("must be a single line")
        return raw

    def check(self, value, field):
        limit = field.opt("max_length", self.default_max_length)
        if len(value) > limit:
            raise FieldValueError(f"must be at most {limit} characters (got {len(value)})")
        pattern = field.opt("pattern")
        if pattern and not re.fullmatch(pattern, value):
            raise FieldValueError(field.opt("pattern_message") or f"must match the pattern {pattern}")

    def parser(self, field):
        slow = super().parser(field)
        if not same_rules(self, TextType):
            return slow
        limit = field.opt("max_length", self.default_max_length)
        pattern = re.compile(field.opt("pattern")) if field.opt("pattern") else None

        def parse_line(raw):  # text that parse keeps as it is, stripped
            if type(raw) is str:
                text = raw.strip()
                if (text and len(text) <= limit and "\n" not in text and "\x00" not in text
                        and (pattern is None or pattern.fullmatch(text))):
                    return text
            return slow(raw)

        def parse_text(raw):  # long text: kept as sent
            if (type(raw) is str and raw and len(raw) <= limit and not raw.isspace() and "\x00" not in raw
                    and (pattern is None or pattern.fullmatch(raw))):
                return raw
            return slow(raw)
        return parse_line if self.single_line else parse_text

    def random_value(self, field, rng):
        return f"{rng.choice(_WORDS).title()} {rng.randint(1, 999)}"

    def filter_extra(self, table, field, op, value):
        col = self.column(table, field)
        text = "" if value is None else str(value)
        pattern = {"contains": f"%{_like_escape(text.casefold())}%",
                   "not_contains": f"%{_like_escape(text.casefold())}%",
                   "starts_with": f"{_like_escape(text.casefold())}%",
                   "ends_with": f"%{_like_escape(text.casefold())}"}[op]
        clause = casefold(col).like(pattern, escape="\\")
        if op == "not_contains":
            return or_(not_(clause), col.is_(None))
        return and_(col.is_not(None), clause)


class LongTextType(TextType):
    key = "long_text"
    label = "Long text"
    default_max_length = 100000
    single_line = False
    sortable = True
    options_properties = {"max_length": {"type": "integer", "minimum": 1, "maximum": 1000000}}

    def random_value(self, field, rng):
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 16))).capitalize() + "."


class EmailType(TextType):
    key = "email"
    label = "Email"
    default_max_length = 254
    options_properties = {}

    _plain = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                        r"@(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.[A-Za-z]{2,63}$")

    def parse_value(self, raw, field):
        text = super().parse_value(raw, field)
        if len(text) <= 254 and self._plain.match(text):
            # the common ASCII case, checked by the same rules without the library's cost
            local, domain = text.rsplit("@", 1)
            if len(local) <= 64:
                return f"{local}@{domain.lower()}"
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise FieldValueError(f"not a valid email address: {exc}") from None

    def check(self, value, field):
        if len(value) > 254:
            raise FieldValueError("an email address has at most 254 characters")

    def parser(self, field):
        slow = super().parser(field)
        if not same_rules(self, EmailType):
            return slow
        plain = self._plain

        def parse(raw):  # the common ASCII address, by the rules of parse_value
            if type(raw) is str:
                text = raw.strip()
                if len(text) <= 254 and "\n" not in text and plain.match(text):
                    at = text.find("@")  # the pattern allows one @ only
                    if at <= 64:
                        domain = text[at + 1:]
                        lower = domain.lower()
                        return text if lower == domain else text[:at + 1] + lower
            return slow(raw)
        return parse

    def random_value(self, field, rng):
        return f"{rng.choice(_WORDS)}.{rng.randint(1, 9999)}@example.com"


class PhoneType(TextType):
    key = "phone"
    label = "Phone"
    default_max_length = 40
    options_properties = {"region": {"type": "string", "pattern": "^[A-Z]{2}$"}}
    _allowed = re.compile(r"^\+?[0-9 ()\-.]{3,40}$")

    def parse_value(self, raw, field):
        text = super().parse_value(raw, field)
        if not self._allowed.match(text):
            raise FieldValueError("a phone number has digits, spaces, brackets, dashes and an optional leading +")
        region = field.opt("region")
        if text.startswith("+") or region:
            try:
                number = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException as exc:
                raise FieldValueError(f"not a valid phone number: {exc}") from None
            if not phonenumbers.is_possible_number(number):
                raise FieldValueError("not a possible phone number")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return text

    def check(self, value, field):
        if len(value) > 40:
            raise FieldValueError("a phone number has at most 40 characters")

    def random_value(self, field, rng):
        return f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


class UrlType(TextType):
    key = "url"
    label = "URL"
    default_max_length = 2048
    options_properties = {}

    def parse_value(self, raw, field):
        text = super().parse_value(raw, field)
        if "://" not in text:
            text = "https://" + text
        parts = urlparse(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            raise FieldValueError("expected a web address such as https://example.com")
        return text

    def check(self, value, field):
        if len(value) > 2048:
            raise FieldValueError("a URL has at most 2048 characters")

    def random_value(self, field, rng):
        return f"https://{rng.choice(_WORDS)}.example.com"
