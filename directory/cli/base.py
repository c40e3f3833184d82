"""What every command shares: the ``cli`` group, the one-line error, the ``--data`` and ``--lang``
options. (The commands import this; :mod:`directory.cli` imports the commands.)

The ``directory`` command line: thin adapters over the library.

Each command parses its options, calls the library, and prints. Errors the
library raises on purpose (:class:`DirectoryError`) become one line on stderr
and exit code 2 — never a traceback. Commands live in modules by topic: data
(import, build, services, validate), places (locate, geocode), search, and service
(serve, reports).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from ..core.errors import DirectoryError


class UsageFailure(click.ClickException):
    """One line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def data_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--data`` option of every command that reads the directory."""
    return click.option(
        "--data",
        help="Facilities file, or a PostgreSQL DSN (postgresql://…) loaded with `directory db load` "
        "(default: the shipped file).",
    )(func)


LANG_ENV = "DIRECTORY_LANG"


def lang_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--lang``: the language of the words a command prints (descriptions, notes, labels) — never of
    codes, column or field names. Default ``$DIRECTORY_LANG``, else English."""
    from ..core.i18n import LANGUAGES, using

    @functools.wraps(func)
    def wrapper(*args: Any, lang: str, **kwargs: Any) -> Any:
        with using(lang):
            return func(*args, **kwargs)

    return click.option(
        "--lang",
        type=click.Choice(list(LANGUAGES)),
        default=lambda: os.environ.get(LANG_ENV) if os.environ.get(LANG_ENV) in LANGUAGES else "en",
        show_default="en, or $DIRECTORY_LANG",
        help="Language of the printed words (en, es).",
    )(wrapper)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Translate the library's errors (and a Ctrl-C) into one line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DirectoryError as exc:
            raise UsageFailure(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; outputs were not changed", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="treatment-directory")
def cli() -> None:
    """Directory and geosearch for US substance-use treatment facilities."""


def main() -> None:
    cli(prog_name="directory")
