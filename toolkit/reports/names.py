"""Safe, unique file names for seller ids (definitions section 8: ids are never used as paths unmade-safe).

A seller id is free text: it may hold ``/``, ``..``, spaces, a leading dot, characters a
file system refuses, or differ from another id only in letter case (two files on a
case-insensitive disk). :func:`safe_name` keeps the characters ``A-Z a-z 0-9 . _ -``,
replaces every other run (and every ``..``) by one ``_`` and, whenever it changed anything, appends eight hex
digits of the id's SHA-256 so that two ids that clean up the same stay apart.
:func:`file_names` does it for a batch and also separates names that only differ in case.

Examples
--------
>>> safe_name("S01-steady")
'S01-steady'
>>> safe_name("../etc/passwd")
'etc_passwd-7fef78f5'
>>> safe_name("acme/us store")
'acme_us_store-5e7ce780'
>>> file_names(["S1", "s1", "a/b"])
{'S1': 'S1-3696ad59', 's1': 's1-e8bc163c', 'a/b': 'a_b-c14cddc0'}
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["file_names", "safe_name"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DOTS = re.compile(r"\.{2,}")
_UNDERSCORES = re.compile(r"_{2,}")
_MAX_STEM = 80
#: Names Windows refuses whatever the extension.
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def safe_name(seller_id: str) -> str:
    """A file-name stem for ``seller_id``: only ``A-Za-z0-9._-``, never empty, never dot-led.

    The id is kept as it is when it is already safe; otherwise the cleaned text gets
    ``-`` and eight hex digits of the id's SHA-256, so different ids give different
    names. At most about 90 characters.

    Examples
    --------
    >>> [safe_name(x) for x in ["..", "", "a b", "Qualité"]]
    ['seller-5ec1f7e7', 'seller-e3b0c442', 'a_b-c8687a08', 'Qualit-8dce95ee']
    """
    text = str(seller_id)
    cleaned = _UNSAFE.sub("_", _DOTS.sub("_", text))
    cleaned = _UNDERSCORES.sub("_", cleaned).lstrip("._-").rstrip("._")[:_MAX_STEM]
    if cleaned and cleaned == text and cleaned.lower() not in _RESERVED:
        return cleaned
    return f"{cleaned or 'seller'}-{_digest(text)}"


def file_names(labels: Iterable[str]) -> dict[str, str]:
    """Map each label to a file-name stem, unique even on a case-insensitive disk.

    Labels whose :func:`safe_name` collide with another's when letter case is ignored
    all get the hash suffix (computed from the label itself, so they differ).
    """
    labels = list(dict.fromkeys(labels))
    names = {label: safe_name(label) for label in labels}
    clashes = Counter(name.lower() for name in names.values())
    for label, name in names.items():
        if clashes[name.lower()] > 1:
            names[label] = f"{name}-{_digest(label)}"
    final = Counter(name.lower() for name in names.values())
    if max(final.values(), default=1) > 1:  # pragma: no cover - needs a SHA-256 collision
        raise ValueError("could not make unique file names for the seller ids")
    return names
