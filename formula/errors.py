"""Formula errors: one exception type with a stable code and a position.

Every error the language reports is a :class:`FormulaError`. ``code`` is stable and
meant for programs (the API maps it to a status), ``message`` is for people, and
``position`` tells the UI what to underline:

    {"start": 4, "end": 9, "line": 1, "column": 5}

``start``/``end`` are character offsets into the source (end exclusive); ``line`` and
``column`` are 1-based and describe ``start``. ``field`` is the key of the field whose
formula failed, when known.

Checking collects every error it can and raises :class:`FormulaErrors`, which holds
the list and is itself a ``FormulaError`` (code of the first error), so callers that
only want one error can catch ``FormulaError``.
"""

from __future__ import annotations

from dataclasses import dataclass

SYNTAX = "FORMULA_SYNTAX"
UNKNOWN_NAME = "FORMULA_UNKNOWN_NAME"
TYPE = "FORMULA_TYPE"
ARGS = "FORMULA_ARGS"
CYCLE = "FORMULA_CYCLE"
UNSAFE = "FORMULA_UNSAFE"
LIMIT = "FORMULA_LIMIT"
RUNTIME = "FORMULA_RUNTIME"
NOT_SQL = "FORMULA_NOT_SQL"
TOO_LARGE = "FORMULA_TOO_LARGE"   # a text that can grow past size.MAX_TEXT_SIZE

CODES = (SYNTAX, UNKNOWN_NAME, TYPE, ARGS, CYCLE, UNSAFE, LIMIT, RUNTIME, NOT_SQL, TOO_LARGE)


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets ``[start, end)`` into a formula's source."""

    start: int
    end: int


class SourceMap:
    """Turns character offsets into 1-based line/column positions."""

    __slots__ = ("source", "_line_starts")

    def __init__(self, source: str):
        self.source = source
        starts = [0]
        for index, char in enumerate(source):
            if char == "\n":
                starts.append(index + 1)
        self._line_starts = starts

    def position(self, span: Span | None) -> dict | None:
        if span is None:
            return None
        line = 0
        for number, start in enumerate(self._line_starts):
            if start > span.start:
                break
            line = number
        return {
            "start": span.start,
            "end": span.end,
            "line": line + 1,
            "column": span.start - self._line_starts[line] + 1,
        }

    def offset(self, line: int, byte_column: int) -> int:
        """Character offset of a 1-based line and a UTF-8 byte column (as ``ast`` gives)."""
        line = max(1, min(line, len(self._line_starts)))
        start = self._line_starts[line - 1]
        end = self._line_starts[line] if line < len(self._line_starts) else len(self.source)
        text = self.source[start:end]
        prefix = text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore")
        return start + len(prefix)


class FormulaError(Exception):
    """An error in a formula: when it was defined, compiled or evaluated."""

    def __init__(
        self,
        code: str,
        message: str,
        position: dict | None = None,
        field: str | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position
        self.field = field

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "position": dict(self.position) if self.position else None,
            "field": self.field,
        }

    def __str__(self) -> str:
        where = ""
        if self.position:
            where = f" (line {self.position['line']}, column {self.position['column']})"
        prefix = f"{self.field}: " if self.field else ""
        return f"{prefix}{self.message}{where}"

    def __repr__(self) -> str:
        return f"FormulaError({self.code!r}, {self.message!r}, {self.position!r})"


class CurrencyMismatch(FormulaError):
    """Money of two currencies met in one operation (code ``FORMULA_RUNTIME``).

    ``currencies`` names them; ``crosses`` is set by the evaluator when the values met
    through a link or an aggregate (a value of another record), which the record service
    refuses at write time instead of storing an error value.
    """

    def __init__(self, message: str, currencies, position: dict | None = None,
                 field: str | None = None):
        super().__init__(RUNTIME, message, position, field)
        self.currencies = tuple(currencies)
        self.crosses: bool | None = None


class FormulaErrors(FormulaError):
    """Several errors found at once; ``errors`` holds them in source order."""

    def __init__(self, errors: list[FormulaError]):
        if not errors:
            raise ValueError("FormulaErrors needs at least one error")
        ordered = sorted(errors, key=lambda e: (e.position or {}).get("start", -1))
        first = ordered[0]
        super().__init__(first.code, first.message, first.position, first.field)
        self.errors = ordered

    def to_dict(self) -> dict:
        data = super().to_dict()
        data["errors"] = [error.to_dict() for error in self.errors]
        return data

    def __str__(self) -> str:
        return "; ".join(FormulaError.__str__(error) for error in self.errors)


def at(error: FormulaError, sources: SourceMap, span: Span | None, field: str | None = None):
    """Fill in a missing position (and field) on ``error``; returns it."""
    if error.position is None and span is not None:
        error.position = sources.position(span)
    if error.field is None:
        error.field = field
    return error
