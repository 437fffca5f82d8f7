"""kms-share: share one cloud KMS instance across the accounts of an organization.

The Python binding of the kms-share engine. Everything here is a thin layer over the
Rust core: the same scenario documents, the same decisions, byte-identical results.

>>> import kms_share
>>> org, result = kms_share.Organization.from_scenario(open("scenario.json").read())
>>> org.explain("acs:ram::1000000000000003:user/alice", "kms:Encrypt", "key-a1").allowed
False

- :class:`Organization`: load a scenario or a state, run steps (``step``, ``call``),
  ask questions (``explain``, ``is_allowed``, ``explain_many``, ``allowed_many``,
  ``who_can``, ``access_matrix``, ``what_if``), save and load sealed snapshots.
- :class:`Decision`, :class:`Check`, :class:`StepResult`, :class:`RunResult`: frozen
  result objects; ``to_dict()`` gives the core's JSON shape.
- :func:`run`: run a scenario document exactly as the ``kms-share run`` command does.
- :class:`KmsShareError` and one subclass per engine error code (see :mod:`kms_share.errors`).

- :func:`import_folder`: the organization a folder of saved vendor responses describes;
  :func:`kms_share.collect.collect` reads a real one into such a folder, read-only.

``python -m kms_share run|explain|matrix|who-can|review|import ...`` is the command line.
"""

import os

from . import errors, vendor_types
from ._native import (
    ERROR_CODES,
    FORMAT_VERSION,
    Check,
    Decision,
    Organization,
    RunResult,
    StepResult,
    __version__,
    migrate,
    run,
)
from .collect import responses as _responses
from .errors import (
    AccessDenied,
    AlreadyExists,
    BackendError,
    InternalError,
    CrossRegion,
    DecryptFailed,
    DefaultKeyNotShareable,
    DeletionProtected,
    DeprecatedPermission,
    InstanceNotShareable,
    InvalidInput,
    InvalidState,
    KmsShareError,
    LimitExceeded,
    ModeChangeNotAllowed,
    NameConflict,
    NotFound,
    NotSameDirectory,
    PrincipalResourcesRemain,
    QuotaExceeded,
    SharingNotEnabled,
    SnapshotInvalid,
)



def import_folder(folder: "str | os.PathLike[str]") -> "tuple[Organization, dict[str, object]]":
    """The organization a folder of saved vendor responses describes (docs/import.md),
    and the import's counts. Its keys can be decided on, not used for cryptography; what
    the responses could not say is in ``org.state()["gaps"]`` and makes the decisions
    that depend on it ``Undetermined``."""
    return Organization.from_responses(_responses(folder))


__all__ = [
    "import_folder",
    "ERROR_CODES",
    "FORMAT_VERSION",
    "Check",
    "Decision",
    "Organization",
    "RunResult",
    "StepResult",
    "__version__",
    "run",
    "migrate",
    "errors",
    "vendor_types",
    "KmsShareError",
    "InvalidInput",
    "NotFound",
    "AlreadyExists",
    "NameConflict",
    "AccessDenied",
    "QuotaExceeded",
    "InstanceNotShareable",
    "DefaultKeyNotShareable",
    "CrossRegion",
    "NotSameDirectory",
    "ModeChangeNotAllowed",
    "PrincipalResourcesRemain",
    "SharingNotEnabled",
    "DeprecatedPermission",
    "InvalidState",
    "DeletionProtected",
    "LimitExceeded",
    "DecryptFailed",
    "SnapshotInvalid",
    "BackendError",
    "InternalError",
]
