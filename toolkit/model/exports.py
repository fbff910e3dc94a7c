"""Lazy public names for a package: each loads its module on first use.

``import toolkit`` and ``import toolkit.charts`` stay cheap this way: altair, scipy and
nbconvert load only when a name that needs them is used.

Examples
--------
>>> namespace = {}
>>> getattr_, dir_ = lazy_exports("example", {"sqrt": "math"}, namespace)
>>> getattr_("sqrt")(9.0), "sqrt" in namespace, dir_()
(3.0, True, ['sqrt'])
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    exports: dict[str, str],
    namespace: dict[str, Any],
    path: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``exports`` (name -> module).

    ``namespace`` is the package's ``globals()``: a loaded name is kept there, so it
    loads once. ``__dir__`` lists the public names only: ``exports`` and the public
    submodules found on ``path`` (the package's ``__path__``), never helpers or private
    names.
    """
    modules = [m.name for m in pkgutil.iter_modules(list(path)) if not m.name.startswith("_")]

    def __getattr__(name: str) -> Any:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*exports, *modules})

    return __getattr__, __dir__
