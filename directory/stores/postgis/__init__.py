"""The PostGIS store: connecting, the schema and the load, the search SQL and the corrections table."""
