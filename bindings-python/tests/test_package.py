"""The package: stubs checked against the runtime, py.typed, the README's example."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import kms_share
from conftest import DEPT

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"


def test_stubs_match_the_runtime(tmp_path: Path) -> None:
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "mypy-cache"))
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "kms_share"],
                       capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    # It checked the package and its submodules, the native one included.
    assert "in 6 modules" in r.stdout, r.stdout


def test_package_and_tests_type_check_strictly(tmp_path: Path) -> None:
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "mypy-cache"))
    for target in (["-p", "kms_share"], [str(HERE)]):
        r = subprocess.run([sys.executable, "-m", "mypy", "--strict", *target],
                           capture_output=True, text=True, env=env, check=False, cwd=HERE)
        assert r.returncode == 0, r.stdout + r.stderr


def test_package_is_typed_and_lays_out_its_private_native_module() -> None:
    root = Path(kms_share.__file__).parent
    assert (root / "py.typed").exists()
    assert (root / "_native.pyi").exists()
    assert kms_share.Organization.__module__ == "kms_share._native"
    assert set(kms_share.__all__) <= set(dir(kms_share))


def readme_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has a python example"
    return str(blocks[0])


def test_readme_example_is_ten_lines_type_checks_and_answers(tmp_path: Path) -> None:
    code = readme_example()
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) <= 10
    script = tmp_path / "who_can_decrypt.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "mypy-cache"))
    typed = subprocess.run([sys.executable, "-m", "mypy", "--strict", str(script)],
                           capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    assert typed.returncode == 0, typed.stdout + typed.stderr
    r = subprocess.run([sys.executable, str(script), str(DEPT), "key-b1"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert [line.split()[0] for line in out] == [
        "acs:ram::1000000000000002:root",
        "acs:ram::1000000000000003:root",
        "acs:ram::1000000000000003:user/alice",
    ]
