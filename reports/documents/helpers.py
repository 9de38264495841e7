"""The functions a template may call, bound to the document being rendered.

    words(amount, cents="digits", language=None, currency=None)
                                  the amount in words ("Одна тысяча двести рублей 50 копеек")
    format_money(x, currency=None, symbol=True), format_number(x, places=None),
    format_date(x, style="long")  locale formats (Babel) in the template's language
    qr(text, size=30)             a QR code, ``size`` millimetres square
    barcode(text, kind="ean13"|"code128", width=40, height=15)
    image(file, width=None, height=None)   a company logo, stamp or an image field

Images are inline: an ``<img>`` with a ``data:`` URL in HTML (nothing is fetched when the
PDF is made), an inline picture in DOCX. A plugin's ``register_document_helpers`` adds
more by name (``extra``); a name that is already taken is a startup error. A field of the same name as a helper hides the
helper in that table's templates.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any, Callable

import barcode as barcodes
import segno
from barcode.errors import BarcodeError
from barcode.writer import ImageWriter, SVGWriter
from markupsafe import Markup

from cardfile.formula.words import WordsError, amount_words

from .context import EMPTY, Attachment, Hidden, Session, Value, unwrap
from .sandbox import TemplateRenderFailed

BARCODES = ("ean13", "code128")
MAX_CODE_TEXT = 500


class HelperError(TemplateRenderFailed):
    """A helper was called with something it cannot use."""


def _passthrough(value) -> bool:
    return isinstance(value, Hidden) or value is EMPTY


def bind(session: Session, files: Callable[[str], tuple[bytes, str]] | None = None,
         extra: dict | None = None) -> dict[str, Callable]:
    """The helpers for one document (``files(sha256) -> (bytes, media type)`` reads images)."""
    fmt = session.fmt

    def words(amount, cents: str = "digits", language: str | None = None, currency: str | None = None):
        if _passthrough(amount):
            return amount
        if unwrap(amount) in (None, ""):  # an empty amount, like format_money(), prints nothing
            return ""
        code = currency or (amount.currency if isinstance(amount, Value) else None)
        if not code:
            raise HelperError("words() needs a currency: use it on a money field, or give currency=\"EUR\".")
        try:
            return amount_words(unwrap(amount), code, language or fmt.language, cents=cents)
        except WordsError as exc:
            raise HelperError(f"words(): {exc}") from None

    def money(amount, currency: str | None = None, symbol: bool = True):
        if _passthrough(amount):
            return amount
        code = currency or (amount.currency if isinstance(amount, Value) else None)
        return fmt.money(unwrap(amount), code, symbol=symbol)

    def number(value, places: int | None = None):
        return value if _passthrough(value) else fmt.number(unwrap(value), places)

    def date(value, style: str = "long"):
        return value if _passthrough(value) else fmt.date(unwrap(value), str(style))

    def qr(text, size: float = 30):
        if _passthrough(text):
            return text
        content = str(unwrap(text) if not isinstance(text, str) else text)[:2000]
        if not content:
            return ""
        code = segno.make(content, error="m", micro=False)
        if session.kind == "html":
            return _img(code.svg_data_uri(scale=1, border=0, xmldecl=False), size, size, "qr")
        out = io.BytesIO()
        code.save(out, kind="png", scale=12, border=0)
        return session.image(out.getvalue(), "image/png", size, size)

    def barcode(text, kind: str = "ean13", width: float = 40, height: float = 15):
        if _passthrough(text):
            return text
        content = str(unwrap(text) if not isinstance(text, str) else text).strip()
        if not content:
            return ""
        if kind not in BARCODES:
            raise HelperError(f"barcode(): kind is one of {', '.join(BARCODES)}, not {kind!r}.")
        content = _checked_code(content, kind)
        try:
            if session.kind == "html":
                svg = barcodes.get(kind, content, writer=SVGWriter()).render(_BAR_OPTIONS)
                return _img("data:image/svg+xml;base64," + base64.b64encode(svg).decode(), width, height, "barcode")
            picture = barcodes.get(kind, content, writer=ImageWriter()).render({**_BAR_OPTIONS, "dpi": 300})
        except BarcodeError as exc:
            raise HelperError(f"barcode(): {content!r} cannot be a {kind} code: {exc}") from None
        out = io.BytesIO()
        picture.save(out, format="PNG")
        return session.image(out.getvalue(), "image/png", width, height)

    def image(file, width: float | None = None, height: float | None = None):
        if _passthrough(file) or not file:
            return ""
        if not isinstance(file, Attachment):
            raise HelperError("image() draws an image field, or company.logo / company.stamp.")
        if files is None:
            return ""
        data, media = files(file.sha256)
        if not media.startswith("image/"):
            raise HelperError(f"image(): {file.name!r} is not an image.")
        if session.kind == "html":
            return _img(f"data:{media};base64," + base64.b64encode(data).decode(), width, height, "image")
        return session.image(data, media, width, height)

    helpers = {"words": words, "format_money": money, "format_number": number, "format_date": date, "qr": qr,
               "barcode": barcode, "image": image}
    for name, function in (extra or {}).items():
        helpers.setdefault(name, function)
    return helpers


HELPER_NAMES = ("words", "format_money", "format_number", "format_date", "qr", "barcode", "image")
_BAR_OPTIONS = {"module_height": 12.0, "font_size": 8, "text_distance": 3.0, "quiet_zone": 2.0}


def _checked_code(text: str, kind: str) -> str:
    if len(text) > MAX_CODE_TEXT:
        raise HelperError(f"barcode(): the text is longer than {MAX_CODE_TEXT} characters.")
    if kind != "ean13":
        return text
    if not re.fullmatch(r"\d{12,13}", text):
        raise HelperError(f"barcode(): an EAN-13 code is 12 or 13 digits, not {text!r}.")
    digits = [int(c) for c in text[:12]]
    check = (10 - (sum(digits[0::2]) + 3 * sum(digits[1::2])) % 10) % 10
    if len(text) == 13 and int(text[12]) != check:
        raise HelperError(f"barcode(): {text} has a wrong check digit (the last digit should be {check}).")
    return text[:12]


def _img(src: str, width: float | None, height: float | None, css_class: str) -> Markup:
    style = ";".join(f"{k}:{float(v):g}mm" for k, v in (("width", width), ("height", height)) if v)
    return Markup('<img class="cf-{}" src="{}" style="{}" alt="">').format(css_class, src, style)

