"""Domain errors: a stable ``code``, a human ``message`` and structured ``details``.

Nothing here knows about HTTP; ``cardfile.platform.api.errors`` maps codes to statuses.
"""

from __future__ import annotations

from typing import Any


class CardfileError(Exception):
    code = "ERROR"

    def __init__(self, message: str, details: Any = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details if details is not None else {}
        if code:
            self.code = code

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}


class NotFound(CardfileError):
    code = "NOT_FOUND"


class TableNotFound(NotFound):
    code = "TABLE_NOT_FOUND"

    def __init__(self, name):
        super().__init__(f"No table named {name!r}.", {"table": name})


class FieldNotFound(NotFound):
    code = "FIELD_NOT_FOUND"

    def __init__(self, table, name):
        super().__init__(f"Table {table!r} has no field named {name!r}.", {"table": table, "field": name})


class RecordNotFound(NotFound):
    code = "RECORD_NOT_FOUND"

    def __init__(self, table, record_id):
        super().__init__(f"Table {table!r} has no record {record_id}.", {"table": table, "id": record_id})


class NameClash(CardfileError):
    code = "NAME_CLASH"


class InvalidDefinition(CardfileError):
    """A table or field definition (or its options) is not acceptable."""

    code = "INVALID_DEFINITION"


class ValidationFailed(CardfileError):
    """Record values failed validation; ``details`` maps field name to a list of messages."""

    code = "VALIDATION_FAILED"

    def __init__(self, errors: dict[str, list[str]], message: str | None = None):
        if message is None:
            first = next(iter(errors.items()))
            message = f"{first[0]}: {first[1][0]}" if len(errors) == 1 else "Some values are not valid."
        super().__init__(message, {"fields": errors})
        self.errors = errors


class StaleVersion(CardfileError):
    code = "STALE_VERSION"


class RetypeWouldLoseValues(CardfileError):
    code = "RETYPE_WOULD_LOSE_VALUES"


class UnsupportedConversion(CardfileError):
    code = "UNSUPPORTED_CONVERSION"


class FieldInUse(CardfileError):
    """A field others' formulas, defaults, conditions or rules read cannot go to the trash;
    ``details.used_by`` lists them (table, field or rule, and their labels)."""

    code = "FIELD_IN_USE"


class AccessDenied(CardfileError):
    code = "ACCESS_DENIED"


class AuthenticationFailed(CardfileError):
    code = "AUTHENTICATION_FAILED"


class BadQuery(CardfileError):
    """A filter, sort or page parameter cannot be understood."""

    code = "BAD_QUERY"


class PackageInvalid(CardfileError):
    code = "PACKAGE_INVALID"


class FileTooLarge(CardfileError):
    code = "FILE_TOO_LARGE"
