"""The whole scenario corpus through the wheel: byte-identical to the Rust runner.

Every document in tests/scenarios/ and tests/scenarios-v1/ is run by the Rust CLI (`kms-share run FILE`) and by
the wheel three ways: `kms_share.run`, `Organization.from_scenario` and
`python -m kms_share run FILE`. The result text and the exit status must be identical,
and every expectation must hold. The access matrix of every instance a scenario builds
must print identically through both command lines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

import kms_share
from conftest import CORPUS, CORPUS_V1, SCENARIOS


def rust(cli: str, *args: str) -> "subprocess.CompletedProcess[bytes]":
    return subprocess.run([cli, *args], capture_output=True, check=False)


def python_cli(*args: str) -> "subprocess.CompletedProcess[bytes]":
    return subprocess.run([sys.executable, "-m", "kms_share", *args], capture_output=True, check=False)


def ids(paths: List[Path]) -> List[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


def test_the_corpus_is_there() -> None:
    assert len(SCENARIOS) >= 80, f"only {len(SCENARIOS)} scenarios under {CORPUS} and {CORPUS_V1}"


@pytest.mark.parametrize("path", SCENARIOS, ids=ids(SCENARIOS))
def test_scenario_result_is_byte_identical_to_the_rust_runner(cli: str, path: Path) -> None:
    expected = rust(cli, "run", str(path))
    assert expected.returncode in (0, 1), expected.stderr.decode()
    text = path.read_text(encoding="utf-8")

    res = kms_share.run(text)
    assert (res.to_json() + "\n").encode() == expected.stdout
    assert res.passed == (expected.returncode == 0)
    # Every expectation of the corpus holds (the Rust corpus test says the same).
    failures = [(s.index, s.expect_failures) for s in res.steps if s.expect_held is False]
    assert res.passed, failures

    _, res2 = kms_share.Organization.from_scenario(text)
    assert res2.to_json() == res.to_json()
    # A dict document is the same document.
    assert kms_share.run(json.loads(text)).to_json() == res.to_json()


@pytest.mark.parametrize("path", SCENARIOS, ids=ids(SCENARIOS))
def test_python_command_line_run_matches_the_rust_command_line(cli: str, path: Path) -> None:
    for extra in ([], ["--check"]):
        expected = rust(cli, "run", str(path), *extra)
        got = python_cli("run", str(path), *extra)
        assert got.stdout == expected.stdout
        assert got.returncode == expected.returncode, got.stderr.decode()


@pytest.mark.parametrize("path", SCENARIOS, ids=ids(SCENARIOS))
def test_access_matrix_of_every_instance_matches_the_rust_command_line(cli: str, path: Path) -> None:
    org, _ = kms_share.Organization.from_scenario(path.read_text(encoding="utf-8"))
    for instance in org.state()["instances"]:
        expected = rust(cli, "matrix", str(path), instance)
        assert expected.returncode == 0, expected.stderr.decode()
        printed = json.dumps(org.access_matrix(instance), indent=2, ensure_ascii=False) + "\n"
        assert printed.encode() == expected.stdout


def test_python_command_line_explain_and_matrix_match_the_rust_command_line(cli: str) -> None:
    path = str(CORPUS / "01-dept-a-shares-with-dept-b.json")
    for args in (
        ["explain", path, "acs:ram::1000000000000003:user/alice", "kms:Encrypt", "key-b1"],
        ["explain", path, "acs:ram::1000000000000003:user/alice", "kms:ScheduleKeyDeletion", "key-b1"],
        ["explain", path, "acs:ram::1000000000000009:root", "kms:Decrypt", "kst-depta"],
        ["matrix", path, "kst-depta"],
    ):
        expected = rust(cli, *args)
        got = python_cli(*args)
        assert expected.returncode == 0, expected.stderr.decode()
        assert (got.returncode, got.stdout) == (expected.returncode, expected.stdout), got.stderr.decode()


def test_seeded_runs_are_deterministic() -> None:
    for path in SCENARIOS[:5]:
        text = path.read_text(encoding="utf-8")
        assert kms_share.run(text).to_json() == kms_share.run(text).to_json()


def test_command_line_errors_match_the_rust_command_line(cli: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "steps": [', encoding="utf-8")
    good = str(CORPUS / "01-dept-a-shares-with-dept-b.json")
    for args in (
        ["run", str(bad)],
        ["explain", str(bad), "a", "kms:Encrypt", "b"],
        ["explain", good, "nobody", "kms:Encrypt", "key-b1"],
        ["explain", good, "acs:ram::1000000000000003:root", "Encrypt", "key-b1"],
        ["matrix", good, "kst-nope"],
        ["matrix", good, "not-an-instance"],
    ):
        expected = rust(cli, *args)
        got = python_cli(*args)
        assert expected.returncode == 2
        assert (got.returncode, got.stdout, got.stderr) == (expected.returncode, expected.stdout, expected.stderr)
