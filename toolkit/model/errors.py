"""The errors that mean "the input is wrong", as opposed to a bug in the toolkit.

Every problem with the user's input files, options or policy is a :class:`UsageError`:
the command line prints its message and exits with status 2, having written nothing.
Any other exception is a bug and keeps its traceback. ``UsageError`` is a ``ValueError``,
so Python callers that catch ``ValueError`` keep working. ``docs/errors.md`` lists every
error with an example message.

>>> issubclass(OptionError, ValueError)
True
>>> print(DataError([InputError("orders.csv", "units", "not an integer", (3,), 1, ("two",))]))
1 input error:
- orders.csv: column units: not an integer; 1 row: 3; values: 'two'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DataError",
    "InputError",
    "OptionError",
    "ResourceError",
    "SellerError",
    "UsageError",
]


class UsageError(ValueError):
    """A problem with the user's input, files, options or policy (exit status 2)."""


class OptionError(UsageError):
    """An option value or a combination of options that cannot be used (dates out of order,
    a horizon below one day, an output path that cannot be written, ...)."""


class ResourceError(UsageError):
    """A file the toolkit needs (a template, a notebook) is missing or unreadable."""


class SellerError(UsageError):
    """A seller id asked for (``--sellers``) is not in the data."""


@dataclass(frozen=True)
class InputError:
    """One problem in the input: where it is and what was found.

    ``rows`` are data rows counted from 1 (the header is not a row), the first ten at
    most; ``count`` is how many rows have the problem; ``values`` the distinct offending
    values among the rows shown.
    """

    file: str
    column: str | None
    problem: str
    rows: tuple[int, ...] = ()
    count: int = 0
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}: column {self.column}" if self.column else self.file
        text = f"{where}: {self.problem}"
        if self.count:
            shown = ", ".join(str(r) for r in self.rows)
            more = f" (first {len(self.rows)} shown)" if self.count > len(self.rows) else ""
            text += f"; {self.count} row{'s' * (self.count != 1)}: {shown}{more}"
        if self.values:
            text += "; values: " + ", ".join(repr(v) for v in self.values)
        return text


class DataError(UsageError):
    """Raised with every :class:`InputError` found; nothing has been written."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        count = len(errors)
        super().__init__(
            f"{count} input error{'s' * (count != 1)}:\n" + "\n".join(f"- {e}" for e in errors)
        )
