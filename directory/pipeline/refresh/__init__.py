"""Bringing the directory current from FindTreatment.gov: a polite, resumable harvester of its
locator API (:mod:`.client`, :mod:`.harvest`) and its service-name mapping (:mod:`.names`).
Offline stays the default: nothing here runs unless a person asks."""

from .client import BASE_URL_ENV, DEFAULT_BASE_URL, LocatorClient
from .harvest import Harvest, cover, from_export, harvest, parse_states
from .names import ServiceNames

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "Harvest",
    "LocatorClient",
    "ServiceNames",
    "cover",
    "from_export",
    "harvest",
    "parse_states",
]
