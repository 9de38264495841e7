"""Whole numbers in words, with the gender of what is counted, for ru, uk, ro, hy and en.

Russian, Ukrainian, Romanian and Armenian are written here as small tables (num2words
lacks Armenian and the gender of Romanian numerals); English comes from num2words.
Numbers up to 999 999 999 999 999 (below a quadrillion).
"""

from __future__ import annotations

from num2words import num2words

MAX = 10**15 - 1

# --- Russian and Ukrainian ------------------------------------------------------------------
_SLAVIC = {
    "ru": {
        "zero": "ноль",
        "ones": ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"),
        "ones_f": ("", "одна", "две"),
        "ones_n": ("", "одно", "два"),
        "teens": ("десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
                  "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать"),
        "tens": ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят",
                 "восемьдесят", "девяносто"),
        "hundreds": ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот",
                     "восемьсот", "девятьсот"),
        "groups": ((("тысяча", "тысячи", "тысяч"), "f"), (("миллион", "миллиона", "миллионов"), "m"),
                   (("миллиард", "миллиарда", "миллиардов"), "m"), (("триллион", "триллиона", "триллионов"), "m")),
    },
    "uk": {
        "zero": "нуль",
        "ones": ("", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять"),
        "ones_f": ("", "одна", "дві"),
        "ones_n": ("", "одне", "два"),
        "teens": ("десять", "одинадцять", "дванадцять", "тринадцять", "чотирнадцять", "п'ятнадцять",
                  "шістнадцять", "сімнадцять", "вісімнадцять", "дев'ятнадцять"),
        "tens": ("", "", "двадцять", "тридцять", "сорок", "п'ятдесят", "шістдесят", "сімдесят",
                 "вісімдесят", "дев'яносто"),
        "hundreds": ("", "сто", "двісті", "триста", "чотириста", "п'ятсот", "шістсот", "сімсот",
                     "вісімсот", "дев'ятсот"),
        "groups": ((("тисяча", "тисячі", "тисяч"), "f"), (("мільйон", "мільйони", "мільйонів"), "m"),
                   (("мільярд", "мільярди", "мільярдів"), "m"), (("трильйон", "трильйони", "трильйонів"), "m")),
    },
}


def slavic_form(n: int, forms: tuple) -> str:
    """The noun form after ``n``: 1 (21, 101…), 2–4 (22…), else the third (5–20, 11–14…)."""
    if len(forms) == 1:
        return forms[0]
    last2, last = n % 100, n % 10
    if last == 1 and last2 != 11:
        return forms[0]
    if 2 <= last <= 4 and not 12 <= last2 <= 14:
        return forms[1]
    return forms[2]


def _slavic_triple(t: dict, n: int, gender: str) -> list[str]:
    words = []
    h, rest = divmod(n, 100)
    if h:
        words.append(t["hundreds"][h])
    if 10 <= rest <= 19:
        words.append(t["teens"][rest - 10])
        return words
    tens, ones = divmod(rest, 10)
    if tens:
        words.append(t["tens"][tens])
    if ones:
        table = {"f": t["ones_f"], "n": t["ones_n"]}.get(gender)
        words.append(table[ones] if table is not None and ones <= 2 else t["ones"][ones])
    return words


def slavic(n: int, gender: str, lang: str) -> str:
    t = _SLAVIC[lang]
    if n == 0:
        return t["zero"]
    words = []
    groups = _groups(n)
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if not value:
            continue
        if index == 0:
            words += _slavic_triple(t, value, gender)
        else:
            forms, group_gender = t["groups"][index - 1]
            words += _slavic_triple(t, value, group_gender)
            words.append(slavic_form(value, forms))
    return " ".join(words)


# --- Romanian -------------------------------------------------------------------------------
_RO_ONES = ("", "unu", "doi", "trei", "patru", "cinci", "șase", "șapte", "opt", "nouă")
_RO_TEENS = ("zece", "unsprezece", "doisprezece", "treisprezece", "paisprezece", "cincisprezece",
             "șaisprezece", "șaptesprezece", "optsprezece", "nouăsprezece")
_RO_TENS = ("", "", "douăzeci", "treizeci", "patruzeci", "cincizeci", "șaizeci", "șaptezeci", "optzeci",
            "nouăzeci")
#: (group word singular, plural, gender of the group word)
_RO_GROUPS = (("mie", "mii", "f"), ("milion", "milioane", "n"), ("miliard", "miliarde", "n"),
              ("trilion", "trilioane", "n"))


