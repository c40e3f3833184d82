"""Drive (or walk) times from a routing engine the deployer runs: OSRM's ``/table`` service.

Nothing here routes by itself: :class:`~directory.routing.osrm.Router` asks the deployer's
``osrm-routed`` (over their OpenStreetMap extract) how long the road trip from a searched place to each
candidate takes, and translates every failure into
:class:`~directory.core.errors.RoutingUnavailable`. Without ``DIRECTORY_ROUTING`` there is no router
and every distance is straight-line.
"""

from .osrm import Router, Table, from_environment, parse_setting

__all__ = ["Router", "Table", "from_environment", "parse_setting"]
