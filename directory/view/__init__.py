"""What a search screen needs, as plain Python: the form and its URL, the list, the detail, the downloads.

The Streamlit app (``app.py``) and any other front end are thin adapters over this
package: they read widgets into a :class:`SearchForm`, call :func:`run` with a
:class:`~directory.stores.Store`, and render the :class:`Outcome`, the rows of
:func:`result_table` and a :class:`FacilityDetail`. Nothing here imports Streamlit.

========================  ============================================================
:mod:`.form`              the form (fields from the filter registry) ↔ URL; the outcome
:mod:`.results`           the list beside the map
:mod:`.detail`            one facility's detail
:mod:`.facts`             the facts that decide: kind, hours, new patients, accessibility, the live listing
:mod:`.downloads`         CSV, Excel, GeoJSON, printable list
:mod:`.compare`           a shortlist side by side (shared by the app, the API and the CLI)
:mod:`.shortlist`         the shortlist on a screen: add / remove, the table and the cards
:mod:`.handover`          the referral sheet, the text message and the e-mail
:mod:`.text`              escaping, and the only links a screen makes
:mod:`.mapview`           the map's data (points, layers, legend) and its web component's code
:mod:`.explain`           why a search found nothing: which filter empties the area
========================  ============================================================
"""

from ..search.drive import travel_words
from .compare import MAX_SHORTLIST, Cell, Comparison, Row, TooMany, UnknownFacilities, compare
from .detail import (
    DetailMarkdown,
    FacilityDetail,
    contacts,
    detail_markdown,
    highlights,
    listing_note,
    provenance,
    stale_note,
)
from .downloads import (
    ATTRIBUTION,
    AVAILABILITY_COLUMNS,
    Download,
    attribution,
    downloads,
    printable_list,
    shortlist_downloads,
    with_availability,
)
from .facts import (
    CLOSED_HELP,
    NOT_LISTED,
    STALE_AFTER_YEARS,
    accepting_text,
    accessibility_text,
    closed_help,
    hours_text,
    kind_label,
    live_listing,
    not_listed,
    stated_by,
)
from .form import (
    DEFAULT_RADIUS,
    MINUTES,
    PARAM_OF,
    RADII,
    Outcome,
    SearchForm,
    facet_line,
    run,
    since_label,
    since_options,
    verified_label,
    verified_options,
)
from .handover import FORMATS as SHEET_FORMATS
from .handover import format_label as sheet_format_label
from .handover import mailto_url, message_text, sheet_html, sms_url
from .results import (
    BADGE_GROUPS,
    LIST_LIMIT,
    NO_PHONE_LINE,
    TEXT_LIST_LIMIT,
    TEXT_LIST_STEP,
    ListItem,
    badges,
    groups_of,
    is_phone,
    item_markdown,
    list_note,
    list_phone,
    more_rows,
    result_table,
    text_list,
)
from .shortlist import card_html, short_name, short_names, shortlist_frame, table_html
from .shortlist import known as known_shortlist
from .shortlist import toggle as toggle_shortlist
from .text import PAGE_LANG_JS, crisis_html, directions_url, md_escape, md_link, page_css, plain, tel_url, website_url

__all__ = [
    "AVAILABILITY_COLUMNS",
    "with_availability",
    "PAGE_LANG_JS",
    "crisis_html",
    "attribution",
    "closed_help",
    "not_listed",
    "sheet_format_label",
    "CLOSED_HELP",
    "verified_label",
    "verified_options",
    "MAX_SHORTLIST",
    "SHEET_FORMATS",
    "Cell",
    "Comparison",
    "Row",
    "TooMany",
    "UnknownFacilities",
    "card_html",
    "compare",
    "known_shortlist",
    "mailto_url",
    "message_text",
    "sheet_html",
    "short_name",
    "short_names",
    "shortlist_downloads",
    "shortlist_frame",
    "sms_url",
    "table_html",
    "toggle_shortlist",
    "NOT_LISTED",
    "accepting_text",
    "accessibility_text",
    "hours_text",
    "kind_label",
    "live_listing",
    "stated_by",
    "ATTRIBUTION",
    "BADGE_GROUPS",
    "DEFAULT_RADIUS",
    "LIST_LIMIT",
    "PARAM_OF",
    "MINUTES",
    "travel_words",
    "RADII",
    "STALE_AFTER_YEARS",
    "DetailMarkdown",
    "Download",
    "FacilityDetail",
    "detail_markdown",
    "ListItem",
    "TEXT_LIST_LIMIT",
    "TEXT_LIST_STEP",
    "more_rows",
    "text_list",
    "is_phone",
    "item_markdown",
    "Outcome",
    "SearchForm",
    "badges",
    "contacts",
    "directions_url",
    "downloads",
    "facet_line",
    "groups_of",
    "highlights",
    "list_note",
    "list_phone",
    "md_escape",
    "NO_PHONE_LINE",
    "md_link",
    "page_css",
    "plain",
    "printable_list",
    "listing_note",
    "provenance",
    "result_table",
    "run",
    "since_label",
    "since_options",
    "stale_note",
    "tel_url",
    "website_url",
]
