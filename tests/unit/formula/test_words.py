"""Amounts in words: a table per language × currency, written out by hand.

Each language has the numerals for 0, 1, 2, 5, 11, 21, 101, 1 000 and 1 000 000 in the
masculine and the feminine, and each currency the form of its noun after each of those
numbers; every amount is checked as ``numeral + noun + cents``. Sources for the forms:

* Russian: agreement of numerals with nouns (1 / 2–4 / 5–20, 11–14) and the feminine
  "одна, две" — Розенталь, «Справочник по правописанию и литературной правке», §§ on
  numerals; currency names as used in 1C print forms ("Сумма прописью") and by Банк России.
* Ukrainian: «Український правопис» (2019) and the НБУ's names: гривня — гривні — гривень,
  копійка — копійки — копійок; одна/дві for feminine nouns.
* Romanian: DEX / DOOM for the plurals (leu — lei, ban — bani, rublă — ruble), and the
  Academy grammar (GALR) rule that "de" stands between a numeral and its noun when the
  number's last two digits are 00 or 20–99 ("douăzeci de lei", "o sută unu lei").
* Armenian (Eastern): numerals as in Dum-Tragut, *Armenian: Modern Eastern Armenian* (2009):
  tens and units written together (քսանմեկ), "հարյուր" and "հազար" without "մեկ", the noun
  singular after a numeral (հինգ դրամ).
* English: num2words' cardinals ("one hundred and one"), plural nouns after any number but one.
"""

from __future__ import annotations

import pytest

from cardfile.formula.words import WordsError, amount_words

VALUES = [0, 1, 2, 5, 11, 21, 101, 1000, 1_000_000]

