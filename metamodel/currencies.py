"""Currency codes, and the signs and words people write for them.

* A **code** is an ISO 4217 code from Babel's list (``babel.numbers.list_currencies()``):
  ``is_code("RUB")``; ``"XYZ"`` or ``"РУБ"`` are not codes.
* A **sign** is what a person or a spreadsheet writes next to an amount: ``₽``, ``руб.``,
  ``р.``, ``грн``, ``lei``, ``֏``, ``$``, ``€``, ``usd``. :func:`resolve` turns a sign into a
  code, per locale: ``lei`` is RON in Romania and MDL in Moldova, ``$`` is USD unless the
  locale's country uses another dollar, ``р.`` is RUB in Russia and BYN in Belarus. When a
  sign could mean several currencies and nothing decides (no locale, the field's currency is
  none of them), it is an error naming them, never a guess.
* :func:`split_amount` takes ``"1 234,56 руб."``, ``"€ 100"``, ``"-$5"`` or ``"100 USD"``
  apart into the amount text and the sign.

What decides among several meanings, in order: the ``expected`` currency (a money field's
own currency, when it is one of them), then the currency of the locale's country, then the
only candidate. Everything unknown raises :class:`UnknownCurrency`, a ``ValueError`` whose
message says what was written.

Import rule: Babel only; no database, no Flask.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_territory_currencies, list_currencies


class UnknownCurrency(ValueError):
    """A currency code or sign that is not known, or is ambiguous."""


#: Words and signs by currency (matched case-insensitively, a trailing dot optional).
WORDS: dict[str, tuple[str, ...]] = {
    "RUB": ("₽", "руб", "р", "рубль", "рубля", "рублей", "rub", "rubles", "roubles", "rbl"),
    "BYN": ("br", "бел. руб", "бел.руб", "р", "руб"),
    "UAH": ("₴", "грн", "гривна", "гривня", "гривны", "гривні", "гривень", "hrn", "hryvnia"),
    "MDL": ("lei", "leu", "лей", "лея", "леев", "l"),
    "RON": ("lei", "leu", "ron"),
    "AMD": ("֏", "դր", "դրամ", "драм", "драма", "драмов", "dram"),
    "EUR": ("€", "евро", "euro", "euros", "євро", "eur"),
    "USD": ("$", "us$", "usd", "долл", "доллар", "доллара", "долларов", "долар", "доларів",
            "dollar", "dollars", "dolari"),
    "CAD": ("$", "ca$", "c$"), "AUD": ("$", "a$", "au$"), "NZD": ("$", "nz$"),
    "MXN": ("$", "mx$"), "SGD": ("$", "s$"), "HKD": ("$", "hk$"),
    "GBP": ("£",), "JPY": ("¥", "円"), "CNY": ("¥", "元", "юань", "юаней"),
    "KZT": ("₸", "тг", "тенге"), "GEL": ("₾", "лари"), "AZN": ("₼", "манат"),
    "TRY": ("₺",), "PLN": ("zł", "zl"), "CZK": ("kč",), "CHF": ("fr", "chf"),
    "ILS": ("₪",), "INR": ("₹",), "KRW": ("₩",),
}
#: A sign's usual meaning when nothing else decides (``$`` alone is the US dollar).
USUAL = {"$": "USD", "¥": "JPY", "руб": "RUB", "р": "RUB"}
_SIGN_EDGE = re.compile(r"^[\s\u00a0\u202f]+|[\s\u00a0\u202f]+$")
_NUMBER_CHARS = set("0123456789.,-+()' \u00a0\u202f−")


@lru_cache(maxsize=1)
def codes() -> frozenset[str]:
    """Every ISO 4217 code Babel knows."""
    return frozenset(list_currencies())


def is_code(text: str) -> bool:
    return isinstance(text, str) and text in codes()


def _key(sign: str) -> str:
    text = unicodedata.normalize("NFKC", sign).strip().casefold()
    text = re.sub(r"[\s\u00a0\u202f]+", " ", text)
    return text[:-1].rstrip() if text.endswith(".") and len(text) > 1 else text


@lru_cache(maxsize=1)
def _by_word() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for code, words in WORDS.items():
        for word in words:
            found.setdefault(_key(word), []).append(code)
    return {word: tuple(dict.fromkeys(codes_)) for word, codes_ in found.items()}


@lru_cache(maxsize=64)
def _locale(name: str | None) -> Locale | None:
    if not name:
        return None
    try:
        locale = Locale.parse(str(name).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return locale


@lru_cache(maxsize=64)
def _home_currencies(name: str | None) -> tuple[str, ...]:
    """The currencies in use in the locale's country (``ro`` → RON, ``ro_MD`` → MDL)."""
    locale = _locale(name)
    if locale is None:
        return ()
    territory = locale.territory
    if not territory:
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = likely.split("_")[-1] if likely.count("_") else None
    if not territory:
        return ()
    try:
        return tuple(get_territory_currencies(territory))
    except Exception:  # noqa: BLE001 - Babel knows no such territory: nothing decides
        return ()