def romanian_de(n: int) -> bool:
    """Romanian puts "de" between a numeral and its noun when the last two digits are 00 or
    20–99 ("douăzeci de lei", "o sută de lei", but "o sută unu lei", "doi lei")."""
    return n != 0 and (n % 100 == 0 or n % 100 >= 20)


def _ro_small(n: int, gender: str, before_noun: bool) -> list[str]:
    """0 < n < 1000; gender "f" (and "n" in the plural) takes "una/două"."""
    words = []
    h, rest = divmod(n, 100)
    if h == 1:
        words.append("o sută")
    elif h:
        words.append(("două" if h == 2 else _RO_ONES[h]) + " sute")
    if not rest:
        return words
    fem = gender in ("f", "n")
    if rest < 10:
        if rest == 1:
            if h:  # "o sută unu lei", "o sută una ruble"
                words.append("una" if gender == "f" else "unu")
            else:
                words.append(({"f": "o", "n": "un"}.get(gender, "un") if before_noun else
                              ("una" if gender == "f" else "unu")))
        elif rest == 2:
            words.append("două" if fem else "doi")
        else:
            words.append(_RO_ONES[rest])
    elif rest < 20:
        words.append("douăsprezece" if rest == 12 and fem else _RO_TEENS[rest - 10])
    else:
        tens, ones = divmod(rest, 10)
        if ones == 0:
            words.append(_RO_TENS[tens])
        else:
            unit = {1: "una" if gender == "f" else "unu", 2: "două" if fem else "doi"}.get(ones, _RO_ONES[ones])
            words.append(f"{_RO_TENS[tens]} și {unit}")
    return words


def romanian(n: int, gender: str, before_noun: bool = True) -> str:
    if n == 0:
        return "zero"
    words = []
    groups = _groups(n)
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if not value:
            continue
        if index == 0:
            words += _ro_small(value, gender, before_noun)
            continue
        singular, plural, group_gender = _RO_GROUPS[index - 1]
        if value == 1:
            words.append(("o " if group_gender == "f" else "un ") + singular)
        else:
            words += _ro_small(value, "f", True)
            words.append(("de " if romanian_de(value) else "") + plural)
    return " ".join(words)


# --- Armenian (Eastern) -----------------------------------------------------------------------
_HY_ONES = ("", "մեկ", "երկու", "երեք", "չորս", "հինգ", "վեց", "յոթ", "ութ", "ինը")
_HY_TEENS = ("տասը", "տասնմեկ", "տասներկու", "տասներեք", "տասնչորս", "տասնհինգ", "տասնվեց", "տասնյոթ",
             "տասնութ", "տասնինը")
_HY_TENS = ("", "", "քսան", "երեսուն", "քառասուն", "հիսուն", "վաթսուն", "յոթանասուն", "ութսուն", "իննսուն")
_HY_GROUPS = ("հազար", "միլիոն", "միլիարդ", "տրիլիոն")


def _hy_small(n: int) -> list[str]:
    words = []
    h, rest = divmod(n, 100)
    if h:
        words.append("հարյուր" if h == 1 else f"{_HY_ONES[h]} հարյուր")
    if 10 <= rest <= 19:
        words.append(_HY_TEENS[rest - 10])
    elif rest:
        tens, ones = divmod(rest, 10)
        words.append(_HY_TENS[tens] + _HY_ONES[ones])  # written as one word: քսանմեկ
    return words


def armenian(n: int) -> str:
    if n == 0:
        return "զրո"
    words = []
    groups = _groups(n)
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if not value:
            continue
        if index == 0:
            words += _hy_small(value)
        elif index == 1 and value == 1:
            words.append(_HY_GROUPS[0])  # "հազար", not "մեկ հազար"
        else:
            words += _hy_small(value)
            words.append(_HY_GROUPS[index - 1])
    return " ".join(words)


# --- all languages ---------------------------------------------------------------------------
def _groups(n: int) -> list[int]:
    groups = []
    while n:
        n, rest = divmod(n, 1000)
        groups.append(rest)
    return groups


LANGUAGES = ("en", "ru", "uk", "ro", "hy")


def number_words(n: int, lang: str, gender: str = "m") -> str:
    """``n`` (0 ≤ n < 10**15) in words, agreeing with a noun of ``gender`` (m, f or n)."""
    if n < 0 or n > MAX:
        raise ValueError(f"{n} is outside 0 … {MAX}")
    if lang in _SLAVIC:
        return slavic(n, gender, lang)
    if lang == "ro":
        return romanian(n, gender)
    if lang == "hy":
        return armenian(n)
    if lang == "en":
        return num2words(n, lang="en").replace(",", "")  # "one thousand two hundred"
    raise ValueError(f"no number words for language {lang!r}; known: {', '.join(LANGUAGES)}")
