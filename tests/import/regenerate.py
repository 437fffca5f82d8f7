"""Regenerate tests/import/example (the saved responses) and example-state.json (what the
import makes of them) from example-org.json.

    make sdk-venv python-wheel && .venv-sdk/bin/python -m pip install --no-deps --force-reinstall target/python/wheels/kms_share-*.whl
    cargo build -p kms-share-cli
    .venv-sdk/bin/python tests/import/regenerate.py

It serves example-org.json with `kms-share serve --from`, reads it back with the collector
(`python -m kms_share import`, the official SDKs) as the management account, then removes
the `ResourceProperty` of kst-lab's association, as a share made in the vendor's console
would read (no mode recorded: the import says `Unknown`, README Semantics 32).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLI = os.environ.get("KMS_SHARE_CLI", str(ROOT / "target/debug/kms-share"))
OPERATOR = ("LTAIkmsShareExampleOperator", "example-operator-secret-0123456789")


def main() -> int:
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        os.environ.pop(var, None)
    env = dict(os.environ, ALIBABA_CLOUD_ACCESS_KEY_ID=OPERATOR[0], ALIBABA_CLOUD_ACCESS_KEY_SECRET=OPERATOR[1])
    server = subprocess.Popen(
        [CLI, "serve", "--listen", "127.0.0.1:0", "--from", str(HERE / "example-org.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        endpoint = first.split("http://", 1)[1].split(" ", 1)[0]
        out = HERE / "example"
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "kms_share", "import", "--endpoint", f"http://{endpoint}",
             "--save", str(out), "--out", os.devnull, "--no-progress"],
            check=True, env=env,
        )
    finally:
        server.kill()
        server.communicate()
    assoc = out / "accounts/1000000000000002/resourcesharing/ListResourceShareAssociations.Resource.json"
    body = json.loads(assoc.read_text())
    for a in body["ResourceShareAssociations"]:
        if a["EntityId"] == "kst-lab":
            a.pop("ResourceProperty", None)
    assoc.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    state = subprocess.run([CLI, "import", str(out)], check=True, capture_output=True, text=True).stdout
    (HERE / "example-state.json").write_text(state)
    print(f"wrote {out} and {HERE / 'example-state.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