NUMERALS = {  # language -> gender -> numeral for each of VALUES
    "ru": {"m": ["ноль", "один", "два", "пять", "одиннадцать", "двадцать один", "сто один", "одна тысяча",
                 "один миллион"],
           "f": ["ноль", "одна", "две", "пять", "одиннадцать", "двадцать одна", "сто одна", "одна тысяча",
                 "один миллион"]},
    "uk": {"m": ["нуль", "один", "два", "п'ять", "одинадцять", "двадцять один", "сто один", "одна тисяча",
                 "один мільйон"],
           "f": ["нуль", "одна", "дві", "п'ять", "одинадцять", "двадцять одна", "сто одна", "одна тисяча",
                 "один мільйон"]},
    "ro": {"m": ["zero", "un", "doi", "cinci", "unsprezece", "douăzeci și unu", "o sută unu", "o mie", "un milion"],
           "f": ["zero", "o", "două", "cinci", "unsprezece", "douăzeci și una", "o sută una", "o mie", "un milion"]},
    "en": {"m": ["zero", "one", "two", "five", "eleven", "twenty-one", "one hundred and one", "one thousand",
                 "one million"]},
    "hy": {"m": ["զրո", "մեկ", "երկու", "հինգ", "տասնմեկ", "քսանմեկ", "հարյուր մեկ", "հազար", "մեկ միլիոն"]},
}
NOUNS = {  # language -> currency -> (gender, noun after each of VALUES)
    "ru": {
        "RUB": ("m", ["рублей", "рубль", "рубля", "рублей", "рублей", "рубль", "рубль", "рублей", "рублей"]),
        "UAH": ("f", ["гривен", "гривна", "гривны", "гривен", "гривен", "гривна", "гривна", "гривен", "гривен"]),
        "EUR": ("m", ["евро"] * 9),
        "USD": ("m", ["долларов", "доллар", "доллара", "долларов", "долларов", "доллар", "доллар", "долларов",
                      "долларов"]),
        "MDL": ("m", ["леев", "лей", "лея", "леев", "леев", "лей", "лей", "леев", "леев"]),
        "RON": ("m", ["леев", "лей", "лея", "леев", "леев", "лей", "лей", "леев", "леев"]),
        "AMD": ("m", ["драмов", "драм", "драма", "драмов", "драмов", "драм", "драм", "драмов", "драмов"]),
    },
    "uk": {
        "UAH": ("f", ["гривень", "гривня", "гривні", "гривень", "гривень", "гривня", "гривня", "гривень", "гривень"]),
        "RUB": ("m", ["рублів", "рубль", "рублі", "рублів", "рублів", "рубль", "рубль", "рублів", "рублів"]),
        "EUR": ("m", ["євро"] * 9),
        "USD": ("m", ["доларів", "долар", "долари", "доларів", "доларів", "долар", "долар", "доларів", "доларів"]),
        "MDL": ("m", ["леїв", "лей", "леї", "леїв", "леїв", "лей", "лей", "леїв", "леїв"]),
        "RON": ("m", ["леїв", "лей", "леї", "леїв", "леїв", "лей", "лей", "леїв", "леїв"]),
        "AMD": ("m", ["драмів", "драм", "драми", "драмів", "драмів", "драм", "драм", "драмів", "драмів"]),
    },
    "ro": {
        "MDL": ("m", ["lei", "leu", "lei", "lei", "lei", "de lei", "lei", "de lei", "de lei"]),
        "RON": ("m", ["lei", "leu", "lei", "lei", "lei", "de lei", "lei", "de lei", "de lei"]),
        "EUR": ("m", ["euro", "euro", "euro", "euro", "euro", "de euro", "euro", "de euro", "de euro"]),
        "USD": ("m", ["dolari", "dolar", "dolari", "dolari", "dolari", "de dolari", "dolari", "de dolari", "de dolari"]),
        "RUB": ("f", ["ruble", "rublă", "ruble", "ruble", "ruble", "de ruble", "ruble", "de ruble", "de ruble"]),
        "UAH": ("f", ["grivne", "grivnă", "grivne", "grivne", "grivne", "de grivne", "grivne", "de grivne",
                      "de grivne"]),
        "AMD": ("m", ["drami", "dram", "drami", "drami", "drami", "de drami", "drami", "de drami", "de drami"]),
    },
    "en": {
        "EUR": ("m", ["euros", "euro", "euros", "euros", "euros", "euros", "euros", "euros", "euros"]),
        "USD": ("m", ["dollars", "dollar", "dollars", "dollars", "dollars", "dollars", "dollars", "dollars", "dollars"]),
        "RUB": ("m", ["roubles", "rouble", "roubles", "roubles", "roubles", "roubles", "roubles", "roubles", "roubles"]),
        "UAH": ("m", ["hryvnias", "hryvnia", "hryvnias", "hryvnias", "hryvnias", "hryvnias", "hryvnias", "hryvnias",
                      "hryvnias"]),
        "MDL": ("m", ["lei", "leu", "lei", "lei", "lei", "lei", "lei", "lei", "lei"]),
        "RON": ("m", ["lei", "leu", "lei", "lei", "lei", "lei", "lei", "lei", "lei"]),
        "AMD": ("m", ["drams", "dram", "drams", "drams", "drams", "drams", "drams", "drams", "drams"]),
    },
    "hy": {code: ("m", [word] * 9) for code, word in (("AMD", "դրամ"), ("RUB", "ռուբլի"), ("UAH", "գրիվնա"),
                                                      ("EUR", "եվրո"), ("USD", "դոլար"), ("MDL", "լեյ"),
                                                      ("RON", "լեյ"))},
}
CENTS = [1, 2, 5, 11, 21]  # the cents of X.01, X.02, … and their noun (digits style)
CENT_NOUNS = {
    "ru": {"RUB": ["копейка", "копейки", "копеек", "копеек", "копейка"],
           "UAH": ["копейка", "копейки", "копеек", "копеек", "копейка"],
           "EUR": ["цент", "цента", "центов", "центов", "цент"], "USD": ["цент", "цента", "центов", "центов", "цент"],
           "MDL": ["бан", "бана", "банов", "банов", "бан"], "RON": ["бан", "бана", "банов", "банов", "бан"],
           "AMD": ["лума", "лумы", "лум", "лум", "лума"]},
    "uk": {"UAH": ["копійка", "копійки", "копійок", "копійок", "копійка"],
           "RUB": ["копійка", "копійки", "копійок", "копійок", "копійка"],
           "EUR": ["цент", "центи", "центів", "центів", "цент"], "USD": ["цент", "центи", "центів", "центів", "цент"],
           "MDL": ["бан", "бани", "банів", "банів", "бан"], "RON": ["бан", "бани", "банів", "банів", "бан"],
           "AMD": ["лума", "луми", "лум", "лум", "лума"]},
    "ro": {"MDL": ["ban", "bani", "bani", "bani", "de bani"], "RON": ["ban", "bani", "bani", "bani", "de bani"],
           "EUR": ["cent", "cenți", "cenți", "cenți", "de cenți"], "USD": ["cent", "cenți", "cenți", "cenți", "de cenți"],
           "RUB": ["copeică", "copeici", "copeici", "copeici", "de copeici"],
           "UAH": ["copeică", "copeici", "copeici", "copeici", "de copeici"],
           "AMD": ["luma", "lume", "lume", "lume", "de lume"]},
    "en": {"EUR": ["cent", "cents", "cents", "cents", "cents"], "USD": ["cent", "cents", "cents", "cents", "cents"],
           "RUB": ["kopeck", "kopecks", "kopecks", "kopecks", "kopecks"],
           "UAH": ["kopiyka", "kopiykas", "kopiykas", "kopiykas", "kopiykas"],
           "MDL": ["ban", "bani", "bani", "bani", "bani"], "RON": ["ban", "bani", "bani", "bani", "bani"],
           "AMD": ["luma", "lumas", "lumas", "lumas", "lumas"]},
    "hy": {code: [word] * 5 for code, word in (("AMD", "լումա"), ("RUB", "կոպեկ"), ("UAH", "կոպեկ"),
                                               ("EUR", "ցենտ"), ("USD", "ցենտ"), ("MDL", "բան"), ("RON", "բան"))},
}
ZERO_CENTS = {"ru": {"RUB": "копеек", "UAH": "копеек", "EUR": "центов", "USD": "центов", "MDL": "банов",
                     "RON": "банов", "AMD": "лум"},
              "uk": {"UAH": "копійок", "RUB": "копійок", "EUR": "центів", "USD": "центів", "MDL": "банів",
                     "RON": "банів", "AMD": "лум"},
              "ro": {"MDL": "bani", "RON": "bani", "EUR": "cenți", "USD": "cenți", "RUB": "copeici", "UAH": "copeici",
                     "AMD": "lume"},
              "en": {"EUR": "cents", "USD": "cents", "RUB": "kopecks", "UAH": "kopiykas", "MDL": "bani", "RON": "bani",
                     "AMD": "lumas"},
              "hy": {k: v[0] for k, v in CENT_NOUNS["hy"].items()}}

