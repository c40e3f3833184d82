"""Crisis help shown on every screen and at the bottom of every printed list."""

from __future__ import annotations

#: (who, what to do, link)
CRISIS_LINES = (
    ("988 Suicide & Crisis Lifeline", "Call or text 988", "tel:988"),
    ("SAMHSA's National Helpline", "1-800-662-4357 — free, confidential, 24/7", "tel:18006624357"),
    ("Overdose", "If someone may be overdosing, call 911 — naloxone can reverse an opioid overdose.", "tel:911"),
)
