"""The command line, `whaleid COMMAND ...` (no Qt, except `gui` and the figures of `report`).

One module per group of commands, each with register(subparsers) and its handlers; they share
the argument types (arg_types), the match options (match_options), the progress display and
warnings (progress) and the exit statuses (exit_codes). The work itself is done by the
application layer and the core; a command parses, calls, prints.

Bad input ends with status 2 and a one-line reason naming the file; a bad image in a batch is
reported on stderr and skipped, the rest goes on.
"""

from __future__ import annotations

import argparse
import sys

from ..core.errors import WhaleIDError
from . import boxes, decide, demo, import_export, match, project, report, train
from .exit_codes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK

# The order of `whaleid --help`.
GROUPS = (match, train, demo, project, import_export, boxes, decide, report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="whaleid", description="Photo-identification of humpback whale flukes.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        return int(args.handler(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("whaleid: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except WhaleIDError as exc:
        print(f"whaleid: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
