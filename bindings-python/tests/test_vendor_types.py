"""The vendor's response types (`kms_share.vendor_types`, generated from the core's
response types): every field a response of the corpus holds is one its class declares."""

from __future__ import annotations

import typing
from typing import Any, Dict, List

import kms_share
from kms_share import vendor_types
from conftest import V2_SCENARIOS


def _undeclared(value: Any, cls: Any, path: str) -> List[str]:
    """Keys of `value` (and of the objects inside it) its class does not declare."""
    hints: Dict[str, Any] = typing.get_type_hints(cls)
    out: List[str] = []
    for key, v in value.items():
        if key not in hints:
            out.append(f"{path}.{key}")
            continue
        t = hints[key]
        inner = typing.get_args(t)[0] if typing.get_origin(t) is list else t
        if isinstance(inner, type) and issubclass(inner, dict):
            for i, item in enumerate(v if isinstance(v, list) else [v]):
                out.extend(_undeclared(item, inner, f"{path}.{key}[{i}]"))
    return out


def test_every_response_of_the_corpus_fits_its_generated_class() -> None:
    seen = set()
    failures: List[str] = []
    for path in V2_SCENARIOS:
        res = kms_share.run(path.read_text(encoding="utf-8"))
        for s in res.steps:
            name = s.action.split(":")[-1]
            if not s.ok or name not in vendor_types.RESPONSES:
                continue
            seen.add(name)
            cls = getattr(vendor_types, vendor_types.RESPONSES[name])
            assert isinstance(s.result, dict)
            failures.extend(f"{path.name} step {s.index}: {p}" for p in _undeclared(s.result, cls, name))
    assert failures == []
    assert seen == set(vendor_types.RESPONSES), set(vendor_types.RESPONSES) - seen


def test_a_call_result_is_typed_by_a_cast(org: kms_share.Organization) -> None:
    created = typing.cast(
        vendor_types.KeyMetadataResponse,
        org.call("acs:ram::1000000000000003:root", "kms:CreateKey", {"DKMSInstanceId": "kst-depta"}),
    )
    metadata = created["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled" and metadata["DKMSInstanceId"] == "kst-depta"
    assert vendor_types.RESPONSES["CreateKey"] == "KeyMetadataResponse"
