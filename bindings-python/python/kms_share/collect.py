"""Read a real organization from the vendor's API, read-only, into a folder of saved
responses (the layout of ``docs/import.md``), which :func:`import_folder` makes into an
:class:`~kms_share.Organization`.

It uses the official SDKs and the vendor's standard credential chain
(``alibabacloud-credentials``: environment variables, the CLI's profile file, STS, instance
roles). From the management account it reads the resource directory (folders, accounts);
it reaches each member account as the directory intends, by STS ``AssumeRole`` of the
member's directory access role (``ResourceDirectoryAccountAccessRole`` unless told
otherwise), and reads there the KMS instances, keys, aliases and secrets (never a value),
the resource shares the account owns, and its RAM users, roles and attached policies with
their documents. Every call it makes is a read (:data:`READ_CALLS`); throttled calls are
retried with backoff; accounts are read concurrently, a bounded number at a time; what
cannot be read is written to ``gaps.json`` and becomes the state's ``gaps``.

The SDKs are not dependencies of the engine: install them with
``pip install 'kms-share[collect]'``.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, TextIO, Tuple
from urllib.parse import quote

FORMAT = "kms-share-import/1"

#: The vendor actions the collector calls, every one a read. The tests check the
#: endpoint's audit trail against this list.
READ_CALLS = frozenset(
    {
        "resourcemanager:GetResourceDirectory",
        "resourcemanager:ListFoldersForParent",
        "resourcemanager:ListAccounts",
        "sts:AssumeRole",
        "kms:ListKmsInstances",
        "kms:GetKmsInstance",
        "kms:GetKmsInstanceQuotaInfos",
        "kms:ListKeys",
        "kms:DescribeKey",
        "kms:ListResourceTags",
        "kms:ListAliases",
        "kms:ListSecrets",
        "kms:DescribeSecret",
        "resourcesharing:ListResourceShares",
        "resourcesharing:ListResourceShareAssociations",
        "resourcesharing:ListResourceSharePermissions",
        "ram:ListUsers",
        "ram:ListRoles",
        "ram:ListPoliciesForUser",
        "ram:ListPoliciesForRole",
        "ram:GetPolicyVersion",
    }
)

#: The role the resource directory creates in the member accounts it creates.
DEFAULT_ROLE = "ResourceDirectoryAccountAccessRole"


class CollectError(Exception):
    """The collection could not start or was refused as a whole (no credentials, the
    management account's directory unreadable, a folder that is not empty)."""


@dataclass
class Summary:
    """What a collection read."""

    accounts: int = 0
    reached: int = 0
    calls: int = 0
    retries: int = 0
    gaps: List[Dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise CollectError(
            f"the collector needs the vendor's official SDKs ({e.name} is missing): pip install 'kms-share[collect]'"
        ) from e


class _Sdk:
    """The official SDKs' models and clients, loaded when a collection starts (they are
    not dependencies of the engine)."""

    def __init__(self) -> None:
        for attr, product in (("kms", "alibabacloud_kms20160120"), ("ram", "alibabacloud_ram20150501"),
                              ("rm", "alibabacloud_resourcemanager20200331"),
                              ("rs", "alibabacloud_resourcesharing20200110"), ("sts", "alibabacloud_sts20150401")):
            setattr(self, attr, _module(f"{product}.models"))
            setattr(self, attr.capitalize(), _module(f"{product}.client").Client)
        self.openapi = _module("alibabacloud_tea_openapi.utils_models")
        self.credentials = _module("alibabacloud_credentials.client").Client

    def __getattr__(self, name: str) -> Any:  # for the type checker: attributes set above
        raise AttributeError(name)


def _error_of(e: Exception) -> Tuple[str, str, Optional[int]]:
    """The vendor code, message and HTTP status of an SDK exception: the body's own
    ``Message`` when there is one (the exception's text adds the status and request id)."""
    code = getattr(e, "code", None) or type(e).__name__
    data = getattr(e, "data", None)
    data = data if isinstance(data, dict) else {}
    message = data.get("Message") or getattr(e, "message", None) or str(e)
    status = getattr(e, "status_code", None) or data.get("statusCode")
    text = str(message).splitlines()[0][:300] if message else ""
    return str(code), text, status


def _items(body: Dict[str, Any], outer: str, inner: str) -> List[Any]:
    """A list's items, written ``{"Outer": {"Inner": [..]}}`` (KMS, ResourceManager, RAM)."""
    items: List[Any] = (body.get(outer) or {}).get(inner) or []
    return items


def _retryable(code: str, status: Optional[int]) -> bool:
    return code.startswith("Throttling") or code in ("ServiceUnavailable", "ConnectionError") or status in (429, 503)


class Progress:
    """A progress bar on a terminal; on anything else, a line at each tenth of the work."""

    def __init__(self, total: int, stream: TextIO, enabled: bool, label: str = "accounts") -> None:
        self.total, self.stream, self.enabled, self.label = total, stream, enabled, label
        self.done = 0
        self.gaps = 0
        self.started = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last_tenth = -1
        self.lock = threading.Lock()

    def step(self, gaps: int) -> None:
        """One more unit done; ``gaps`` found so far in all."""
        with self.lock:
            self.done += 1
            self.gaps = gaps
            if self.enabled:
                self._draw()

    def _draw(self) -> None:
        total = max(self.total, 1)
        frac = self.done / total
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (total - self.done) / rate if rate > 0 else 0.0
        width = 30
        bar = "#" * int(frac * width) + "." * (width - int(frac * width))
        line = (
            f"kms-share import: {self.label} [{bar}] {self.done}/{self.total} "
            f"{frac:4.0%} {rate:.0f}/s, {self.gaps} gap(s), eta {eta:.0f}s"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if self.done >= self.total else ""))
            self.stream.flush()
        else:
            tenth = int(frac * 10)
            if tenth != self.last_tenth:
                self.last_tenth = tenth
                self.stream.write(line + "\n")
                self.stream.flush()


class _Collector:
    def __init__(
        self,
        folder: Path,
        *,
        endpoint: Optional[str],
        regions: Sequence[str],
        role_name: str,
        concurrency: int,
        max_retries: int,
        backoff: float,
        credential: Any,
        progress: Optional[bool],
        stream: TextIO,
    ) -> None:
        self.sdk = _Sdk()
        self.folder = folder
        self.endpoint = endpoint
        if not regions:
            raise CollectError("name at least one region")
        self.regions = list(regions)
        self.region = self.regions[0]
        self.role_name = role_name
        self.concurrency = max(1, concurrency)
        self.max_retries = max_retries
        self.backoff = backoff
        self.stream = stream
        self.progress_flag = progress
        self.summary = Summary()
        self.lock = threading.Lock()
        self.system_policies: Dict[Tuple[str, str], Dict[str, Any]] = {}
        if credential is None:
            credential = self.sdk.credentials()
        self.credential = credential

    # -- plumbing ---------------------------------------------------------------------

    def config(self, access: Optional[Tuple[str, str, str]] = None, region: Optional[str] = None) -> Any:
        kw: Dict[str, Any] = {"region_id": region or self.region}
        if access is None:
            kw["credential"] = self.credential
        else:
            kw["access_key_id"], kw["access_key_secret"], kw["security_token"] = access
        if self.endpoint:
            host = self.endpoint
            if host.startswith("http://"):
                kw["protocol"] = "http"
                host = host[len("http://"):]
            elif host.startswith("https://"):
                host = host[len("https://"):]
            kw["endpoint"] = host.rstrip("/")
        return self.sdk.openapi.Config(**kw)

    def clients(self, access: Optional[Tuple[str, str, str]], region: Optional[str] = None) -> Dict[str, Any]:
        region = region or self.region
        cfg = self.config(access, region)
        if not self.endpoint:
            # The vendor's endpoints: regional for KMS and ResourceSharing, global for the rest.
            kms_cfg = self.config(access, region)
            kms_cfg.endpoint = f"kms.{region}.aliyuncs.com"
            rs_cfg = self.config(access, region)
            rs_cfg.endpoint = f"resourcesharing.{region}.aliyuncs.com"
            rm_cfg = self.config(access)
            rm_cfg.endpoint = "resourcemanager.aliyuncs.com"
            ram_cfg = self.config(access)
            ram_cfg.endpoint = "ram.aliyuncs.com"
            sts_cfg = self.config(access)
            sts_cfg.endpoint = "sts.aliyuncs.com"
            return {
                "kms": self.sdk.Kms(kms_cfg), "rs": self.sdk.Rs(rs_cfg), "rm": self.sdk.Rm(rm_cfg),
                "ram": self.sdk.Ram(ram_cfg), "sts": self.sdk.Sts(sts_cfg),
            }
        return {
            "kms": self.sdk.Kms(cfg), "rs": self.sdk.Rs(cfg), "rm": self.sdk.Rm(cfg),
            "ram": self.sdk.Ram(cfg), "sts": self.sdk.Sts(cfg),
        }

    def call(self, name: str, fn: Callable[[], Any]) -> Dict[str, Any]:
        """One read, retried with backoff while throttled; the body as the SDK maps it."""
        if name not in READ_CALLS:
            raise ValueError(f"{name} is not one of the collector's reads")
        attempt = 0
        while True:
            with self.lock:
                self.summary.calls += 1
            try:
                body: Dict[str, Any] = fn().body.to_map()
                return body
            except Exception as e:  # the SDKs raise several exception types
                code, _, status = _error_of(e)
                if attempt >= self.max_retries or not _retryable(code, status):
                    raise
                attempt += 1
                with self.lock:
                    self.summary.retries += 1
                delay = min(self.backoff * (2 ** (attempt - 1)), 10.0)
                time.sleep(delay * (0.5 + random.random() / 2))

    def gap(self, part: str, account: Optional[str], call: str, e: Exception, subject: str = "") -> Dict[str, Any]:
        code, message, _ = _error_of(e)
        g: Dict[str, Any] = {"part": part, "call": call, "code": code}
        if account:
            g["account"] = account
        if subject:
            g["subject"] = subject
        if message:
            g["message"] = message
        with self.lock:
            self.summary.gaps.append(g)
        return g

    def save(self, rel: str, body: Dict[str, Any]) -> None:
        path = self.folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    # -- paging -----------------------------------------------------------------------

    def pages_numbered(self, name: str, fn: Callable[[int], Any], items: Callable[[Dict[str, Any]], List[Any]]) -> Iterator[Dict[str, Any]]:
        """KMS and ResourceManager: PageNumber from 1, PageSize 100, until TotalCount."""
        page, seen = 1, 0
        while True:
            body = self.call(name, lambda: fn(page))
            yield body
            got = len(items(body))
            seen += got
            if got == 0 or seen >= int(body.get("TotalCount", 0) or 0):
                return
            page += 1

    def pages_token(self, name: str, fn: Callable[[Optional[str]], Any]) -> Iterator[Dict[str, Any]]:
        """ResourceSharing: NextToken."""
        token: Optional[str] = None
        while True:
            body = self.call(name, lambda: fn(token))
            yield body
            token = body.get("NextToken") or None
            if not token:
                return

    def pages_marker(self, name: str, fn: Callable[[Optional[str]], Any]) -> Iterator[Dict[str, Any]]:
        """RAM: Marker while IsTruncated."""
        marker: Optional[str] = None
        while True:
            body = self.call(name, lambda: fn(marker))
            yield body
            if not body.get("IsTruncated"):
                return
            marker = body.get("Marker")

    def save_pages(self, stem: str, pages: Iterator[Dict[str, Any]]) -> List[Dict[str, Any]]:
        out = list(pages)
        if len(out) == 1:
            self.save(f"{stem}.json", out[0])
        else:
            for i, body in enumerate(out, 1):
                self.save(f"{stem}.{i}.json", body)
        return out

    # -- the directory ----------------------------------------------------------------

    def directory(self, c: Dict[str, Any]) -> Tuple[str, List[str]]:
        sdk = self.sdk
        try:
            d = self.call("resourcemanager:GetResourceDirectory", lambda: c["rm"].get_resource_directory())
        except Exception as e:
            code, message, _ = _error_of(e)
            raise CollectError(
                f"the resource directory could not be read ({code}: {message}); run the import with the "
                "management account's credentials (resourcemanager:GetResourceDirectory, ListFoldersForParent, ListAccounts)"
            ) from e
        self.save("directory/GetResourceDirectory.json", d)
        rd = d.get("ResourceDirectory") or {}
        management, root = rd.get("MasterAccountId", ""), rd.get("RootFolderId", "")
        queue = [root]
        while queue:
            parent = queue.pop()
            try:
                bodies = self.save_pages(
                    f"directory/ListFoldersForParent/{parent}",
                    self.pages_numbered(
                        "resourcemanager:ListFoldersForParent",
                        lambda n: c["rm"].list_folders_for_parent(
                            sdk.rm.ListFoldersForParentRequest(parent_folder_id=parent, page_number=n, page_size=100)
                        ),
                        lambda b: _items(b, "Folders", "Folder"),
                    ),
                )
            except Exception as e:
                self.gap("Directory", None, "resourcemanager:ListFoldersForParent", e, parent)
                continue
            for b in bodies:
                queue.extend(f["FolderId"] for f in _items(b, "Folders", "Folder"))
        try:
            bodies = self.save_pages(
                "directory/ListAccounts",
                self.pages_numbered(
                    "resourcemanager:ListAccounts",
                    lambda n: c["rm"].list_accounts(sdk.rm.ListAccountsRequest(page_number=n, page_size=100)),
                    lambda b: _items(b, "Accounts", "Account"),
                ),
            )
        except Exception as e:
            code, message, _ = _error_of(e)
            raise CollectError(f"the directory's accounts could not be listed ({code}: {message})") from e
        accounts = [a["AccountId"] for b in bodies for a in _items(b, "Accounts", "Account")]
        return management, accounts

    # -- one account ------------------------------------------------------------------

    def reach(self, base: Dict[str, Any], management: str, account: str) -> Tuple[bool, Optional[Tuple[str, str, str]]]:
        """Whether ``account`` can be read, and with what: ``None`` for the management
        account (the credential chain), the role's temporary AccessKey for a member."""
        if account == management:
            return True, None
        arn = f"acs:ram::{account}:role/{self.role_name}"
        try:
            body = self.call(
                "sts:AssumeRole",
                lambda: base["sts"].assume_role(
                    self.sdk.sts.AssumeRoleRequest(role_arn=arn, role_session_name="kms-share-import", duration_seconds=3600)
                ),
            )
        except Exception as e:
            self.gap("Account", account, "sts:AssumeRole", e, arn)
            return False, None
        cred = body["Credentials"]
        return True, (cred["AccessKeyId"], cred["AccessKeySecret"], cred["SecurityToken"])

    def account(self, base: Dict[str, Any], management: str, account: str) -> int:
        reached, key = self.reach(base, management, account)
        if reached:
            with self.lock:
                self.summary.reached += 1
            at = f"accounts/{account}"
            for region in self.regions:
                # KMS and ResourceSharing are regional: with several regions each list's
                # files are `<List>@<region>.json`, which the import merges (docs/import.md).
                tag = f"@{region}" if len(self.regions) > 1 else ""
                c = self.clients(key, region)
                self.kms(c, account, at, tag)
                self.sharing(c, account, at, tag)
            self.ram(self.clients(key), account, at)
        with self.lock:
            return len(self.summary.gaps)

    def kms_list(self, c: Dict[str, Any], account: str, at: str, tag: str, name: str, outer: str, inner: str) -> List[Any]:
        """A paged KMS list, saved as ``kms/<name><tag>.json``: its items; none, and a gap,
        when it cannot be read."""
        method = getattr(c["kms"], re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())
        request = getattr(self.sdk.kms, f"{name}Request")
        try:
            bodies = self.save_pages(
                f"{at}/kms/{name}{tag}",
                self.pages_numbered(
                    f"kms:{name}", lambda n: method(request(page_number=n, page_size=100)), lambda b: _items(b, outer, inner)
                ),
            )
        except Exception as e:
            self.gap("Kms", account, f"kms:{name}", e)
            return []
        return [i for b in bodies for i in _items(b, outer, inner)]

    def describe(self, account: str, call: str, fn: Callable[[], Any], rel: str, subject: str) -> None:
        """One detail read saved at ``rel``; a gap about ``subject`` when it cannot be read."""
        try:
            self.save(rel, self.call(call, fn))
        except Exception as e:
            self.gap("Kms", account, call, e, subject)

    def kms(self, c: Dict[str, Any], account: str, at: str, tag: str = "") -> None:
        kms, client = self.sdk.kms, c["kms"]
        for i in self.kms_list(c, account, at, tag, "ListKmsInstances", "KmsInstances", "KmsInstance"):
            iid = i["KmsInstanceId"]
            # The owner's reads describe an instance; a principal sees it listed.
            if (i.get("KmsInstanceArn") or "").split(":")[3:4] != [account]:
                continue
            self.describe(account, "kms:GetKmsInstance",
                          lambda: client.get_kms_instance(kms.GetKmsInstanceRequest(kms_instance_id=iid)),
                          f"{at}/kms/GetKmsInstance/{iid}.json", iid)
            self.describe(account, "kms:GetKmsInstanceQuotaInfos",
                          lambda: client.get_kms_instance_quota_infos(kms.GetKmsInstanceQuotaInfosRequest(kms_instance_id=iid)),
                          f"{at}/kms/GetKmsInstanceQuotaInfos/{iid}.json", iid)
        for k in self.kms_list(c, account, at, tag, "ListKeys", "Keys", "Key"):
            kid = k["KeyId"]
            self.describe(account, "kms:DescribeKey", lambda: client.describe_key(kms.DescribeKeyRequest(key_id=kid)),
                          f"{at}/kms/DescribeKey/{quote(kid, safe='-_.')}.json", kid)
            # A key's tags are what `kms:tag/<key>` conditions in RAM policies read.
            self.describe(account, "kms:ListResourceTags",
                          lambda: client.list_resource_tags(kms.ListResourceTagsRequest(key_id=kid)),
                          f"{at}/kms/ListResourceTags/{quote(kid, safe='-_.')}.json", kid)
        self.kms_list(c, account, at, tag, "ListAliases", "Aliases", "Alias")
        for sec in self.kms_list(c, account, at, tag, "ListSecrets", "SecretList", "Secret"):
            name = sec["SecretName"]
            self.describe(account, "kms:DescribeSecret",
                          lambda: client.describe_secret(kms.DescribeSecretRequest(secret_name=name, fetch_tags="true")),
                          f"{at}/kms/DescribeSecret/{quote(name, safe='-_.')}{tag}.json", name)

    def sharing(self, c: Dict[str, Any], account: str, at: str, tag: str = "") -> None:
        rs = self.sdk.rs
        try:
            bodies = self.save_pages(
                f"{at}/resourcesharing/ListResourceShares{tag}",
                self.pages_token(
                    "resourcesharing:ListResourceShares",
                    lambda t: c["rs"].list_resource_shares(
                        rs.ListResourceSharesRequest(resource_owner="Self", max_results=100, next_token=t)
                    ),
                ),
            )
            for kind in ("Resource", "Target"):
                self.save_pages(
                    f"{at}/resourcesharing/ListResourceShareAssociations.{kind}{tag}",
                    self.pages_token(
                        "resourcesharing:ListResourceShareAssociations",
                        lambda t: c["rs"].list_resource_share_associations(
                            rs.ListResourceShareAssociationsRequest(association_type=kind, max_results=100, next_token=t)
                        ),
                    ),
                )
            for b in bodies:
                for s in b.get("ResourceShares") or []:
                    sid = s["ResourceShareId"]
                    try:
                        body = self.call(
                            "resourcesharing:ListResourceSharePermissions",
                            lambda: c["rs"].list_resource_share_permissions(
                                rs.ListResourceSharePermissionsRequest(resource_share_id=sid, resource_owner="Self")
                            ),
                        )
                        self.save(f"{at}/resourcesharing/ListResourceSharePermissions/{sid}.json", body)
                    except Exception as e:
                        self.gap("Sharing", account, "resourcesharing:ListResourceSharePermissions", e, sid)
        except Exception as e:
            self.gap("Sharing", account, "resourcesharing:ListResourceShares", e)

    def ram(self, c: Dict[str, Any], account: str, at: str) -> None:
        ram = self.sdk.ram
        wanted: Dict[Tuple[str, str], str] = {}
        for kind, list_name, outer, inner, field_name, per in (
            ("user", "ListUsers", "Users", "User", "UserName", "ListPoliciesForUser"),
            ("role", "ListRoles", "Roles", "Role", "RoleName", "ListPoliciesForRole"),
        ):
            try:
                if kind == "user":
                    pages = self.pages_marker(
                        "ram:ListUsers", lambda m: c["ram"].list_users(ram.ListUsersRequest(marker=m, max_items=1000))
                    )
                else:
                    pages = self.pages_marker(
                        "ram:ListRoles", lambda m: c["ram"].list_roles(ram.ListRolesRequest(marker=m, max_items=1000))
                    )
                bodies = self.save_pages(f"{at}/ram/{list_name}", pages)
            except Exception as e:
                self.gap("Ram", account, f"ram:{list_name}", e)
                continue
            for b in bodies:
                for who in _items(b, outer, inner):
                    name = who[field_name]
                    try:
                        if kind == "user":
                            body = self.call(
                                "ram:ListPoliciesForUser",
                                lambda: c["ram"].list_policies_for_user(ram.ListPoliciesForUserRequest(user_name=name)),
                            )
                        else:
                            body = self.call(
                                "ram:ListPoliciesForRole",
                                lambda: c["ram"].list_policies_for_role(ram.ListPoliciesForRoleRequest(role_name=name)),
                            )
                        self.save(f"{at}/ram/{per}/{name}.json", body)
                    except Exception as e:
                        self.gap("Ram", account, f"ram:{per}", e, f"{kind}/{name}")
                        continue
                    for p in _items(body, "Policies", "Policy"):
                        wanted[(p.get("PolicyType", "Custom"), p["PolicyName"])] = p.get("DefaultVersion") or "v1"
        for (ptype, pname), version in sorted(wanted.items()):
            key = (ptype, pname)
            try:
                if ptype == "System" and key in self.system_policies:
                    body = self.system_policies[key]
                else:
                    body = self.call(
                        "ram:GetPolicyVersion",
                        lambda: c["ram"].get_policy_version(
                            ram.GetPolicyVersionRequest(policy_name=pname, policy_type=ptype, version_id=version)
                        ),
                    )
                    if ptype == "System":
                        with self.lock:
                            self.system_policies[key] = body
                self.save(f"{at}/ram/GetPolicyVersion/{ptype}/{pname}.json", body)
            except Exception as e:
                self.gap("Policy", account, "ram:GetPolicyVersion", e, pname)

    # -- the whole run ----------------------------------------------------------------

    def run(self) -> Summary:
        started = time.monotonic()
        base = self.clients(None)
        management, accounts = self.directory(base)
        if management and management not in accounts:
            accounts.insert(0, management)
        self.summary.accounts = len(accounts)
        enabled = self.progress_flag if self.progress_flag is not None else (
            hasattr(self.stream, "isatty") and self.stream.isatty()
        )
        bar = Progress(len(accounts), self.stream, enabled)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for gaps in pool.map(lambda a: self.account(base, management, a), accounts):
                bar.step(gaps)
        self.summary.seconds = time.monotonic() - started
        self.save("gaps.json", self.summary.gaps)  # type: ignore[arg-type]
        self.save(
            "manifest.json",
            {
                "format": FORMAT,
                "regions": self.regions,
                "managementAccountId": management,
                "roleName": self.role_name,
                "collectedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "accounts": self.summary.accounts,
                "reached": self.summary.reached,
                "calls": self.summary.calls,
            },
        )
        return self.summary


def collect(
    folder: "str | os.PathLike[str]",
    *,
    endpoint: Optional[str] = None,
    region: "str | Sequence[str]" = "cn-hangzhou",
    role_name: str = DEFAULT_ROLE,
    concurrency: int = 8,
    max_retries: int = 6,
    backoff: float = 0.5,
    credential: Any = None,
    progress: Optional[bool] = None,
    stream: Optional[TextIO] = None,
) -> Summary:
    """Read the organization the credentials' management account runs into ``folder``
    (created; it must not hold files already), read-only.

    ``region`` is one region or several: KMS instances and resource shares are read in
    each. ``endpoint`` sends every product to one endpoint (``http://127.0.0.1:8787`` for
    ``kms-share serve``); without it the vendor's own endpoints for ``region`` are used.
    ``credential`` is an ``alibabacloud_credentials`` client (default: the standard
    chain). ``progress`` shows a progress bar (default: when ``stream``, stderr by
    default, is a terminal).

    Raises :class:`CollectError` when the directory cannot be read at all; everything
    narrower is a gap in ``gaps.json`` and in the returned :class:`Summary`.
    """
    root = Path(folder)
    if root.exists() and any(root.iterdir()):
        raise CollectError(f"`{root}` is not empty: collect into a new folder, so no older response is mixed in")
    root.mkdir(parents=True, exist_ok=True)
    return _Collector(
        root,
        endpoint=endpoint,
        regions=[region] if isinstance(region, str) else list(region),
        role_name=role_name,
        concurrency=concurrency,
        max_retries=max_retries,
        backoff=backoff,
        credential=credential,
        progress=progress,
        stream=stream if stream is not None else sys.stderr,
    ).run()


def responses(folder: "str | os.PathLike[str]") -> Dict[str, str]:
    """Every saved response of ``folder``, by its path relative to it (``/``-separated)."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"`{root}` is not a folder of saved responses (docs/import.md)")
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.json"))}
