"""Fixtures for the official-SDK tests of `kms-share serve`.

A server is started per test module on a free loopback port, with the operator's
AccessKey given in the environment as a user would give it; clients are the official
product clients (and the generic `call_api` for the simulator's own calls), pointed at it
over http.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from darabonba.runtime import RuntimeOptions

CLI = os.environ.get("KMS_SHARE_CLI", "target/debug/kms-share")
OPERATOR_ID = "LTAIkmsShareOperatorKey"
OPERATOR_SECRET = "operator-secret-for-tests-only-0123"

# Python's HTTP stack would send 127.0.0.1 calls to a proxy (VENDOR-API.md).
for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(var, None)


@dataclass
class Server:
    endpoint: str
    process: subprocess.Popen[str]
    banner: list[str]


def start_server(*args: str, env: dict[str, str] | None = None) -> Server:
    full_env = dict(os.environ)
    full_env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": OPERATOR_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": OPERATOR_SECRET})
    if env is not None:
        full_env = {k: v for k, v in full_env.items() if not k.startswith("ALIBABA_CLOUD_")}
        full_env.update(env)
    p = subprocess.Popen(
        [CLI, "serve", "--listen", "127.0.0.1:0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )
    assert p.stdout is not None
    banner = []
    for _ in range(6):
        line = p.stdout.readline()
        if not line:
            break
        banner.append(line.rstrip("\n"))
        if line.startswith("operator AccessKey"):
            if "made now" in line:
                banner += [p.stdout.readline().rstrip("\n"), p.stdout.readline().rstrip("\n")]
            break
    if not banner or "listening on http://" not in banner[0]:
        p.kill()
        _, err = p.communicate(timeout=10)
        raise AssertionError(f"the server did not start: {banner} {err}")
    endpoint = banner[0].split("http://", 1)[1].split(" ", 1)[0]
    return Server(endpoint=endpoint, process=p, banner=banner)


def stop_server(s: Server) -> None:
    s.process.kill()
    s.process.communicate(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = start_server()
    yield s
    stop_server(s)


def config(endpoint: str, ak: str, secret: str, region_id: str = "cn-hangzhou", **extra: Any) -> open_api_models.Config:
    return open_api_models.Config(
        access_key_id=ak, access_key_secret=secret, endpoint=endpoint, protocol="http", region_id=region_id, **extra
    )


def simulator_call(endpoint: str, ak: str, secret: str, action: str, query: dict[str, str]) -> dict[str, Any]:
    """The simulator's own calls (product KmsShare, version 2026-01-01) through the SDK's
    generic `call_api`: the product clients do not know them."""
    client = OpenApiClient(config(endpoint, ak, secret))
    params = open_api_models.Params(
        action=action,
        version="2026-01-01",
        protocol="HTTP",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    return client.call_api(params, open_api_models.OpenApiRequest(query=query), RuntimeOptions())["body"]
