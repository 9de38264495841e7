"""The sandbox every print template runs in: Jinja2's ``SandboxedEnvironment`` with limits.

    DocumentEnvironment   the sandbox: autoescape (HTML), no ``lipsum``/``cycler``/``joiner``,
                          strict undefined names, guarded loops, ``~`` and operators
    budget(limits)        a context manager: one time and output budget for one document
                          (an HTML page, or every part of a DOCX)
    compile_template      source -> template, syntax errors with line and column (cached)
    render_guarded        a compiled template -> text, errors turned into domain errors

What the limits stop: a loop, a macro call, an operator or a filter ticks the budget, so a
template that runs past ``Limits.seconds`` or writes more than ``Limits.output`` characters
stops with ``TEMPLATE_LIMIT``; text and lists built by ``*``, ``+``, ``~``, ``**`` and the
width arguments of ``center``/``indent``/``format`` are bounded before they are built.
Reaching for ``__class__``, ``__globals__``, ``_TemplateReference__context`` or any other
underscore name is ``TEMPLATE_UNSAFE``; names the context does not hold (``request``,
``config``) are ``TEMPLATE_RENDER_FAILED`` naming the name.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import re
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator

from jinja2 import StrictUndefined, nodes
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from cardfile.metamodel.errors import CardfileError

#: The longest text (or list) a template may build in one value, and the widest padding.
MAX_VALUE = 1_000_000
MAX_WIDTH = 10_000
MAX_EXPONENT = 100
CACHE_SIZE = 256


@dataclass(frozen=True)
class Limits:
    seconds: float = 5.0          # wall time for one document
    output: int = 5_000_000       # characters of output for one document


class TemplateInvalid(CardfileError):
    """The template does not parse: ``details`` holds ``line`` and ``column``."""

    code = "TEMPLATE_INVALID"


class TemplateUnsafe(CardfileError):
    """The template reached for something templates may not touch."""

    code = "TEMPLATE_UNSAFE"


class TemplateLimit(CardfileError):
    """Rendering ran out of time or output."""

    code = "TEMPLATE_LIMIT"


class TemplateRenderFailed(CardfileError):
    """Rendering stopped on an error in the template (an unknown name, a wrong type…)."""

    code = "TEMPLATE_RENDER_FAILED"


# --- the budget of one document -------------------------------------------------------------
class Budget:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.output = 0
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"The template took longer than {self.limits.seconds:g} s to render; "
                                "look for a loop that runs too long.", {"limit": "time", "seconds": self.limits.seconds})

    def wrote(self, count: int) -> None:
        self.output += count
        if self.output > self.limits.output:
            raise TemplateLimit(f"The document is larger than {self.limits.output:,} characters.",
                                {"limit": "output", "characters": self.limits.output})


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("cardfile_template_budget", default=None)


@contextlib.contextmanager
def budget(limits: Limits) -> Iterator[Budget]:
    """One budget for everything rendered inside (every part of one document)."""
    current = Budget(limits)
    token = _BUDGET.set(current)
    try:
        yield current
    finally:
        _BUDGET.reset(token)


def _budget() -> Budget:
    current = _BUDGET.get()
    if current is None:  # rendering outside ``budget()``: the default limits
        current = Budget(Limits())
        _BUDGET.set(current)
    return current


# --- guards ---------------------------------------------------------------------------------
def _sized(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_VALUE:
        raise TemplateLimit(f"A value in the template grew past {MAX_VALUE:,} characters or items.",
                            {"limit": "value", "size": MAX_VALUE})
    return value


def _check_widths(spec: str) -> None:
    for digits in re.findall(r"\d+", spec or ""):
        if len(digits) > 6 or int(digits) > MAX_WIDTH:
            raise TemplateLimit(f"A format width of {digits} is more than {MAX_WIDTH:,}.",
                                {"limit": "width", "width": MAX_WIDTH})


def _check_format_string(text: str) -> None:
    """Widths in ``str.format`` fields and ``%`` conversions are bounded."""
    try:
        for _literal, _name, spec, _conv in string.Formatter().parse(text):
            _check_widths(spec or "")
    except ValueError:
        pass  # a malformed format string fails on its own when used
    for match in re.finditer(r"%[-#0 +]*(\d*)(?:\.(\d*))?", text):
        _check_widths(" ".join(g for g in match.groups() if g))


class _Guard(NodeTransformer):
    """Rewrites the parsed template: loops and ``~`` go through the environment's guards."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _guard_call("guard_iter", node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _guard_call("guard_value", node)


