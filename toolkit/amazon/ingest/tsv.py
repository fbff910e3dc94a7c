"""Reading Amazon's tab-separated flat files: compression, encodings, rows and fields.

Amazon flat files are tab-separated with a header row and unquoted fields. Downloads come
gzip-compressed or not, as UTF-8 (with or without a byte order mark), UTF-16 or
ISO-8859-1, with CRLF or LF line ends; all of these are recognised here.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import replace
from pathlib import Path

import polars as pl

from toolkit.model.data import DataError, InputError

ROW = "_row"  # data rows counted from 1 after the header line, as in toolkit.model.data
_HIDDEN = "<hidden: looks like an e-mail address>"


def decode(data: bytes, *, encoding: str | None, file: str) -> str:
    """Text of a file's bytes: the given encoding, else BOM, UTF-8, or ISO-8859-1."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError([InputError(file, None, f"damaged gzip file: {exc}")]) from None
    candidates = [encoding] if encoding else []
    if not encoding:
        if data[:3] == b"\xef\xbb\xbf":
            candidates = ["utf-8-sig"]
        elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            candidates = ["utf-16"]
        elif len(data) > 1 and data[0] == 0:
            candidates = ["utf-16-be"]  # UTF-16 without a BOM: ASCII header, zero byte first
        elif len(data) > 1 and data[1] == 0:
            candidates = ["utf-16-le"]
        else:
            candidates = ["utf-8", "iso-8859-1"]
    for name in candidates:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError) as exc:
            problem = f"cannot be decoded as {name}: {exc}"
    raise DataError([InputError(file, None, problem)])


def read_tsv(
    path: str | Path, *, encoding: str | None = None
) -> tuple[list[str], pl.DataFrame, str]:
    """The header, the rows (string columns ``c0``, ``c1``, ... and ``_row``) and the file name.

    Blank lines are skipped (they keep their row number). A row whose field count differs
    from the header's is an error naming the rows.
    """
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DataError([InputError(file, None, f"cannot be read: {exc.strerror}")]) from None
    lines = decode(data, encoding=encoding, file=file).split("\n")
    header = [name.strip().lstrip("\ufeff") for name in lines[0].rstrip("\r").split("\t")]
    if header == [""]:
        raise DataError([InputError(file, None, "is empty: no header row")])
    body = (
        pl.DataFrame({"_line": lines[1:]}, schema={"_line": pl.String()})
        .with_row_index(ROW, offset=1)
        .with_columns(pl.col("_line").str.strip_suffix("\r"))
        .filter(pl.col("_line").str.len_bytes() > 0)
        .with_columns(_fields=pl.col("_line").str.split("\t"))
    )
    width = pl.col("_fields").list.len()
    bad = body.filter(width != len(header))
    if bad.height:
        counts = tuple(dict.fromkeys(str(n) for n in bad.select(width).to_series()))
        problem = f"rows with another number of fields than the header's {len(header)}"
        rows = tuple(bad[ROW].head(10))
        raise DataError([InputError(file, None, problem, rows, bad.height, counts)])
    fields = [pl.col("_fields").list.get(i).alias(f"c{i}") for i in range(len(header))]
    return header, body.select(pl.col(ROW).cast(pl.Int64), *fields), file


def scrub(errors: list[InputError]) -> list[InputError]:
    """The errors with every value that looks like an e-mail address hidden."""
    return [replace(e, values=tuple(_HIDDEN if "@" in v else v for v in e.values)) for e in errors]


def stem(path: str | Path) -> str:
    """File name without ``.gz`` and its extension (the default seller id)."""
    name = Path(path).name.removesuffix(".gz").removesuffix(".GZ")
    return Path(name).stem or name