@lru_cache(maxsize=64)
def _locale_signs(name: str | None) -> dict[str, tuple[str, ...]]:
    """Babel's currency symbols in the locale (``CA$``, ``US$``, ``Br``), reversed."""
    locale = _locale(name)
    if locale is None:
        return {}
    found: dict[str, list[str]] = {}
    for code, symbol in locale.currency_symbols.items():
        if symbol and symbol != code and code in codes():
            found.setdefault(_key(symbol), []).append(code)
    return {sign: tuple(c) for sign, c in found.items()}


def candidates(sign: str, locale: str | None = None) -> tuple[str, ...]:
    """Every code ``sign`` may stand for (a code stands for itself)."""
    text = _SIGN_EDGE.sub("", str(sign or ""))
    if not text:
        return ()
    upper = text.upper()
    if len(upper) == 3 and upper.isascii() and upper.isalpha() and upper in codes():
        return (upper,)
    key = _key(text)
    found = list(_by_word().get(key, ()))
    for code in _locale_signs(locale).get(key, ()):
        if code not in found:
            found.append(code)
    return tuple(found)


def resolve(sign: str, locale: str | None = None, expected: str | None = None) -> str:
    """The ISO code ``sign`` stands for; :class:`UnknownCurrency` if none or undecided."""
    text = _SIGN_EDGE.sub("", str(sign or ""))
    found = candidates(text, locale)
    if not found:
        upper = text.upper()
        if len(upper) == 3 and upper.isascii() and upper.isalpha():
            raise UnknownCurrency(f"{text!r} is not an ISO 4217 currency code")
        raise UnknownCurrency(f"{text!r} is not a currency sign or code this knows: write the "
                              "ISO code (EUR, USD, RUB…)")
    if len(found) == 1:
        return found[0]
    if expected in found:
        return expected
    home = [code for code in _home_currencies(locale) if code in found]
    if home:
        return home[0]
    usual = USUAL.get(_key(text))
    if usual is not None:
        return usual
    raise UnknownCurrency(f"{text!r} can be {' or '.join(found)}: write the ISO code")


def split_amount(text: str) -> tuple[str, str | None]:
    """``"1 234,56 руб."`` → ``("1 234,56", "руб.")``; ``"€ 100"`` → ``("100", "€")``;
    ``"-$5"`` → ``("-5", "$")``; ``"12.50"`` → ``("12.50", None)``.

    The sign is the run of non-number characters before or after the amount; a text with
    letters on both sides, or in the middle, keeps them in the amount (which then fails to
    read as a number, as it should)."""
    value = str(text).strip()
    match = re.fullmatch(r"([+\-−]?)\s*([^\d\s.,+\-−()][^\d]*?)\s*([+\-−]?[\d(][\d\s.,'\u00a0\u202f()]*)",
                         value)
    if match is not None and not any(ch.isdigit() for ch in match.group(2)):
        sign, currency, amount = match.groups()
        return (sign + amount.strip()).replace("−", "-"), currency.strip()
    match = re.fullmatch(r"([+\-−(]?[\d.,][\d\s.,'\u00a0\u202f]*\)?)\s*([^\d\s.,()][^\d]*)", value)
    if match is not None:
        amount, currency = match.groups()
        return amount.strip().replace("−", "-"), currency.strip()
    return value, None


__all__ = ["UnknownCurrency", "WORDS", "candidates", "codes", "is_code", "resolve",
           "split_amount"]
