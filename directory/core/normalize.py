"""Normalising names, street addresses, cities, ZIPs and phones for matching and output.

Matching keys are lower-case ASCII with punctuation removed and the usual USPS
abbreviations spelled out, so ``401 N. Ashley Dr., Ste 200`` and ``401 North
Ashley Drive Suite 200`` compare equal.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_DIRECTIONS = {
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "ne": "northeast",
    "nw": "northwest",
    "se": "southeast",
    "sw": "southwest",
}
_SUFFIXES = {
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "rd": "road",
    "dr": "drive",
    "blvd": "boulevard",
    "hwy": "highway",
    "ln": "lane",
    "ct": "court",
    "pl": "place",
    "pkwy": "parkway",
    "pky": "parkway",
    "cir": "circle",
    "sq": "square",
    "ter": "terrace",
    "trl": "trail",
    "fwy": "freeway",
    "expy": "expressway",
    "tpke": "turnpike",
    "cres": "crescent",
    "aly": "alley",
    "plz": "plaza",
    "ctr": "center",
    "cntr": "center",
    "ext": "extension",
    "hts": "heights",
    "xing": "crossing",
    "rte": "route",
    "rt": "route",
    "mt": "mount",
    "ft": "fort",
    "bldg": "building",
    "ste": "suite",
    "fl": "floor",
    "flr": "floor",
    "rm": "room",
    "apt": "apartment",
    "dept": "department",
    "po": "po",
    "hosp": "hospital",
}
_UNITS = {"suite", "unit", "floor", "room", "apartment", "building", "department"}
_NAME_WORDS = {
    "svcs": "services",
    "svc": "service",
    "srvs": "services",
    "ctr": "center",
    "cntr": "center",
    "centre": "center",
    "hosp": "hospital",
    "assoc": "association",
    "dept": "department",
    "intl": "international",
    "natl": "national",
    "tx": "treatment",
    "trtmt": "treatment",
    "comm": "community",
    "cmty": "community",
    "hlth": "health",
    "bhvrl": "behavioral",
    "behavioural": "behavioral",
    "st": "saint",
    "mt": "mount",
    "ft": "fort",
    "co": "company",
    "&": "and",
}
_NAME_NOISE = {"inc", "llc", "pc", "pa", "corp", "corporation", "incorporated", "the", "ltd", "pllc"}
_PUNCT = re.compile(r"[^\w\s&#]")
_SPACE = re.compile(r"\s+")


def ascii_fold(text: str) -> str:
    """Strip accents and fold to lower case: ``"Peñuelas"`` → ``"penuelas"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """Lower-case ASCII word tokens, punctuation dropped (``#`` kept as a unit marker)."""
    text = ascii_fold(text).replace("#", " # ")
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).split()


def norm_street(text: str) -> str:
    """A matching key for a street address.

    >>> norm_street("401 N. Ashley Dr., Ste 200")
    '401 north ashley drive suite 200'
    >>> norm_street("600 St. Clair Ave")
    '600 saint clair avenue'
    """
    words = tokens(text)
    out: list[str] = []
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "#":
            out.append("unit")
        elif word in _DIRECTIONS:
            out.append(_DIRECTIONS[word])
        elif (
            word == "st"
            and nxt
            and nxt not in _SUFFIXES
            and nxt not in _UNITS
            and not nxt.isdigit()
            and i > 0
            and words[i - 1].isdigit()
        ):
            # "600 St Clair Ave": a St right after the house number is Saint.
            out.append("saint")
        elif word in _SUFFIXES:
            out.append(_SUFFIXES[word])
        else:
            out.append(word)
    return " ".join(out)


def norm_name(text: str) -> str:
    """A matching key for a facility name.

    >>> norm_name("Gateway Comm. Svcs, Inc.")
    'gateway community services'
    """
    words = [_NAME_WORDS.get(w, w) for w in tokens(text.replace("&", " and "))]
    return " ".join(w for w in words if w not in _NAME_NOISE)


def norm_city(text: str) -> str:
    """A matching key for a city: case, spacing, accents and St./Ft./Mt. ignored.

    >>> norm_city("St. Louis") == norm_city("saint  louis")
    True
    >>> norm_city("Ft Myers")
    'fort myers'
    """
    words = tokens(text)
    expand = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "point"}
    return " ".join(expand.get(w, w) for w in words)


def norm_county(text: str) -> str:
    """A matching key for a county, parish or borough: as a city's, without the word for what it is.

    >>> norm_county("St. Lucie County") == norm_county("saint lucie")
    True
    >>> norm_county("Orleans Parish")
    'orleans'
    """
    words = norm_city(text).split()
    while words and words[-1] in ("county", "parish", "borough", "municipio", "census", "area"):
        words.pop()
    return " ".join(words)


