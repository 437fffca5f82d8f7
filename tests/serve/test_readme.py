"""The README's examples against `kms-share serve` run as written: "Point your SDK at it"
(its Python block) and "Review your own organization" (its shell block), each against a
server started as the README starts it, print what the README says they print."""

from __future__ import annotations

import os
import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import start_server, stop_server

README = Path(__file__).resolve().parents[2] / "README.md"
SCENARIO = Path(__file__).resolve().parents[2] / "tests/scenarios/01-dept-a-shares-with-dept-b.json"


def test_the_readme_example_prints_the_accounts_and_the_explained_denial() -> None:
    text = README.read_text()
    marker = text.index("<!-- serve-example:")
    block = re.search(r"```python\n(.*?)```", text[marker:], re.S)
    assert block, "the README's serve example has a Python block after its marker"
    # The README starts the server as a user would, whose AccessKey it prints.
    server = start_server("--from", str(SCENARIO), env={})
    try:
        exports = dict(line.strip().removeprefix("export ").split("=", 1) for line in server.banner if "export " in line)
        assert set(exports) == {"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"}, server.banner
        code = block.group(1).replace("127.0.0.1:8787", server.endpoint)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")} | exports
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    finally:
        stop_server(server)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "1000000000000001 None",
        "1000000000000002 Department-A",
        "1000000000000003 Department-B",
        "Forbidden.NoPermission",
        "  sharing",
        "  access denied by the sharing check (RS-2): account 1000000000000001 is not an associated principal"
        " of any active share that holds instance kst-depta",
        "  ask the owner 1000000000000002 to add account 1000000000000001 (or a folder containing it) to a"
        " resource share that holds kst-depta",
    ]


def test_the_readme_import_example_reads_the_served_organization_and_answers(tmp_path: Path) -> None:
    text = README.read_text()
    marker = text.index("<!-- import-example:")
    block = re.search(r"```sh\n(.*?)```", text[marker:], re.S)
    assert block, "the README's import example has a shell block after its marker"
    server = start_server("--from", str(README.parent / "tests/import/example-org.json"), env={})
    try:
        exports = dict(line.strip().removeprefix("export ").split("=", 1) for line in server.banner if "export " in line)
        script = block.group(1).replace("127.0.0.1:8787", server.endpoint)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")} | exports
        # `python` is the one with the engine and the SDKs, as `.venv/bin/` gives it in the README.
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=120)
    finally:
        stop_server(server)
    assert run.returncode == 0, run.stderr
    assert "read 3 of 4 account(s)" in run.stderr and "gap: Account of account 1000000000000004" in run.stderr
    out = run.stdout
    who_end = out.index("\n]\n") + 3
    who = json.loads(out[:who_end])
    assert [w["identity"] for w in who] == [
        "acs:ram::1000000000000002:root", "acs:ram::1000000000000003:root", "acs:ram::1000000000000003:user/alice",
        "acs:ram::1000000000000003:user/auditor"]
    rest = out[who_end:]
    decision = json.loads(rest[: rest.index("\n}\n") + 3])
    assert (decision["effect"], decision["undeterminedBy"]) == ("Undetermined", "ramPolicy")
    review = json.loads(rest[rest.index("\n}\n") + 3:])
    assert any(f["rule"] == "AZ-3" and f["subject"] == "1000000000000004" for f in review["findings"])
    assert (tmp_path / "review.html").exists() and (tmp_path / "org.json").exists()