def _guard_call(name: str, arg: nodes.Expr) -> nodes.Call:
    call = nodes.Call(nodes.EnvironmentAttribute(name), [arg], [], None, None)
    call.set_lineno(arg.lineno or 1)
    return call


def _bounded_filter(name: str, *width_args: int):
    original = DEFAULT_FILTERS[name]

    def bounded(*args, **kwargs):
        for index in width_args:
            if len(args) > index and isinstance(args[index], int) and abs(args[index]) > MAX_WIDTH:
                raise TemplateLimit(f"The {name} filter's width {args[index]} is more than {MAX_WIDTH:,}.",
                                    {"limit": "width", "width": MAX_WIDTH})
        for key in ("width", "length"):
            if isinstance(kwargs.get(key), int) and abs(kwargs[key]) > MAX_WIDTH:
                raise TemplateLimit(f"The {name} filter's {key} {kwargs[key]} is more than {MAX_WIDTH:,}.",
                                    {"limit": "width", "width": MAX_WIDTH})
        if name == "format" and args:
            _check_format_string(str(args[0]))
        return _sized(original(*args, **kwargs))

    bounded.__name__ = f"bounded_{name}"
    for attr in ("jinja_pass_arg",):
        if hasattr(original, attr):
            setattr(bounded, attr, getattr(original, attr))
    return bounded


class _DocumentTemplate(SandboxedEnvironment.template_class):
    """``render`` streams the output through the budget (docxtpl calls it too)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        current = _budget()
        ctx = self.new_context(dict(*args, **kwargs))
        out: list[str] = []
        try:
            for chunk in self.root_render_func(ctx):
                current.wrote(len(chunk))
                current.tick()
                out.append(chunk)
        except CardfileError:
            raise
        except Exception:
            self.environment.handle_exception()
        return "".join(out)


class DocumentEnvironment(SandboxedEnvironment):
    template_class = _DocumentTemplate
    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])

    def __init__(self, autoescape: bool = True, helpers: dict | None = None):
        super().__init__(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=False,
                         keep_trailing_newline=True)
        for name in ("lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)
        self.globals.update(helpers or {})
        for name, widths in (("center", (1,)), ("indent", (1,)), ("wordwrap", (1,)), ("truncate", (1,)),
                             ("format", ()), ("replace", ()), ("join", ()), ("striptags", ())):
            self.filters[name] = _bounded_filter(name, *widths)
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_lock = threading.Lock()

    # the parsed tree gets its guards before it is compiled
    def _parse(self, source, name, filename):
        return _Guard().visit(super()._parse(source, name, filename))

    def guard_iter(self, iterable):
        if isinstance(iterable, StrictUndefined):
            return iterable
        current = _budget()

        def walk():
            for item in iterable:
                current.tick()
                yield item

        return walk()

    def guard_value(self, value):
        _budget().tick()
        return _sized(value)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        _budget().tick()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator: str, left, right):
        _budget().tick()
        if operator == "**":
            if isinstance(right, (int, float)) and not isinstance(right, bool) and abs(right) > MAX_EXPONENT:
                raise TemplateLimit(f"An exponent above {MAX_EXPONENT} is not allowed in a template.",
                                    {"limit": "exponent"})
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (isinstance(seq, (str, list, tuple)) and isinstance(times, int) and not isinstance(times, bool)
                        and len(seq) * times > MAX_VALUE):
                    raise TemplateLimit(f"A value in the template would grow past {MAX_VALUE:,} characters or items.",
                                        {"limit": "value", "size": MAX_VALUE})
        if operator == "%" and isinstance(left, str):
            _check_format_string(left)
        return _sized(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value):
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = value.__self__

        def checked(*args, **kwargs):
            _check_format_string(text)
            return _sized(wrapped(*args, **kwargs))

        return checked

    # --- compiling, with a small cache keyed by the source ---------------------------------
    def compile_source(self, source: str):
        key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        with self._cache_lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        try:
            compiled = self.from_string(source)
        except TemplateSyntaxError as exc:
            raise syntax_problem(exc, source) from None
        with self._cache_lock:
            self._cache[key] = compiled
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return compiled


# --- errors ---------------------------------------------------------------------------------
def syntax_problem(exc: TemplateSyntaxError, source: str, where: str = "line") -> TemplateInvalid:
    line = exc.lineno or 1
    column = _column(exc, source.splitlines()[line - 1] if 0 < line <= len(source.splitlines()) else "")
    unclosed = re.search(r"innermost block that needs to be closed is '(\w+)'", exc.message or "")
    if unclosed:  # point at the tag that was never closed, not at the end of the text
        opening = list(re.finditer(r"\{%[-+]?\s*" + unclosed.group(1) + r"\b", source))
        if opening:
            start = opening[-1].start()
            line = source.count("\n", 0, start) + 1
            column = start - (source.rfind("\n", 0, start) + 1) + 1
    message = exc.message or "syntax error"
    return TemplateInvalid(f"Syntax error at {where} {line}, column {column}: {message}",
                           {"line": line, "column": column, "problem": message})


def _column(exc: TemplateSyntaxError, text: str) -> int:
    """Jinja reports only the line: point at the token its message names, else at the tag."""
    tags = [m.start() for m in re.finditer(r"\{[{%#]", text)]
    start = tags[0] if tags else 0
    for token in re.findall(r"'([^']+)'", exc.message or ""):
        if token in ("end of print statement", "end of statement block", "name", "end of template"):
            continue
        found = text.find(token, start)
        if found >= 0:
            return found + 1
    if "end of template" in (exc.message or "") and text:
        return len(text) + 1
    return start + 1


def template_line(exc: BaseException) -> int | None:
    """The template line a rendering error happened on (Jinja rewrites the traceback)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_guarded(template, context: dict, where: str = "line") -> str:
    """Render, turning whatever goes wrong into a domain error that names the line."""
    with rendering(where):
        return template.render(context)


