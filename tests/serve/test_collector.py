"""The collector's own behaviour, without a server: throttled calls retried with growing
backoff, a call throttled past its retries a gap (not a failure of the whole import), no
retry for a refusal, no call outside its reads, and its progress bar (issue "Import a real
organization and review it", items 1 and 3)."""

from __future__ import annotations

import io
import types
from pathlib import Path
from typing import Any

import pytest

from kms_share import collect as c


class Refused(Exception):
    """What the SDKs raise: a code, an HTTP status and the body."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(f"code: {status}, {code}")
        self.code, self.status_code = code, status
        self.data = {"Code": code, "Message": f"{code} for the test", "statusCode": status}


def answer(body: dict[str, Any]) -> Any:
    return types.SimpleNamespace(body=types.SimpleNamespace(to_map=lambda: body))


def collector(tmp_path: Path, retries: int = 3) -> Any:
    return c._Collector(
        tmp_path, endpoint="http://127.0.0.1:9", regions=["cn-hangzhou"], role_name="R", concurrency=1,
        max_retries=retries, backoff=0.01, credential=object(), progress=False, stream=io.StringIO(),
    )


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(c.time, "sleep", slept.append)
    return slept


def test_a_throttled_read_is_retried_with_growing_backoff(tmp_path: Path, sleeps: list[float]) -> None:
    col = collector(tmp_path, retries=5)
    outcomes: list[Any] = [Refused("Throttling.User", 400), Refused("Throttling", 400), Refused("ServiceUnavailable", 503)]

    def call() -> Any:
        if outcomes:
            raise outcomes.pop(0)
        return answer({"Keys": {"Key": []}, "TotalCount": 0})

    assert col.call("kms:ListKeys", call) == {"Keys": {"Key": []}, "TotalCount": 0}
    assert (col.summary.calls, col.summary.retries) == (4, 3)
    # Each wait is the base doubled per attempt, with jitter in [1/2, 1] of it.
    assert [0.005 <= sleeps[0] <= 0.01, 0.01 <= sleeps[1] <= 0.02, 0.02 <= sleeps[2] <= 0.04] == [True] * 3


def test_a_read_throttled_past_its_retries_is_a_gap_not_a_failed_import(tmp_path: Path, sleeps: list[float]) -> None:
    col = collector(tmp_path, retries=2)

    class Kms:
        def list_kms_instances(self, _: Any) -> Any:
            return answer({"KmsInstances": {"KmsInstance": []}, "TotalCount": 0})

        def list_keys(self, _: Any) -> Any:
            raise Refused("Throttling.User", 400)

        def list_aliases(self, _: Any) -> Any:
            return answer({"Aliases": {"Alias": []}, "TotalCount": 0})

        def list_secrets(self, _: Any) -> Any:
            return answer({"SecretList": {"Secret": []}, "TotalCount": 0})

    col.kms({"kms": Kms()}, "1000000000000002", "accounts/1000000000000002")
    assert col.summary.gaps == [{"part": "Kms", "call": "kms:ListKeys", "code": "Throttling.User",
                                 "account": "1000000000000002", "message": "Throttling.User for the test"}]
    assert col.summary.retries == 2 and len(sleeps) == 2
    # What did answer is kept.
    assert (tmp_path / "accounts/1000000000000002/kms/ListAliases.json").exists()


def test_a_refusal_is_not_retried_and_a_write_is_never_called(tmp_path: Path, sleeps: list[float]) -> None:
    col = collector(tmp_path)

    def refused() -> Any:
        raise Refused("Forbidden.NoPermission", 403)

    with pytest.raises(Refused):
        col.call("kms:ListKeys", refused)
    assert (col.summary.calls, col.summary.retries, sleeps) == (1, 0, [])
    with pytest.raises(ValueError, match="not one of the collector's reads"):
        col.call("kms:CreateKey", lambda: answer({}))
    assert all(name.split(":", 1)[1].startswith(("List", "Get", "Describe", "AssumeRole")) for name in c.READ_CALLS)


def test_collect_refuses_a_folder_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text("{}")
    with pytest.raises(c.CollectError, match="is not empty"):
        c.collect(tmp_path, endpoint="http://127.0.0.1:9")


def test_the_progress_bar_redraws_on_a_terminal_and_prints_tenths_elsewhere() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = c.Progress(4, tty, True)
    for gaps in (0, 1, 1, 2):
        bar.step(gaps)
    text = tty.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n")
    assert "[##############################] 4/4 100%" in text and "2 gap(s)" in text
    log = io.StringIO()
    bar = c.Progress(100, log, True)
    for _ in range(100):
        bar.step(0)
    lines = log.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].split("] ")[1].startswith("100/100")
    quiet = io.StringIO()
    c.Progress(3, quiet, False).step(0)
    assert quiet.getvalue() == ""
