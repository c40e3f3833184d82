"""Crisis help shown on every screen and at the bottom of every printed list, in the reader's language.

The Spanish follows what each line publishes in Spanish: the 988 Lifeline's name, "988 Línea de
Prevención del Suicidio y Crisis", answers in Spanish when a caller presses 2 and by text when the
message is AYUDA; SAMHSA's National Helpline ("Línea Nacional de Ayuda de SAMHSA") answers in English
and Spanish.

>>> from directory.core.i18n import using
>>> with using("es"):
...     for text in crisis_lines()[0][:2]:
...         print(text)
988 Línea de Prevención del Suicidio y Crisis
Llame al 988 y oprima el 2 para español, o envíe AYUDA por texto al 988
"""

from __future__ import annotations

from .i18n import N_, _

#: SAMHSA's National Helpline: on every screen, and whom to call where the sources give a facility no phone.
HELPLINE_NAME = N_("SAMHSA's National Helpline")
HELPLINE_NUMBER = "1-800-662-4357"
HELPLINE_TEL = "tel:+18006624357"

#: (who, what to do, link), in English: :func:`crisis_lines` gives them in the current language.
CRISIS_LINES = (
    (N_("988 Suicide & Crisis Lifeline"), N_("Call or text 988"), "tel:988"),
    (HELPLINE_NAME, N_("{number} — free, confidential, 24/7"), HELPLINE_TEL),
    (
        N_("Overdose"),
        N_("If someone may be overdosing, call 911 — naloxone can reverse an opioid overdose."),
        "tel:911",
    ),
)


def helpline_name() -> str:
    return _(HELPLINE_NAME)


def crisis_lines() -> list[tuple[str, str, str]]:
    """The crisis lines as (who, what to do, link) in the current language."""
    return [(_(who), _(what).format(number=HELPLINE_NUMBER), link) for who, what, link in CRISIS_LINES]
