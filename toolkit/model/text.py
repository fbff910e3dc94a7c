"""Characters that must not reach a reader unseen, and what a file's bytes look like.

Free text from the data (seller ids, order ids, comments) is shown on pages, in charts and
in error messages. Control characters (NUL, the other C0 and C1 controls, DEL) and the
bidirectional formatting characters (``U+202A..U+202E``, ``U+2066..U+2069``, ``U+200E``,
``U+200F``, ``U+061C``) are invisible or reorder the text around them, so that ``S1`` and
``S1`` followed by a right-to-left override look alike, or a comment reads differently
from what it holds. :func:`visible` writes each of them as its code, ``\\u202e``; tab,
line feed and carriage return are kept (they are plain white space on a page).
:func:`visible_expr` does the same inside a polars expression.

:func:`looks_like` names the encoding of text that is not UTF-8 (UTF-16 with or without
its byte order mark, Windows-1252, ISO-8859-1), so an error can say how to re-save it.

:func:`quote_formula` makes CSV text safe for spreadsheets (a leading ``'`` before ``=``,
``+``, ``-``, ``@``, tab or carriage return: the OWASP rule) and :func:`unquote_formula`
undoes it when the toolkit reads a CSV file.

Examples
--------
>>> visible("S1\\u202egnp.exe")
'S1\\\\u202egnp.exe'
>>> print(visible("NUL\\x00 and a tab\\tstay apart"))
NUL\\u0000 and a tab	stay apart
>>> looks_like("Caf\\u00e9".encode("cp1252"))
'Windows-1252 (or ISO-8859-1, Latin-1)'
>>> looks_like("order_id".encode("utf-16"))
'UTF-16 (little-endian, with a byte order mark)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the expressions need no import of polars: this module stays light
    import polars as pl

__all__ = [
    "VISIBLE_ESCAPES",
    "looks_like",
    "quote_formula",
    "resave_hint",
    "unquote_formula",
    "visible",
    "visible_expr",
]

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_KEPT = {0x09, 0x0A, 0x0D}
_CODES = [c for c in (*range(0x20), 0x7F, *range(0x80, 0xA0), *_BIDI) if c not in _KEPT]

#: Each hidden character and the text shown instead (``\\u`` and four hex digits).
VISIBLE_ESCAPES: dict[str, str] = {chr(c): f"\\u{c:04x}" for c in _CODES}
_TABLE = str.maketrans(VISIBLE_ESCAPES)


def visible(text: str) -> str:
    """``text`` with every control and bidirectional formatting character written as its code.

    Parameters
    ----------
    text
        Any text; characters other than the hidden ones are kept as they are.

    Returns
    -------
    str
        The text with, for example, ``U+202E`` (right-to-left override) written as the six
        characters ``\\u202e``. HTML escaping is still the caller's job.

    Examples
    --------
    >>> visible("plain text stays")
    'plain text stays'
    >>> visible("\\u2066x\\u2069")
    '\\\\u2066x\\\\u2069'
    """
    return text.translate(_TABLE)


def visible_expr(text: pl.Expr) -> pl.Expr:
    """:func:`visible` as a string expression (one pass, no Python per row).

    Examples
    --------
    >>> import polars as pl
    >>> pl.select(visible_expr(pl.lit("a\\u202eb"))).item()
    'a\\\\u202eb'
    """
    return text.str.replace_many(list(VISIBLE_ESCAPES), list(VISIBLE_ESCAPES.values()))


def looks_like(data: bytes) -> str:
    """The encoding that ``data`` (the start of a file that is not UTF-8) most likely has.

    UTF-32 and UTF-16 are told by their byte order mark, or by zero bytes in every other
    position (ASCII text in UTF-16); anything else that is not UTF-8 is called
    Windows-1252 when it decodes as such (what Excel on Windows writes as "CSV"), else
    ISO-8859-1.

    Examples
    --------
    >>> looks_like("id".encode("utf-16-be"))
    'UTF-16 (big-endian, no byte order mark)'
    >>> looks_like(b"\\x81\\x8d")
    'ISO-8859-1 (Latin-1)'
    """
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "UTF-32"
    if data[:2] == b"\xff\xfe":
        return "UTF-16 (little-endian, with a byte order mark)"
    if data[:2] == b"\xfe\xff":
        return "UTF-16 (big-endian, with a byte order mark)"
    sample = data[:4096]
    if len(sample) >= 2:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) // 2 and even.count(0) <= len(even) // 4:
            return "UTF-16 (little-endian, no byte order mark)"
        if even.count(0) > len(even) // 2 and odd.count(0) <= len(odd) // 4:
            return "UTF-16 (big-endian, no byte order mark)"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "ISO-8859-1 (Latin-1)"
    return "Windows-1252 (or ISO-8859-1, Latin-1)"


def resave_hint(encoding: str, *, spreadsheet: bool = True) -> str:
    """How to re-save a file of ``encoding`` (as :func:`looks_like` names it) as UTF-8.

    ``spreadsheet`` adds Excel's way (for CSV files).

    >>> resave_hint("Windows-1252 (or ISO-8859-1, Latin-1)")
    "re-save it as UTF-8 (Excel: Save As 'CSV UTF-8 (Comma delimited)'; or iconv -f WINDOWS-1252 -t UTF-8 FILE > NEW)"
    >>> resave_hint("UTF-16 (little-endian, with a byte order mark)", spreadsheet=False)
    're-save it as UTF-8 (iconv -f UTF-16 -t UTF-8 FILE > NEW)'
    """
    source = encoding.split(" ")[0].upper().replace("ISO-8859-1", "LATIN1")
    excel = "Excel: Save As 'CSV UTF-8 (Comma delimited)'; or " if spreadsheet else ""
    return f"re-save it as UTF-8 ({excel}iconv -f {source} -t UTF-8 FILE > NEW)"


_FORMULA = r"^'*[=+\-@\t\r]"


def quote_formula(text: pl.Expr) -> pl.Expr:
    """Text that a spreadsheet would run as a formula, made safe with a leading ``'``.

    The OWASP rule for CSV files: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return gets a ``'`` in front. A cell that already starts with ``'``
    followed by those gets one more, so that :func:`unquote_formula` restores every text
    exactly.

    Examples
    --------
    >>> import polars as pl
    >>> cells = pl.Series(["=cmd|' /C calc'!A0", "-2", "'=x", "it's fine", None])
    >>> pl.select(quote_formula(pl.lit(cells))).to_series().to_list()
    ["'=cmd|' /C calc'!A0", "'-2", "''=x", "it's fine", None]
    """
    return text.str.replace(_FORMULA, "'$0")


def unquote_formula(text: pl.Expr) -> pl.Expr:
    """The inverse of :func:`quote_formula` (CSV files the toolkit wrote, read back).

    Examples
    --------
    >>> import polars as pl
    >>> cells = pl.Series(["'=cmd", "'-2", "''=x", "'quoted", None])
    >>> pl.select(unquote_formula(pl.lit(cells))).to_series().to_list()
    ['=cmd', '-2', "'=x", "'quoted", None]
    """
    return text.str.replace(r"^'('*[=+\-@\t\r])", "$1")