CASES = [(lang, code) for lang in NOUNS for code in NOUNS[lang]]


def phrase(lang: str, numeral: str, noun: str, cents: str) -> str:
    text = f"{numeral} {noun} {'and ' if lang == 'en' else ''}{cents}"
    return text[:1].upper() + text[1:]


@pytest.mark.parametrize("lang, code", CASES, ids=[f"{lang}-{code}" for lang, code in CASES])
def test_whole_amounts(lang, code):
    gender, nouns = NOUNS[lang][code]
    numerals = NUMERALS[lang].get(gender, NUMERALS[lang]["m"])
    for value, numeral, noun in zip(VALUES, numerals, nouns):
        expected = phrase(lang, numeral, noun, f"00 {ZERO_CENTS[lang][code]}")
        assert amount_words(value, code, lang) == expected, (value, expected)


@pytest.mark.parametrize("lang, code", CASES, ids=[f"{lang}-{code}" for lang, code in CASES])
def test_cents(lang, code):
    gender, nouns = NOUNS[lang][code]
    numeral = NUMERALS[lang].get(gender, NUMERALS[lang]["m"])[2]  # 2 units and some cents
    for cents, noun in zip(CENTS, CENT_NOUNS[lang][code]):
        expected = phrase(lang, numeral, nouns[2], f"{cents:02d} {noun}")
        assert amount_words(f"2.{cents:02d}", code, lang) == expected


@pytest.mark.parametrize("args, expected", [
    (("1200.50", "RUB", "ru"), "Одна тысяча двести рублей 50 копеек"),
    (("2000", "RUB", "ru"), "Две тысячи рублей 00 копеек"),
    (("5000", "RUB", "ru"), "Пять тысяч рублей 00 копеек"),
    (("2000000", "RUB", "ru"), "Два миллиона рублей 00 копеек"),
    (("1234567.89", "RUB", "ru"), "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей "
                                  "89 копеек"),
    (("2.02", "UAH", "uk"), "Дві гривні 02 копійки"),
    (("2000", "UAH", "uk"), "Дві тисячі гривень 00 копійок"),
    (("1021.21", "MDL", "ro"), "O mie douăzeci și unu de lei 21 de bani"),
    (("22", "RUB", "ro"), "Douăzeci și două de ruble 00 copeici"),
    (("12", "RUB", "ro"), "Douăsprezece ruble 00 copeici"),
    (("2000", "MDL", "ro"), "Două mii de lei 00 bani"),
    (("1500", "AMD", "hy"), "Հազար հինգ հարյուր դրամ 00 լումա"),
    (("21000", "AMD", "hy"), "Քսանմեկ հազար դրամ 00 լումա"),
    (("2000000.05", "USD", "en"), "Two million dollars and 05 cents"),
    (("1200", "EUR", "en"), "One thousand two hundred euros and 00 cents"),
    (("-5", "EUR", "ru"), "Минус пять евро 00 центов"),
    (("0.005", "RUB", "ru"), "Ноль рублей 01 копейка"),  # rounded half up to cents
])
def test_whole_phrases(args, expected):
    assert amount_words(*args) == expected


def test_cents_in_words_agree_with_their_gender():
    assert amount_words("1.21", "UAH", "ru", cents="words") == "Одна гривна двадцать одна копейка"
    assert amount_words("2.02", "USD", "ru", cents="words") == "Два доллара два цента"
    assert amount_words("1.01", "AMD", "uk", cents="words") == "Один драм одна лума"
    assert amount_words("2.02", "RUB", "ro", cents="words") == "Două ruble două copeici"
    assert amount_words("7", "RUB", "ru", cents="none", capital=False) == "семь рублей"


@pytest.mark.parametrize("args", [("1", "XYZ", "ru"), ("1", "RUB", "de"), ("ten", "RUB", "ru"),
                                  ("1e20", "RUB", "ru")])
def test_what_cannot_be_written_is_refused(args):
    with pytest.raises(WordsError):
        amount_words(*args)
