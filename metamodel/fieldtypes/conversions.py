"""Retype conversions: plan which values survive a change of field type.

Lookup is deterministic: same type (options only), then the declared pairs below. A
value *survives* when it converts and converting it back gives the same value (from a
text-like type: when the text parses into the new type); every
other record is listed in the plan, and the record service refuses the change with that
list unless forced (forced: values that do not survive become empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from ..errors import UnsupportedConversion
from ..model import FieldDef
from .base import FieldValueError
from .registry import FieldTypeRegistry

SCALAR = {"text", "long_text", "integer", "decimal", "money", "percent", "boolean", "date",
          "datetime", "choice", "multi_choice", "email", "phone", "url"}
TEXTLIKE = {"text", "long_text", "email", "phone", "url", "counter"}
PAIRS = {("file", "image"), ("image", "file"), ("counter", "text"), ("counter", "long_text")}


@dataclass
class Loss:
    id: int
    value: Any
    reason: str


@dataclass
class ConversionPlan:
    field_id: int
    from_type: str
    to_type: str
    values: dict[int, Any] = dc_field(default_factory=dict)  # id -> new value
    losses: list[Loss] = dc_field(default_factory=list)
    changes_column: bool = True

    @property
    def lossless(self) -> bool:
        return not self.losses


def supported(from_type: str, to_type: str) -> bool:
    if from_type == to_type:
        return True
    return (from_type in SCALAR and to_type in SCALAR) or (from_type, to_type) in PAIRS


def check_supported(from_type: str, to_type: str) -> None:
    if not supported(from_type, to_type):
        raise UnsupportedConversion(
            f"A {from_type} field cannot be changed into a {to_type} field.",
            {"from": from_type, "to": to_type},
        )


def _carry(ftype, value, field, target_textlike: bool):
    if target_textlike:
        return ftype.to_text(value, field)
    return ftype.to_plain(value, field)


def convert_value(registry: FieldTypeRegistry, old: FieldDef, new: FieldDef, value: Any) -> Any:
    """The converted value, or FieldValueError saying why it does not survive."""
    src, dst = registry.get(old.type), registry.get(new.type)
    if value is None:
        return None
    converted = dst.parse(_carry(src, value, old, new.type in TEXTLIKE), new)
    if old.type in TEXTLIKE and converted is not None:
        # text is only a spelling: "10" as a decimal is 10.00, "31.12.2024" a date; what
        # parses (options included: length, places, choices) survives
        return converted
    back = src.parse(_carry(dst, converted, new, old.type in TEXTLIKE), old) if converted is not None else None
    if back != value:
        shown = dst.to_text(converted, new) if converted is not None else "(empty)"
        raise FieldValueError(f"would become {shown}")
    return converted


def plan_conversion(registry: FieldTypeRegistry, old: FieldDef, new: FieldDef,
                    rows: list[tuple[int, Any]]) -> ConversionPlan:
    check_supported(old.type, new.type)
    src, dst = registry.get(old.type), registry.get(new.type)
    plan = ConversionPlan(field_id=old.id, from_type=old.type, to_type=new.type)
    for record_id, value in rows:
        try:
            plan.values[record_id] = convert_value(registry, old, new, value)
        except FieldValueError as exc:
            plan.values[record_id] = None
            plan.losses.append(Loss(record_id, src.to_json(value, old), exc.message))
    plan.changes_column = old.type != new.type or [repr(c.type) for c in src.columns(old)] != [
        repr(c.type) for c in dst.columns(new)]
    return plan
