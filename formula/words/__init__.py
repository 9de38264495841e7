"""Amounts and numbers in words ("одна тысяча двести рублей 50 копеек").

    amount_words(amount, currency, lang, cents="digits", capital=True)
    number_words(n, lang, gender)          whole numbers, agreeing with the counted noun

Languages: en, ru, uk, ro, hy; currencies: RUB, UAH, EUR, USD, MDL, RON, AMD. The word
forms of the currencies are data (``forms.py``); the numbers are small tables per
language (``numbers.py``); English numbers come from num2words.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..rounding import quantize

from .forms import AND, FORMS, MINUS
from .numbers import LANGUAGES, MAX, number_words, romanian_de, slavic_form

CURRENCIES = ("RUB", "UAH", "EUR", "USD", "MDL", "RON", "AMD")
CENTS_STYLES = ("digits", "words", "none")


class WordsError(ValueError):
    """An amount, language or currency that cannot be written in words."""


def _noun(lang: str, n: int, forms: tuple) -> str:
    if lang in ("ru", "uk"):
        return slavic_form(n, forms)
    if lang == "hy":
        return forms[0]
    word = forms[0] if n == 1 else forms[1]
    if lang == "ro" and romanian_de(n):
        return "de " + word
    return word


def _counted(lang: str, n: int, forms: tuple, gender: str, as_words: bool) -> str:
    number = number_words(n, lang, gender) if as_words else str(n)
    if lang == "ro" and not as_words and n == 1:
        number = "1"
    return f"{number} {_noun(lang, n, forms)}"


def amount_words(amount, currency: str, lang: str = "en", cents: str = "digits", capital: bool = True) -> str:
    """The amount in words with its currency; cents as two digits (1C style), in words, or
    left out. ``amount`` is rounded half up to cents."""
    lang = (lang or "en").lower().split("-")[0].split("_")[0]
    if lang not in FORMS:
        raise WordsError(f"no amount in words for language {lang!r}; known: {', '.join(LANGUAGES)}")
    currency = (currency or "").upper()
    if currency not in FORMS[lang]:
        raise WordsError(f"no words for currency {currency!r}; known: {', '.join(CURRENCIES)}")
    if cents not in CENTS_STYLES:
        raise WordsError(f"cents is one of {', '.join(CENTS_STYLES)}, not {cents!r}")
    try:
        value = quantize(Decimal(str(amount)), 2)
    except (InvalidOperation, ValueError):
        raise WordsError(f"{amount!r} is not an amount") from None
    negative = value < 0
    whole, fraction = divmod(abs(value) * 100, 100)
    whole, fraction = int(whole), int(fraction)
    if whole > MAX:
        raise WordsError(f"{amount} is too large to write in words")
    units, unit_gender, subunits, sub_gender = FORMS[lang][currency]
    text = _counted(lang, whole, units, unit_gender, True)
    if cents != "none":
        part = (_counted(lang, fraction, subunits, sub_gender, True) if cents == "words"
                else f"{fraction:02d} {_noun(lang, fraction, subunits)}")
        text = f"{text} {AND[lang]} {part}" if lang in AND else f"{text} {part}"
    if negative:
        text = f"{MINUS[lang]} {text}"
    return text[:1].upper() + text[1:] if capital else text


__all__ = ["CENTS_STYLES", "CURRENCIES", "LANGUAGES", "WordsError", "amount_words", "number_words"]