_KEEP_UPPER = {
    "llc",
    "pc",
    "pllc",
    "lp",
    "llp",
    "dba",
    "usa",
    "us",
    "va",
    "ymca",
    "ywca",
    "aa",
    "na",
    "dui",
    "dwi",
    "hiv",
    "aids",
    "lgbt",
    "lgbtq",
    "mat",
    "otp",
    "sud",
    "ii",
    "iii",
    "iv",
    "vi",
    "vii",
    "viii",
    "ix",
    "xi",
    "ne",
    "nw",
    "se",
    "sw",
    "po",
    "bhg",
}
#: A Roman numeral with an X or L in it (program numbers: "BHG XLII LLC"); I, V and words such as "Mix"
#: without them are left to the other rules.
_ROMAN = re.compile(r"(?=[MDCLXVI]*[XL])M{0,4}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_SMALL = {"and", "of", "the", "for", "in", "at", "on", "to", "a", "an", "by", "de", "la", "del"}


def title_case(text: str) -> str:
    """Readable capitalisation for ALL-CAPS source text; mixed-case text is returned unchanged.

    >>> title_case("HORIZON SERVICES, INCORPORATED")
    'Horizon Services, Incorporated'
    >>> title_case("3837 TELEGRAPH AVENUE, STE 2B")
    '3837 Telegraph Avenue, Ste 2B'
    >>> title_case("WALDEN HOUSE LLC DBA HEALTHRIGHT 360")
    'Walden House LLC DBA Healthright 360'
    >>> title_case("1ST STREET NW")
    '1st Street NW'
    >>> title_case("McLean Hospital")
    'McLean Hospital'
    >>> title_case("BHG XLII LLC")
    'BHG XLII LLC'
    """
    if not text or text != text.upper() or not any(c.isalpha() for c in text):
        return text

    def word(match: re.Match, first: bool) -> str:
        w = match.group(0)
        low = w.lower()
        if low in _KEEP_UPPER or (len(w) > 1 and _ROMAN.fullmatch(w.upper()) and w.upper() != "MIX"):
            return w.upper()
        if any(c.isdigit() for c in w):
            return low if re.fullmatch(r"\d+(st|nd|rd|th)", low) else w.upper()
        if low in _SMALL and not first:
            return low
        return low[:1].upper() + low[1:]

    out, first = [], True
    for part in re.split(r"(\s+)", text):
        if part.isspace() or not part:
            out.append(part)
            continue
        out.append(re.sub(r"[A-Za-z0-9']+", lambda m, first=first: word(m, first and m.start() == 0), part))
        first = False
    return "".join(out)


def clean_text(value: object) -> str:
    """Trim, collapse internal white space, and drop control characters."""
    if value is None:
        return ""
    text = str(value)
    if text.lower() in ("nan", "none", "null"):
        return ""
    text = "".join(c for c in text if c == " " or unicodedata.category(c)[0] != "C")
    return _SPACE.sub(" ", text).strip()


_PHONE = re.compile(
    r"(?:\+?1[\s.-]*)?\(?\s*(\d{3})\s*\)?[\s.-]*(\d{3})[\s.-]*(\d{4})"
    r"(?:\s*(?:x|ext\.?|extension)\s*(\d{1,6}))?",
    re.IGNORECASE,
)


def phones(text: str) -> list[str]:
    """Every phone number in ``text``, formatted ``NNN-NNN-NNNN`` (with ``x123`` extensions; an
    all-zero extension, which some exports write for "none", is dropped).

    >>> phones("(413)584-4040x2600 Intake: (413)584-4040x2603")
    ['413-584-4040 x2600', '413-584-4040 x2603']
    >>> phones("813-384-4000 x0")
    ['813-384-4000']
    """
    found = []
    for area, exchange, line, ext in _PHONE.findall(text or ""):
        number = f"{area}-{exchange}-{line}"
        found.append(f"{number} x{ext}" if ext.strip("0") else number)
    return found


def format_phone(text: str) -> str:
    """The first phone number in ``text`` formatted, or the cleaned text if none is recognisable."""
    found = phones(text)
    return found[0] if found else clean_text(text)


def clean_website(text: str) -> str:
    """A website as a URL with a scheme, or ``""``."""
    text = clean_text(text)
    if not text or " " in text or "." not in text:
        return ""
    if not re.match(r"^https?://", text, re.IGNORECASE):
        text = "http://" + text
    return text


def facility_id(name: str, name2: str, street: str, zip_code: str) -> str:
    """A stable id from the normalised name and address (never from row order).

    >>> facility_id("A New Beginning", "", "122 Helton Court", "35630")
    'fc37fe644372d'
    """
    key = "|".join((norm_name(name), norm_name(name2), norm_street(street), zip_code[:5]))
    return "f" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
