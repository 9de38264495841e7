"""Currency word forms, kept as data: per language, the unit and the cents (subunit) word.

Slavic languages (``ru``, ``uk``) give three forms — for 1 (21, 101 …), for 2–4 (22 …) and
for 5–20 (11–14, 25 …) — and the noun's gender, which decides "один/одна", "два/две".
Romanian gives the singular, the plural and the gender ("un leu", "o rublă", "două
ruble"); English the singular and the plural; Armenian one form (a noun after a numeral
stays singular: "հինգ դրամ").

Sources: the national banks' names of the currencies (Банк России, НБУ, BNM, BNR, ЦБ РА),
the Russian and Ukrainian orthographic dictionaries (рубль — рубля — рублей; гривня —
гривні — гривень), DEX for Romanian (leu, pl. lei; rublă, pl. ruble), and accounting
usage in 1C print forms ("одна тысяча двести рублей 50 копеек").
"""

from __future__ import annotations

M, F, N = "m", "f", "n"

#: language -> currency -> ((unit forms…), unit gender, (cents forms…), cents gender)
FORMS: dict[str, dict[str, tuple]] = {
    "ru": {
        "RUB": (("рубль", "рубля", "рублей"), M, ("копейка", "копейки", "копеек"), F),
        "UAH": (("гривна", "гривны", "гривен"), F, ("копейка", "копейки", "копеек"), F),
        "EUR": (("евро", "евро", "евро"), M, ("цент", "цента", "центов"), M),
        "USD": (("доллар", "доллара", "долларов"), M, ("цент", "цента", "центов"), M),
        "MDL": (("лей", "лея", "леев"), M, ("бан", "бана", "банов"), M),
        "RON": (("лей", "лея", "леев"), M, ("бан", "бана", "банов"), M),
        "AMD": (("драм", "драма", "драмов"), M, ("лума", "лумы", "лум"), F),
    },
    "uk": {
        "UAH": (("гривня", "гривні", "гривень"), F, ("копійка", "копійки", "копійок"), F),
        "RUB": (("рубль", "рублі", "рублів"), M, ("копійка", "копійки", "копійок"), F),
        "EUR": (("євро", "євро", "євро"), M, ("цент", "центи", "центів"), M),
        "USD": (("долар", "долари", "доларів"), M, ("цент", "центи", "центів"), M),
        "MDL": (("лей", "леї", "леїв"), M, ("бан", "бани", "банів"), M),
        "RON": (("лей", "леї", "леїв"), M, ("бан", "бани", "банів"), M),
        "AMD": (("драм", "драми", "драмів"), M, ("лума", "луми", "лум"), F),
    },
    "ro": {
        "MDL": (("leu", "lei"), M, ("ban", "bani"), M),
        "RON": (("leu", "lei"), M, ("ban", "bani"), M),
        "EUR": (("euro", "euro"), M, ("cent", "cenți"), M),
        "USD": (("dolar", "dolari"), M, ("cent", "cenți"), M),
        "RUB": (("rublă", "ruble"), F, ("copeică", "copeici"), F),
        "UAH": (("grivnă", "grivne"), F, ("copeică", "copeici"), F),
        "AMD": (("dram", "drami"), M, ("luma", "lume"), F),
    },
    "en": {
        "EUR": (("euro", "euros"), M, ("cent", "cents"), M),
        "USD": (("dollar", "dollars"), M, ("cent", "cents"), M),
        "RUB": (("rouble", "roubles"), M, ("kopeck", "kopecks"), M),
        "UAH": (("hryvnia", "hryvnias"), F, ("kopiyka", "kopiykas"), F),
        "MDL": (("leu", "lei"), M, ("ban", "bani"), M),
        "RON": (("leu", "lei"), M, ("ban", "bani"), M),
        "AMD": (("dram", "drams"), M, ("luma", "lumas"), M),
    },
    "hy": {
        "AMD": (("դրամ",), M, ("լումա",), M),
        "RUB": (("ռուբլի",), M, ("կոպեկ",), M),
        "UAH": (("գրիվնա",), M, ("կոպեկ",), M),
        "EUR": (("եվրո",), M, ("ցենտ",), M),
        "USD": (("դոլար",), M, ("ցենտ",), M),
        "MDL": (("լեյ",), M, ("բան",), M),
        "RON": (("լեյ",), M, ("բան",), M),
    },
}

MINUS = {"ru": "минус", "uk": "мінус", "ro": "minus", "en": "minus", "hy": "մինուս"}
AND = {"en": "and"}  # English joins the cents with "and"
