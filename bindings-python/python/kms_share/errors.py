"""The exceptions of kms-share: one base, :class:`KmsShareError`, and one subclass per
stable error code of the engine (``ErrorCode`` in ``core/src/error.rs``).

Every exception carries the engine's error as attributes: ``code`` (the stable machine
code, e.g. ``"QuotaExceeded"``), ``message``, ``rule`` (the rule id, listed in ``docs/rules.md``, or
``None``), ``field`` (the input field that was bad, or ``None``) and ``decision`` (for
:class:`AccessDenied`, the :class:`~kms_share.Decision` that denied the call).

A *denial found by a query* (``explain``, ``is_allowed``) is a value, not an exception:
only calls that were refused raise :class:`AccessDenied`.

The native module builds these exceptions through :func:`_from_native`; a code without a
class here gives the base class. ``tests/test_errors.py`` checks that every engine code has its class.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type

__all__ = [
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


class KmsShareError(Exception):
    """An error of the kms-share engine, with its stable ``code``.

    Catch this to handle every engine error; catch a subclass for one code.
    """

    #: The stable machine code (the subclass's code unless the engine said otherwise).
    code: str = "KmsShareError"
    #: A human message: lowercase start, no final period, user input in backticks.
    message: str
    #: The rule id behind the error (``docs/rules.md``), if one applies.
    rule: Optional[str]
    #: The input field that was bad (mostly for :class:`InvalidInput`).
    field: Optional[str]
    #: For :class:`AccessDenied`: the decision (a :class:`kms_share.Decision`) that denied the call.
    decision: Optional[Any]
    #: The error's code in the vendor's API (``Forbidden.NoPermission``, ``Forbidden.KeyNotFound``;
    #: ``docs/errors.md`` lists them), ``None`` for an error made outside the engine.
    vendor_code: Optional[str]
    #: The HTTP status the vendor's API answers the error with (403, 404, 400, ...).
    http_status: Optional[int]
    #: For a denial: the vendor's ``AccessDeniedDetail`` (``AuthAction``, ``NoPermissionType``, ...).
    access_denied_detail: Optional[Dict[str, str]]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        rule: Optional[str] = None,
        field: Optional[str] = None,
        decision: Optional[Any] = None,
        vendor_code: Optional[str] = None,
        http_status: Optional[int] = None,
        access_denied_detail: Optional[Dict[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.rule = rule
        self.field = field
        self.decision = decision
        self.vendor_code = vendor_code
        self.http_status = http_status
        self.access_denied_detail = access_denied_detail

    def __str__(self) -> str:
        # The engine's own rendering: `Code: message (rule)`.
        text = f"{self.code}: {self.message}"
        return f"{text} ({self.rule})" if self.rule else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, rule={self.rule!r})"


class InvalidInput(KmsShareError, ValueError):
    """Malformed input: a bad id, name, policy, parameter, document or argument type
    (engine code ``InvalidParameter``)."""

    code = "InvalidParameter"


class NotFound(KmsShareError):
    """The named object does not exist."""

    code = "NotFound"


class AlreadyExists(KmsShareError):
    """An object with the same id already exists, or the request repeats a done thing."""

    code = "AlreadyExists"


class NameConflict(KmsShareError):
    """A key alias or secret name is taken in its uniqueness scope (SM-3)."""

    code = "NameConflict"


class AccessDenied(KmsShareError):
    """The authorization decision denied the call; ``.decision`` says why and how to fix it."""

    code = "AccessDenied"


class QuotaExceeded(KmsShareError):
    """The access management quota would be exceeded (KI-3, KI-4)."""

    code = "QuotaExceeded"


class InstanceNotShareable(KmsShareError):
    """Only enabled instances can be shared (KI-2)."""

    code = "InstanceNotShareable"


class DefaultKeyNotShareable(KmsShareError):
    """Default (service) keys under ``alias/acs/`` cannot be shared (KI-5)."""

    code = "DefaultKeyNotShareable"


class CrossRegion(KmsShareError):
    """An instance or VPC is used from another region (KI-6, KI-7)."""

    code = "CrossRegion"


class NotSameDirectory(KmsShareError):
    """Owner and principal are not in the same enterprise and resource directory (RS-3)."""

    code = "NotSameDirectory"


class ModeChangeNotAllowed(KmsShareError):
    """Independent ownership never changes to Joint (SM-2)."""

    code = "ModeChangeNotAllowed"


class PrincipalResourcesRemain(KmsShareError):
    """A principal still has keys or secrets in an instance of the share (RS-7)."""

    code = "PrincipalResourcesRemain"


class SharingNotEnabled(KmsShareError):
    """Resource sharing is not enabled in the resource directory (RD-7)."""

    code = "SharingNotEnabled"


class DeprecatedPermission(KmsShareError):
    """A deprecated permission cannot be attached to a new share (RS-4)."""

    code = "DeprecatedPermission"


class InvalidState(KmsShareError):
    """The object is in a state that does not allow the operation."""

    code = "InvalidState"


class DeletionProtected(KmsShareError):
    """Deletion protection forbids scheduling deletion (CR-3)."""

    code = "DeletionProtected"


class LimitExceeded(KmsShareError):
    """A configured limit (folders, depth, sizes, encryptions per key version) is reached."""

    code = "LimitExceeded"


class DecryptFailed(KmsShareError):
    """Decryption failed. Deliberately says nothing about why (CR-2)."""

    code = "DecryptFailed"


class SnapshotInvalid(KmsShareError):
    """A sealed snapshot is tampered, truncated, of an unknown format or sealed under
    another root key (CR-5)."""

    code = "SnapshotInvalid"


class BackendError(KmsShareError):
    """The key backend (for example a PKCS#11 token) or the random source failed."""

    code = "BackendError"


class InternalError(KmsShareError):
    """A bug: an internal invariant failed and the binding caught the panic. The
    organization refuses further calls; please report the input."""

    code = "InternalError"


_BY_CODE: Dict[str, Type[KmsShareError]] = {
    cls.code: cls for cls in KmsShareError.__subclasses__()
}


def class_for(code: str) -> Type[KmsShareError]:
    """The exception class of an engine error code (the base class for an unknown code)."""
    return _BY_CODE.get(code, KmsShareError)


def _from_native(
    code: str,
    message: str,
    rule: Optional[str],
    field: Optional[str],
    decision: Optional[Any],
    vendor: Optional[Tuple[str, int, Optional[Dict[str, str]]]] = None,
) -> KmsShareError:
    """Build the exception for an engine error (called by ``kms_share._native``)."""
    vendor_code, http_status, detail = vendor if vendor is not None else (None, None, None)
    return class_for(code)(
        message,
        code=code,
        rule=rule,
        field=field,
        decision=decision,
        vendor_code=vendor_code,
        http_status=http_status,
        access_denied_detail=detail,
    )
