"""Connecting to the PostGIS store's database, and the tables every part of it shares (loads,
problem reports, corrections). Messages name the database's host, port and name, never its password.
"""

from __future__ import annotations

from ...core import paths
from ...core.errors import DatabaseUnavailable

SCHEMES = paths.DSN_SCHEMES


def is_dsn(data: object) -> bool:
    return isinstance(data, str) and data.startswith(SCHEMES)


def where_of(dsn: str) -> str:
    """``host:port/dbname`` of a DSN, for messages (never its password)."""
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def connect_error(dsn: str, exc: Exception) -> DatabaseUnavailable:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DatabaseUnavailable(f"the database at {where_of(dsn)} is unreachable ({message})")


def connect(dsn: str):
    """One connection (for loading and status), or :class:`DatabaseUnavailable`."""
    import psycopg

    try:
        return psycopg.connect(dsn, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise connect_error(dsn, exc) from None


SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE IF NOT EXISTS directory_loads (
    id serial PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now(), source_file text NOT NULL,
    row_count integer NOT NULL, columns text[] NOT NULL);
CREATE TABLE IF NOT EXISTS problem_reports (
    id bigserial PRIMARY KEY, report_id text UNIQUE NOT NULL, created text NOT NULL, facility_id text NOT NULL,
    facility_name text NOT NULL, problem text NOT NULL, message text NOT NULL, contact text NOT NULL);
CREATE TABLE IF NOT EXISTS report_resolutions (
    report_id text NOT NULL, resolved text NOT NULL, note text NOT NULL, by_correction text NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS corrections (
    id integer PRIMARY KEY, facility_id text NOT NULL, action text NOT NULL, field text NOT NULL, value text NOT NULL,
    reason text NOT NULL, verified_how text NOT NULL, verified_on text NOT NULL, by text NOT NULL,
    report_id text NOT NULL, undoes text NOT NULL, written_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE corrections ADD COLUMN IF NOT EXISTS recorded_at text NOT NULL DEFAULT '';
ALTER TABLE problem_reports ADD COLUMN IF NOT EXISTS client text NOT NULL DEFAULT '';
ALTER TABLE report_resolutions ADD COLUMN IF NOT EXISTS by text NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS availability_reports (
    id bigserial PRIMARY KEY, facility_id text NOT NULL, received_at timestamptz NOT NULL, link_id integer NOT NULL,
    report jsonb NOT NULL);
CREATE INDEX IF NOT EXISTS availability_reports_site ON availability_reports (facility_id, id);
CREATE TABLE IF NOT EXISTS availability_now (
    facility_id text PRIMARY KEY, accepting boolean NOT NULL, beds boolean NOT NULL, until timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS provider_link_events (id bigserial PRIMARY KEY, event jsonb NOT NULL);
"""
