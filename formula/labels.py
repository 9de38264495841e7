"""Field labels in square brackets: ``[End date] - [Start date]``.

People know their fields by label; the language knows them by API name. Two pure steps
connect the two, over a :class:`LabelScope` that the metadata implements (this package
never imports it):

* :func:`resolve_labels` turns every ``[Label]`` into the field's API name before the text
  is parsed: ``[End date] - [Start date]`` → ``end_date - start_date``, and along a path
  ``[Client].[Category].[Discount]`` → ``client.category.discount`` (a label is looked up
  in the table the path has reached; plain names and labels mix: ``client.[Name]``). The
  answer keeps a map of the replacements, so an error found in the resolved text points
  at the place in the text as typed (:meth:`Resolved.position`).
* :func:`render_labels` does the opposite for showing a stored expression: every name of
  a field that has a label is written ``[Label]``.

What is stored is always the API names, so renaming a label never breaks a formula (and
renaming an API name is a rewrite of the stored names, done by the metadata).

A bracket holds a label when its text has no quotes and no commas and is not a number;
anything else (``status in ["a", "b"]``) is a list, as before. A label that names no field
is an error at the bracket, with the closest labels suggested.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field as dc_field
from typing import Protocol

from . import errors as E
from .errors import FormulaError, SourceMap, Span
from .nodes import Path, walk

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?")


class LabelScope(Protocol):
    def by_label(self, table: str, label: str) -> tuple[str, str | None] | None:
        """(API name, table a path continues in or None) of the field labelled ``label``."""

    def by_name(self, table: str, name: str) -> tuple[str | None, str | None] | None:
        """(label or None, table a path continues in or None) of the field named ``name``."""

    def labels(self, table: str) -> list[str]:
        """Every label of ``table`` (for suggestions)."""


@dataclass
class Resolved:
    """The text with API names, and where each replacement came from."""

    source: str                      # as typed
    text: str                        # with API names
    replaced: list[tuple[int, int, int, int]] = dc_field(default_factory=list)  # (src start, src end, text start, text end)

    def offset(self, position: int) -> int:
        """A character offset in ``text`` -> the offset in ``source``."""
        shift = 0
        for s_start, s_end, t_start, t_end in self.replaced:
            if position < t_start:
                break
            if position < t_end:  # inside a replaced name: the whole bracket
                return s_start if position == t_start else s_end
            shift = s_end - t_end
        return position + shift

    def position(self, position: dict | None) -> dict | None:
        """A FormulaError position in ``text`` -> the same place in ``source``."""
        if not position or not self.replaced:
            return position
        start = self.offset(position.get("start", 0))
        end = max(start, self.offset(position.get("end", position.get("start", 0))))
        where = SourceMap(self.source).position(Span(start, end))
        return {**position, **where}

    def error(self, exc: FormulaError) -> FormulaError:
        """``exc`` (and the errors it carries) with positions in ``source``."""
        from .errors import FormulaErrors

        if isinstance(exc, FormulaErrors):
            return FormulaErrors([self.error(e) for e in exc.errors])
        return FormulaError(exc.code, exc.message, self.position(exc.position), exc.field)


def _scan(source: str):
    """Yield (kind, start, end) for names, labels, numbers, strings and other characters."""
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c in "\"'":
            j = i + 1
            while j < n and source[j] != c:
                j += 2 if source[j] == "\\" else 1
            yield "string", i, min(j + 1, n)
            i = j + 1
        elif c == "[":
            j = source.find("]", i + 1)
            inner = source[i + 1:j] if j != -1 else ""
            if j != -1 and "[" not in inner and not any(q in inner for q in "\"',\n") \
                    and inner.strip() and not _NUMBER.fullmatch(inner.strip()):
                yield "label", i, j + 1
                i = j + 1
            else:
                yield "other", i, i + 1
                i += 1
        elif c.isdigit():
            m = _NUMBER.match(source, i)
            yield "number", i, m.end() if m and m.end() > i else i + 1
            i = m.end() if m and m.end() > i else i + 1
        else:
            m = _NAME.match(source, i)
            if m:
                yield "name", i, m.end()
                i = m.end()
            else:
                yield "other", i, i + 1
                i += 1


def resolve_labels(source: str, scope: LabelScope, table: str, field: str | None = None) -> Resolved:
    """``source`` with each ``[Label]`` replaced by its API name (see the module doc)."""
    out: list[str] = []
    replaced: list[tuple[int, int, int, int]] = []
    length = 0
    context: str | None = None      # the table a path continues in after a "."
    previous: str | None = None     # kind of the previous significant token
    sources = SourceMap(source)
    for kind, start, end in _scan(source):
        piece = source[start:end]
        if kind == "other" and piece.isspace():
            out.append(piece)
            length += len(piece)
            continue
        in_path = previous == "dot" and context is not None
        here = context if in_path else table
        if kind == "label":
            label = piece[1:-1].strip()
            found = scope.by_label(here, label)
            if found is None:
                close = difflib.get_close_matches(label, scope.labels(here), n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(f'[{c}]' for c in close)}?" if close else ""
                raise FormulaError(E.UNKNOWN_NAME, f"there is no field labelled {label!r}{hint}",
                                   sources.position(Span(start, end)), field)
            name, context = found
            replaced.append((start, end, length, length + len(name)))
            out.append(name)
            length += len(name)
            previous = "segment"
            continue
        if kind == "name" and (previous != "dot" or in_path):
            found = scope.by_name(here, piece)
            context = found[1] if found else None
            previous = "segment"
        elif kind == "other" and piece == "." and previous == "segment":
            previous = "dot"
        else:
            previous, context = kind, None
        out.append(piece)
        length += len(piece)
    return Resolved(source, "".join(out), replaced)


def render_labels(parsed_tree, source: str, scope: LabelScope, table: str) -> str:
    """``source`` (parsed into ``parsed_tree``) with each field name written ``[Label]``."""
    edits: list[tuple[int, int, str]] = []
    for node in walk(parsed_tree):
        if not isinstance(node, Path) or node.parts[0] == "me":
            continue
        here: str | None = table
        for part, span in zip(node.parts, node.spans):
            found = scope.by_name(here, part) if here is not None else None
            if found is None:
                break
            label, here = found
            if label:
                edits.append((span.start, span.end, f"[{label}]"))
    text = source
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def rename_names(parsed_tree, source: str, scope: LabelScope, table: str,
                 target: tuple[str, str], new_name: str) -> str:
    """``source`` with every use of the field ``target`` = (table, name) written ``new_name``
    (names are looked up along each path, so ``client.name`` and ``name`` of two tables are
    told apart)."""
    edits: list[tuple[int, int]] = []
    for node in walk(parsed_tree):
        if not isinstance(node, Path) or node.parts[0] == "me":
            continue
        here: str | None = table
        for part, span in zip(node.parts, node.spans):
            if here is None:
                break
            if (here, part) == target:
                edits.append((span.start, span.end))
            found = scope.by_name(here, part)
            here = found[1] if found else None
    text = source
    for start, end in sorted(edits, reverse=True):
        text = text[:start] + new_name + text[end:]
    return text
