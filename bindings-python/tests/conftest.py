"""Shared fixtures: the scenario corpus, the Rust CLI to compare with, sample organizations."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

import kms_share

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "scenarios"
# The corpus in the vendor's names (version 2), then the same documents as version 1 wrote
# them: both must keep running.
CORPUS_V1 = REPO / "tests" / "scenarios-v1"
V2_SCENARIOS: List[Path] = sorted(CORPUS.glob("*.json"))
SCENARIOS: List[Path] = V2_SCENARIOS + sorted(CORPUS_V1.glob("*.json"))
DEPT = CORPUS / "01-dept-a-shares-with-dept-b.json"

# Identities of the department scenario (01): account 1 manages the directory,
# account 2 (Department A) owns instance kst-depta and shares it with account 3.
MGMT = "acs:ram::1000000000000001:root"
OWNER = "acs:ram::1000000000000002:root"
B_ROOT = "acs:ram::1000000000000003:root"
ALICE = "acs:ram::1000000000000003:user/alice"
INSTANCE = "kst-depta"
KEY = "key-b1"


@pytest.fixture(scope="session")
def cli() -> str:
    """The Rust `kms-share` binary (built by `make test-python`; built here if missing)."""
    path = os.environ.get("KMS_SHARE_CLI") or str(REPO / "target" / "debug" / "kms-share")
    if not os.path.exists(path):
        subprocess.run(["cargo", "build", "--quiet", "-p", "kms-share-cli"], cwd=REPO, check=True)
    assert os.path.exists(path), f"the Rust CLI is missing at {path}"
    return path


@pytest.fixture
def dept_text() -> str:
    return DEPT.read_text(encoding="utf-8")


@pytest.fixture
def dept_doc(dept_text: str) -> Dict[str, Any]:
    doc: Dict[str, Any] = json.loads(dept_text)
    return doc


@pytest.fixture
def org(dept_text: str) -> kms_share.Organization:
    """The department organization, after every step of scenario 01."""
    o, res = kms_share.Organization.from_scenario(dept_text)
    assert res.passed
    return o
