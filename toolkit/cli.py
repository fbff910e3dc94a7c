"""The ``seller-health`` command line (SPEC section 9).

Every subcommand takes ``--data DIR`` (default ``data/sample``) and ``--policy FILE``
(default: the shipped Amazon US policy), prints a short summary, and writes tables with
``--out FILE`` (``.parquet`` or ``.csv`` by extension). Input errors are printed with file,
column, rows and values, and the command exits with status 2 before writing anything.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

__all__ = ["main"]

EXIT_INPUT_ERROR = 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _out_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise argparse.ArgumentTypeError(f"--out must end in .csv or .parquet: {text!r}")
    return path


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data/sample"), help="data directory")
    parser.add_argument("--policy", type=Path, default=None, help="policy TOML file")


def _load(args: argparse.Namespace):
    """The policy and the validated dataset named by ``--policy`` and ``--data``."""
    from toolkit.data import read_data
    from toolkit.policy import load_policy

    policy = load_policy(args.policy)
    return policy, read_data(args.data).collect()


# ---------------------------------------------------------------------------- commands


def _cmd_sample(args: argparse.Namespace) -> int:
    from toolkit.sample import write_sample

    counts = write_sample(
        args.out,
        seed=args.seed,
        sellers=args.sellers,
        days=args.days,
        file_format=args.format,
        progress=not args.quiet,
    )
    rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    print(f"wrote {args.out}: {rows}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from toolkit.summary import data_summary

    policy, data = _load(args)
    print(f"{args.data}: valid (policy {policy.name})")
    print(data_summary(data))
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seller-health",
        description="Seller account health analytics: recompute Amazon seller performance "
        "metrics from raw events.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sample = sub.add_parser("sample", help="write a deterministic synthetic data directory")
    sample.add_argument("--out", type=Path, default=Path("data/sample"), help="directory")
    sample.add_argument("--seed", type=int, default=7)
    sample.add_argument(
        "--sellers", type=int, default=None, help="number of sellers (default: the personas)"
    )
    sample.add_argument("--days", type=int, default=None, help="days of history (default 395)")
    sample.add_argument("--format", choices=("csv", "parquet"), default="csv")
    sample.add_argument("--quiet", action="store_true", help="no progress output")
    sample.set_defaults(func=_cmd_sample)

    validate = sub.add_parser("validate", help="check a data directory and summarise it")
    _common(validate)
    validate.set_defaults(func=_cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from toolkit.data import DataError
    from toolkit.policy import PolicyError

    args = _build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except DataError as exc:
        print(f"seller-health {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except PolicyError as exc:
        print(f"seller-health {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR


if __name__ == "__main__":
    sys.exit(main())
