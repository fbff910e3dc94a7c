"""The errors that mean "the input is wrong", as opposed to a bug in the toolkit.

Every problem with the user's input files, options or policy is a :class:`UsageError`:
the command line prints its message and exits with status 2, having written nothing.
Any other exception is a bug and keeps its traceback. ``UsageError`` is a ``ValueError``,
so Python callers that catch ``ValueError`` keep working.

>>> issubclass(OptionError, ValueError)
True
"""

from __future__ import annotations

__all__ = ["OptionError", "ResourceError", "SellerError", "UsageError"]


class UsageError(ValueError):
    """A problem with the user's input, files, options or policy (exit status 2)."""


class OptionError(UsageError):
    """An option value or a combination of options that cannot be used (dates out of order,
    a horizon below one day, ...)."""


class ResourceError(UsageError):
    """A file the toolkit needs (a template, a notebook) is missing or unreadable."""


class SellerError(UsageError):
    """A seller id asked for (``--sellers``) is not in the data."""
