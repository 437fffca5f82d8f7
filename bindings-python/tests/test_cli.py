"""`python -m kms_share`: usage, exit statuses and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import kms_share
from conftest import DEPT, REPO


def py_cli(*args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "kms_share", *args], capture_output=True, text=True, check=False)


def test_usage_is_exit_status_2() -> None:
    for args in ([], ["run"], ["frobnicate", "x"], ["run", "a", "b"], ["explain", "f", "c", "a"], ["matrix", "f"]):
        r = py_cli(*args)
        assert r.returncode == 2, args
        assert r.stdout == ""
        assert r.stderr.startswith("usage: python -m kms_share") and "\nkms-share: " in r.stderr, r.stderr


def test_unreadable_file_is_exit_status_2(tmp_path: Path) -> None:
    r = py_cli("run", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_invalid_document_is_exit_status_2(tmp_path: Path) -> None:
    f = tmp_path / "bad.json"
    f.write_text('{"version": 1, "steps": [', encoding="utf-8")
    r = py_cli("run", str(f))
    assert r.returncode == 2
    assert r.stderr.startswith(f"kms-share: {f}: InvalidParameter: the scenario is not valid JSON")
    # explain, matrix and who-can take a scenario or a state document.
    for args in (["explain", str(f), "a", "b", "c"], ["matrix", str(f), "kst-x"], ["who-can", str(f), "a", "b"]):
        r = py_cli(*args)
        assert r.returncode == 2, args
        assert r.stderr.startswith(f"kms-share: {f}: InvalidParameter: the document is not JSON"), r.stderr


def test_failed_expectation_is_exit_status_1(tmp_path: Path) -> None:
    f = tmp_path / "fails.json"
    f.write_text(json.dumps({"version": 1, "seed": 1, "steps": [
        {"caller": "acs:ram::1000000000000001:root", "action": "kms:GetKmsInstance",
         "params": {"InstanceId": "kst-none"}, "expect": {"ok": True}}]}), encoding="utf-8")
    r = py_cli("run", str(f))
    assert r.returncode == 1
    assert json.loads(r.stdout)["expectationsFailed"] == 1


def test_run_explain_matrix_succeed() -> None:
    r = py_cli("run", str(DEPT))
    assert r.returncode == 0 and json.loads(r.stdout)["passed"] is True
    r = py_cli("explain", str(DEPT), "acs:ram::1000000000000003:user/alice", "kms:Encrypt", "key-b1")
    assert r.returncode == 0 and json.loads(r.stdout)["effect"] == "Allow"
    r = py_cli("matrix", str(DEPT), "kst-depta")
    assert r.returncode == 0 and json.loads(r.stdout)["instanceId"] == "kst-depta"


def test_bad_question_is_exit_status_2() -> None:
    r = py_cli("explain", str(DEPT), "nobody", "kms:Encrypt", "key-b1")
    assert r.returncode == 2 and r.stderr.startswith("kms-share: InvalidParameter:")
    r = py_cli("matrix", str(DEPT), "kst-none")
    assert r.returncode == 2 and r.stderr.startswith("kms-share: NotFound:")


def test_help_and_version_print_to_stdout_and_exit_0() -> None:
    for flag in ("--help", "-h", "help"):
        r = py_cli(flag)
        assert (r.returncode, r.stderr) == (0, ""), flag
        assert r.stdout.startswith("usage:") and "migrate" in r.stdout
    for command in ("run", "explain", "matrix", "migrate"):
        r = py_cli(command, "--help")
        assert (r.returncode, r.stderr) == (0, ""), command
        assert r.stdout.startswith(f"usage: python -m kms_share {command}"), r.stdout
    r = py_cli("--version")
    assert (r.returncode, r.stdout, r.stderr) == (0, f"kms-share {kms_share.__version__}\n", "")


def test_migrate_prints_the_version_2_document_as_the_rust_cli_does(cli: str) -> None:
    v1 = REPO / "tests" / "scenarios-v1" / "213-faq-access-denied-by-sharing-account-not-a-principal.json"
    got = py_cli("migrate", str(v1))
    want = subprocess.run([cli, "migrate", str(v1)], capture_output=True, text=True, check=False)
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)
    assert got.returncode == 0 and json.loads(got.stdout)["version"] == 2
    assert got.stdout == (REPO / "tests" / "scenarios" / v1.name).read_text(encoding="utf-8")
    text, notes = kms_share.migrate(v1.read_text(encoding="utf-8"))
    assert text + "\n" == got.stdout and all(isinstance(n, str) for n in notes)


def test_review_prints_what_the_rust_cli_prints_and_writes_the_report(cli: str, tmp_path: Path) -> None:
    doc = REPO / "tests" / "review" / "findings.json"
    got = py_cli("review", str(doc), "--html", str(tmp_path / "py.html"))
    want = subprocess.run([cli, "review", str(doc), "--html", str(tmp_path / "rs.html")], capture_output=True, text=True, check=False)
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout) == (0, want.stdout)
    assert [f["rule"] for f in json.loads(got.stdout)["findings"]] == ["KI-4", "KI-6", "KI-3", "RS-7", "PM", "KI-2", "RS-4", "PM"]
    assert (tmp_path / "py.html").read_text(encoding="utf-8") == (tmp_path / "rs.html").read_text(encoding="utf-8")
    # A state document (the policy export) reviews the same as the scenario that built it.
    org, _ = kms_share.Organization.from_scenario(doc.read_text(encoding="utf-8"))
    state = tmp_path / "state.json"
    state.write_text(json.dumps(org.policy_export()), encoding="utf-8")
    again = py_cli("review", str(state), "--html", str(tmp_path / "state.html"))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["findings"] == json.loads(got.stdout)["findings"]
