"""Crisis help shown on every screen and at the bottom of every printed list."""

from __future__ import annotations

#: SAMHSA's National Helpline: on every screen, and whom to call where the sources give a facility no phone.
HELPLINE_NAME = "SAMHSA's National Helpline"
HELPLINE_NUMBER = "1-800-662-4357"
HELPLINE_TEL = "tel:+18006624357"

#: (who, what to do, link)
CRISIS_LINES = (
    ("988 Suicide & Crisis Lifeline", "Call or text 988", "tel:988"),
    (HELPLINE_NAME, f"{HELPLINE_NUMBER} — free, confidential, 24/7", HELPLINE_TEL),
    ("Overdose", "If someone may be overdosing, call 911 — naloxone can reverse an opioid overdose.", "tel:911"),
)
