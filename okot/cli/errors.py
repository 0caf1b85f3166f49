"""Exit codes and one-line errors of the ``okot`` CLI.

Exit codes: 0 done; 1 trouble reaching Temporal or the database (nothing was
decided); 2 refused (the workflow refused the message, a malformed option, an
unknown staff id, a cohort row that failed). Errors are one line on stderr:
a :class:`CliError` raised in a command body (:func:`guard`) or in its async
operation (:func:`run`), and usage errors (:class:`OkotGroup`, :class:`OkotCommand`).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from okot.temporal.process_exit import exit_process

T = TypeVar("T")

EXIT_OK = 0
EXIT_TROUBLE = 1
"""Temporal or the database could not be reached (or did not answer): nothing was decided."""
EXIT_REFUSED = 2
"""Refused: by the workflow, or because an option, a staff id or a cohort row is wrong."""


class CliError(Exception):
    """A failure to report as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    raise CliError(message, code)


def error_line(message: str) -> None:
    """One line on stderr (never wrapped: scripts and people grep it)."""
    typer.echo(" ".join(message.split()), err=True)


def warn(message: str) -> None:
    error_line(f"warning: {message}")


def first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


class _OneLineErrors:
    """Usage errors (a bad date, an unknown choice, a missing option) as one line on stderr,
    and the process's exit code, on every path (:func:`~okot.temporal.process_exit.exit_process`
    when it is the ``okot`` process itself, ``sys.exit`` when called in-process, as by tests)."""

    def main(  # type: ignore[no-untyped-def]
        self, *args: Any, standalone_mode: bool = True, **kwargs: Any
    ):
        own_process = not args and kwargs.get("args") is None  # the console script: sys.argv
        end: Callable[[int], NoReturn] = sys.exit
        if own_process:
            end = exit_process
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except typer.TyperException as error:
            if not standalone_mode:
                raise
            if type(error).__name__ != "NoArgsIsHelpError":  # the help was shown already
                ctx = getattr(error, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                text = error.format_message().replace("Value error, ", "")
                error_line(f"error: {text}{hint}")
            end(error.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            error_line("aborted")
            end(EXIT_TROUBLE)
        except Exception as error:  # a bug: still one line and a documented exit code
            if not standalone_mode or not own_process:
                raise
            error_line(f"error: unexpected {type(error).__name__}: {first_line(error)}")
            end(EXIT_TROUBLE)
        if not standalone_mode:
            return rv
        end(rv if isinstance(rv, int) else EXIT_OK)


class OkotGroup(_OneLineErrors, TyperGroup):
    pass


class OkotCommand(_OneLineErrors, TyperCommand):
    pass


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run one async operation; a :class:`CliError` becomes its line and exit code."""

    async def runner() -> T:
        return await make()

    try:
        return asyncio.run(runner())
    except CliError as error:
        error_line(error.message)
        raise typer.Exit(error.code) from None


def guard(body: Callable[[], None]) -> None:
    """Run a command body; a :class:`CliError` raised outside :func:`run` ends it too."""
    try:
        body()
    except CliError as error:
        error_line(error.message)
        raise typer.Exit(error.code) from None
