"""``python -m kms_share``: run scenario documents and ask the engine questions.

The same commands, output and exit statuses as the Rust ``kms-share`` command::

    python -m kms_share run SCENARIO.json [--check]   print the result document; 1 if an expect failed
    python -m kms_share explain SCENARIO.json CALLER ACTION RESOURCE
    python -m kms_share matrix SCENARIO.json INSTANCE-ID
    python -m kms_share migrate SCENARIO.json         a version 1 document in version 2's names
    python -m kms_share --help | --version

``explain`` and ``matrix`` first run the scenario, then ask about the state it built.
Exit status: 0 ok, 1 an expect failed, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from typing import List, Optional

from ._native import Organization, __version__, migrate, run
from .errors import KmsShareError

USAGE = """usage:
  python -m kms_share run SCENARIO.json [--check]
  python -m kms_share explain SCENARIO.json CALLER ACTION RESOURCE
  python -m kms_share matrix SCENARIO.json INSTANCE-ID
  python -m kms_share migrate SCENARIO.json      a version 1 document in the vendor's names (version 2)
  python -m kms_share --help | --version

exit status: 0 ok, 1 an expect failed, 2 bad input"""


class _BadInput(Exception):
    """A usage or file error: exit status 2."""


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    try:
        return _dispatch(args)
    except (_BadInput, KmsShareError) as e:
        print(f"kms-share: {e}", file=sys.stderr)
        return 2


def _dispatch(args: List[str]) -> int:
    if args in (["--help"], ["-h"], ["help"]):
        _print(USAGE)
        return 0
    if args in (["--version"], ["-V"]):
        _print(f"kms-share {__version__}")
        return 0
    if len(args) == 2 and args[0] == "migrate":
        try:
            text, notes = migrate(_load(args[1]))
        except KmsShareError as e:
            raise _BadInput(f"{args[1]}: {e}") from e
        for n in notes:
            print(f"kms-share migrate: {args[1]}: {n}", file=sys.stderr)
        _print(text)
        return 0
    if len(args) in (2, 3) and args[0] == "run" and (len(args) == 2 or args[2] == "--check"):
        try:
            res = run(_load(args[1]), check=len(args) == 3)
        except KmsShareError as e:
            raise _BadInput(f"{args[1]}: {e}") from e
        _print(res.to_json())
        return 0 if res.passed else 1
    if len(args) == 5 and args[0] == "explain":
        org = _organization(args[1])
        _print(org.explain(args[2], args[3], args[4]).to_json())
        return 0
    if len(args) == 3 and args[0] == "matrix":
        org = _organization(args[1])
        # serde_json's pretty printer and json.dumps(indent=2) write the same text.
        _print(json.dumps(org.access_matrix(args[2]), indent=2, ensure_ascii=False))
        return 0
    raise _BadInput(USAGE)


def _load(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise _BadInput(f"cannot read `{path}`: {e}") from e


def _organization(path: str) -> Organization:
    try:
        org, _ = Organization.from_scenario(_load(path))
    except KmsShareError as e:
        raise _BadInput(f"{path}: {e}") from e
    return org


def _print(text: str) -> None:
    # UTF-8 whatever the locale, so the bytes equal the Rust command's.
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    sys.exit(main())