@contextlib.contextmanager
def rendering(where: str = "line", lines=None):
    """Errors raised inside user template code become domain errors naming the place;
    ``lines(n) -> (label, number)`` maps a template line to what the owner sees (a DOCX
    paragraph)."""
    try:
        yield
    except CardfileError:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(f"Syntax error: {exc.message}", {"line": exc.lineno, "problem": exc.message}) from None
    except SecurityError as exc:
        line = _place(template_line(exc), lines)
        raise TemplateUnsafe(f"Not allowed in a template{_at(where, line)}: {_unsafe_text(exc)}",
                             {"line": line, "problem": str(exc)}) from None
    except UndefinedError as exc:
        line = _place(template_line(exc), lines)
        raise TemplateRenderFailed(f"Error{_at(where, line)}: {_undefined_text(exc)}",
                                   {"line": line, "problem": str(exc)}) from None
    except RecursionError:
        raise TemplateLimit("The template calls itself too deeply (a macro that never stops).",
                            {"limit": "recursion"}) from None
    except MemoryError:
        raise TemplateLimit("The template needs more memory than a document may use.", {"limit": "memory"}) from None
    except Exception as exc:  # noqa: BLE001 - any error inside user code is the template's
        line = _place(template_line(exc), lines)
        raise TemplateRenderFailed(f"Error{_at(where, line)}: {exc}", {"line": line, "problem": str(exc)}) from None


def _place(line: int | None, lines) -> int | None:
    return lines(line) if (lines is not None and line is not None) else line


def _at(where: str, line: int | None) -> str:
    return f" at {where} {line}" if line else ""


def _unsafe_text(exc: SecurityError) -> str:
    text = str(exc)
    match = re.search(r"attribute '([^']+)'", text)
    if match:
        return f"templates may not use {match.group(1)!r} (the names of values and fields only)."
    return text


def _undefined_text(exc: UndefinedError) -> str:
    text = str(exc)
    match = re.match(r"'([^']+)' is undefined", text)
    if match:
        return f"{match.group(1)!r} is not known here (not a field, helper or variable of this template)."
    return text

