"""The app's screens, each wiring only: widgets → the library → elements (``app.py`` puts them together).

- :mod:`.session` — the session's search (widget keys, the URL, a link), the page's context and the
  callbacks every screen shares;
- :mod:`.search` — the first screen's header and search form (the filter registry's widgets);
- :mod:`.results` — the results: map, detail, list, grid, shortlist bar, report form and downloads;
- :mod:`.compare` — the shortlist side by side and its hand-over (sheet, text, e-mail, link).

Not a ``pages/`` folder: Streamlit would list each file as a page of its own.
"""
