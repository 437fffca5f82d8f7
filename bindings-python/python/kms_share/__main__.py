"""``python -m kms_share``: run scenario documents and ask the engine questions.

The same commands, output and exit statuses as the Rust ``kms-share`` command::

    python -m kms_share run SCENARIO.json [--check]   print the result document; 1 if an expect failed
    python -m kms_share explain DOCUMENT CALLER ACTION RESOURCE
    python -m kms_share matrix DOCUMENT INSTANCE-ID
    python -m kms_share who-can DOCUMENT ACTION RESOURCE
    python -m kms_share review DOCUMENT [--html FILE]
    python -m kms_share import --out STATE.json [--save FOLDER | --from FOLDER] [--endpoint URL] ...
    python -m kms_share migrate SCENARIO.json         a version 1 document in version 2's names
    python -m kms_share --help | --version     (and COMMAND --help)

A DOCUMENT is a scenario (run first) or a state document (``import`` writes one).
``import`` reads the organization your credentials' management account runs, read-only,
through the vendor's official SDKs (``pip install 'kms-share[collect]'``), or, with
``--from``, a folder of saved responses (docs/import.md).
Exit status: 0 ok, 1 an expect failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, NoReturn, Optional

from ._native import Organization, __version__, migrate, run
from .errors import KmsShareError

class _BadInput(Exception):
    """A file or document error: exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with the command's conventions: usage errors exit 2 with the usage on
    stderr (argparse's own), help and version on stdout with exit 0."""

    def error(self, message: str) -> "NoReturn":
        self.print_usage(sys.stderr)
        print(f"kms-share: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m kms_share",
        description="The reference engine for sharing a KMS instance across an organization's accounts.",
        epilog="exit status: 0 ok, 1 an expect failed, 2 bad input",
    )
    p.add_argument("-V", "--version", action="version", version=f"kms-share {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    run_p = sub.add_parser("run", help="run a scenario document and print its result document (exit 1 if an expect failed)")
    run_p.add_argument("scenario", help="the scenario document (JSON, version 1 or 2)")
    run_p.add_argument("--check", action="store_true", help="also check that every failed step left the organization unchanged")
    ex = sub.add_parser("explain", help="explain one request against an organization (scenario or state document)")
    ex.add_argument("document", help="the scenario or state document")
    ex.add_argument("caller", help="acs:ram::<account>:root|user/<name>|role/<name>")
    ex.add_argument("action", help="the action, kms:Encrypt")
    ex.add_argument("resource", help="key id, alias, secret name or ARN, instance id")
    mx = sub.add_parser("matrix", help="print the access matrix of one instance of an organization")
    mx.add_argument("document", help="the scenario or state document")
    mx.add_argument("instance", help="the instance, kst-...")
    wc = sub.add_parser("who-can", help="who can perform an action on a resource, each with the reason")
    wc.add_argument("document", help="the scenario or state document")
    wc.add_argument("action", help="the action, kms:Decrypt")
    wc.add_argument("resource", help="key id, alias, secret name or ARN, instance id")
    im = sub.add_parser(
        "import",
        help="read a real organization (read-only, official SDKs) or a folder of saved responses into a state document",
    )
    im.add_argument("--out", "-o", default="kms-share-state.json", help="where to write the state document")
    src = im.add_mutually_exclusive_group()
    src.add_argument("--from", dest="source", metavar="FOLDER", help="import saved responses (docs/import.md); no credentials needed")
    src.add_argument("--save", metavar="FOLDER", default="kms-share-responses", help="where the responses read are kept (a new folder)")
    im.add_argument("--endpoint", help="send every call to this endpoint (http://127.0.0.1:8787 for kms-share serve)")
    im.add_argument("--region", default="cn-hangzhou", help="the region(s) of the KMS instances and shares to read, comma-separated")
    im.add_argument("--role-name", default="ResourceDirectoryAccountAccessRole", help="the member accounts' role the management account assumes")
    im.add_argument("--concurrency", type=int, default=8, help="accounts read at once")
    im.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="show a progress bar (default: on a terminal)")
    rv = sub.add_parser(
        "review",
        help="review an organization (scenario or state document): findings as JSON, and an HTML report",
    )
    rv.add_argument("document", help="the scenario or state document")
    rv.add_argument("--html", default="kms-share-review.html", help="where to write the HTML report")
    mg = sub.add_parser("migrate", help="print a version 1 document in the vendor's names (version 2)")
    mg.add_argument("scenario", help="the version 1 scenario document")
    sub.add_parser("help", help="print this help")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    parser = _parser()
    try:
        ns = parser.parse_args(args)
    except SystemExit as e:
        return int(e.code or 0)
    if ns.command == "help":
        parser.print_help(sys.stdout)
        return 0
    try:
        return _dispatch(ns)
    except (_BadInput, KmsShareError) as e:
        print(f"kms-share: {e}", file=sys.stderr)
        return 2


def _dispatch(ns: argparse.Namespace) -> int:
    if ns.command == "migrate":
        try:
            text, notes = migrate(_load(ns.scenario))
        except KmsShareError as e:
            raise _BadInput(f"{ns.scenario}: {e}") from e
        for n in notes:
            print(f"kms-share migrate: {ns.scenario}: {n}", file=sys.stderr)
        _print(text)
        return 0
    if ns.command == "run":
        try:
            res = run(_load(ns.scenario), check=ns.check)
        except KmsShareError as e:
            raise _BadInput(f"{ns.scenario}: {e}") from e
        _print(res.to_json())
        return 0 if res.passed else 1
    if ns.command == "review":
        try:
            org = Organization.from_document(_load(ns.document))
        except KmsShareError as e:
            raise _BadInput(f"{ns.document}: {e}") from e
        review = org.review()
        try:
            with open(ns.html, "w", encoding="utf-8") as f:
                f.write(org.review_html())
        except OSError as e:
            raise _BadInput(f"cannot write `{ns.html}`: {e}") from e
        # serde_json's pretty printer and json.dumps(indent=2) write the same text.
        _print(json.dumps(review, indent=2, ensure_ascii=False))
        print(f"kms-share review: {len(review['findings'])} finding(s); report written to {ns.html}", file=sys.stderr)
        return 0
    if ns.command == "import":
        return _import(ns)
    if ns.command == "explain":
        org = _organization(ns.document)
        _print(org.explain(ns.caller, ns.action, ns.resource).to_json())
        return 0
    if ns.command == "who-can":
        org = _organization(ns.document)
        _print(json.dumps(org.who_can(ns.action, ns.resource), indent=2, ensure_ascii=False))
        return 0
    org = _organization(ns.document)
    # serde_json's pretty printer and json.dumps(indent=2) write the same text.
    _print(json.dumps(org.access_matrix(ns.instance), indent=2, ensure_ascii=False))
    return 0


def _load(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise _BadInput(f"cannot read `{path}`: {e}") from e


def _organization(path: str) -> Organization:
    try:
        return Organization.from_document(_load(path))
    except KmsShareError as e:
        raise _BadInput(f"{path}: {e}") from e


def _import(ns: argparse.Namespace) -> int:
    from .collect import CollectError, collect, responses

    folder = ns.source
    if folder is None:
        folder = ns.save
        try:
            s = collect(
                folder,
                endpoint=ns.endpoint,
                region=[r.strip() for r in ns.region.split(",") if r.strip()],
                role_name=ns.role_name,
                concurrency=ns.concurrency,
                progress=ns.progress,
            )
        except CollectError as e:
            raise _BadInput(str(e)) from e
        print(
            f"kms-share import: read {s.reached} of {s.accounts} account(s) in {s.seconds:.1f} s "
            f"({s.calls} call(s), {s.retries} retried); responses kept in {folder}",
            file=sys.stderr,
        )
    try:
        files = responses(folder)
    except OSError as e:
        raise _BadInput(str(e)) from e
    try:
        org, summary = Organization.from_responses(files)
    except KmsShareError as e:
        raise _BadInput(f"import of `{folder}`: {e}") from e
    state = org.state()
    try:
        with open(ns.out, "w", encoding="utf-8") as f:
            f.write(json.dumps(state, indent=2, ensure_ascii=False) + "\n")
    except OSError as e:
        raise _BadInput(f"cannot write `{ns.out}`: {e}") from e
    for line in summary["report"]:
        print(line, file=sys.stderr)
    print(f"kms-share import: state document written to {ns.out}", file=sys.stderr)
    return 0


def _print(text: str) -> None:
    # UTF-8 whatever the locale, so the bytes equal the Rust command's.
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    sys.exit(main())
