"""Type stubs of ``kms_share._native``, the compiled part of ``kms_share``.

Import from ``kms_share``, not from here. Results keep the core's JSON shape: dicts
have camelCase keys (``viaShare``, ``deniedBy``), enum values are their wire names
(``"Deny"``, ``"sharePermission"``). Every argument of the wrong type, ``None`` where a
value is needed, or malformed, raises :class:`kms_share.InvalidInput` (a ``ValueError``).
"""

from typing import Any, ClassVar, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union, final

from .errors import KmsShareError

#: A JSON-like value: None, bool, int, float, str, list, tuple or dict with str keys.
_JsonValue = Any
#: A JSON document: its text (``str`` or UTF-8 ``bytes``) or its Python values.
_Document = Union[str, bytes, bytearray, Mapping[str, _JsonValue]]
#: One request of a batch: ``(caller, action, resource)``, ``(caller, action, resource,
#: region)`` or ``{"caller": ..., "action": ..., "resource": ..., "region": ...}``.
_DecisionRequest = Union[
    Tuple[str, str, str],
    Tuple[str, str, str, Optional[str]],
    Sequence[Optional[str]],
    Mapping[str, Optional[str]],
]

__all__ = [
    "Organization",
    "Decision",
    "Check",
    "StepResult",
    "RunResult",
    "run",
    "migrate",
    "ERROR_CODES",
    "FORMAT_VERSION",
    "__version__",
]

#: Every stable error code of the engine, in documentation order.
ERROR_CODES: Tuple[str, ...]
#: The scenario and result format version this build reads and writes.
FORMAT_VERSION: int
#: The version of the engine and of this wheel.
__version__: str

@final
class Check:
    """One check of a decision, with its outcome and explanation."""

    @property
    def check(self) -> str:
        """Which check: ``"sharing"``, ``"sharePermission"``, ``"ramPolicy"`` or ``"ownership"``."""
    @property
    def outcome(self) -> str:
        """``"passed"``, ``"failed"``, ``"notReached"`` or ``"notApplicable"``."""
    @property
    def rule(self) -> str:
        """The rule id behind the outcome (``RS-2``, ``SM-3``, ...)."""
    @property
    def detail(self) -> str:
        """What was found."""
    def to_dict(self) -> Dict[str, Any]:
        """The check as a dict (camelCase keys)."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Decision:
    """An authorization decision (AZ-1, AZ-2): the effect, the four checks in order and,
    for a Deny, the check that failed, its rule, a message and a concrete fix.

    A denial is a value: ``explain`` returns it, it is never raised. Compare with ``==``.
    """

    @property
    def allowed(self) -> bool:
        """True for ``Allow``."""
    @property
    def effect(self) -> str:
        """``"Allow"``, ``"Deny"`` or ``"Undetermined"`` (a check depends on what the
        engine was not told, such as an imported instance's sharing mode; ``allowed`` is
        then False)."""
    @property
    def caller(self) -> str:
        """The caller identity."""
    @property
    def action(self) -> str:
        """The action, in its canonical spelling."""
    @property
    def resource(self) -> str:
        """The resource ARN."""
    @property
    def checks(self) -> Tuple[Check, ...]:
        """The four checks, in the order they are made."""
    @property
    def denied_by(self) -> Optional[str]:
        """For a Deny, the first failing check; ``None`` for an Allow."""
    @property
    def undetermined_by(self) -> Optional[str]:
        """For an Undetermined decision, the check that could not be decided."""
    @property
    def rule(self) -> Optional[str]:
        """For a Deny, the rule id of the failing check."""
    @property
    def message(self) -> Optional[str]:
        """For a Deny, a message naming the rule."""
    @property
    def fix(self) -> Optional[str]:
        """For a Deny, the concrete fix."""
    @property
    def via_share(self) -> Optional[str]:
        """The resource share through which a principal reaches the instance."""
    def to_dict(self) -> Dict[str, Any]:
        """The decision as the result document's JSON shape (camelCase keys)."""
    def to_json(self) -> str:
        """The decision as pretty JSON text (what ``kms-share explain`` prints)."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class StepResult:
    """The outcome of one step: success with a result document, or an error; the
    decision of KMS calls; whether the step's ``expect`` held."""

    @property
    def index(self) -> int:
        """Position of the step, from 0."""
    @property
    def action(self) -> str:
        """The action."""
    @property
    def caller(self) -> str:
        """The caller, after substitution of bound results."""
    @property
    def at(self) -> str:
        """When the step ran (``YYYY-MM-DDTHH:MM:SSZ``)."""
    @property
    def ok(self) -> bool:
        """True when the call succeeded."""
    @property
    def result(self) -> Optional[Dict[str, Any]]:
        """The result document of a successful call."""
    @property
    def decision(self) -> Optional[Decision]:
        """The decision that allowed or denied a KMS call (and ``Explain``'s answer)."""
    @property
    def error(self) -> Optional[KmsShareError]:
        """The error of a failed call, as an exception instance (not raised)."""
    @property
    def expect_held(self) -> Optional[bool]:
        """Whether the step's ``expect`` held (``None`` without ``expect``)."""
    @property
    def expect_failures(self) -> List[str]:
        """Why the expectation did not hold."""
    def to_dict(self) -> Dict[str, Any]:
        """The step result as the result document's JSON shape."""
    def to_json(self) -> str:
        """The step result as pretty JSON text."""

@final
class RunResult:
    """The result document of a scenario run."""

    @property
    def version(self) -> int:
        """The result format version (1)."""
    @property
    def name(self) -> Optional[str]:
        """The scenario's name."""
    @property
    def passed(self) -> bool:
        """True when every ``expect`` held."""
    @property
    def steps_run(self) -> int:
        """Steps run."""
    @property
    def errors(self) -> int:
        """Steps that failed with an error."""
    @property
    def expectations_failed(self) -> int:
        """Expectations that did not hold."""
    @property
    def steps(self) -> List[StepResult]:
        """One result per step."""
    def to_dict(self) -> Dict[str, Any]:
        """The result document as Python values."""
    def to_json(self) -> str:
        """The canonical result document text, byte for byte what the Rust runner prints."""

@final
class Organization:
    """An organization: accounts, a resource directory, KMS instances, shares, keys and
    secrets, and the audit trail.

    Change it with steps (:meth:`step`, :meth:`call`, :meth:`run_scenario`); ask it
    questions with :meth:`explain`, :meth:`is_allowed`, :meth:`who_can`,
    :meth:`access_matrix` and :meth:`what_if`, which change nothing.

    With ``seed`` every id, nonce and key derives from it (tests and reproducible demos
    only: a seeded organization protects nothing); without, the operating system's
    random source is used. ``start`` is the time of the first step
    (``YYYY-MM-DDTHH:MM:SSZ``, default ``2026-01-01T00:00:00Z``).

    One call at a time: a concurrent or re-entrant call raises ``InvalidState``.
    """

    def __new__(cls, seed: Optional[int] = None, start: Optional[str] = None) -> "Organization": ...
    @staticmethod
    def from_document(document: _Document) -> "Organization":
        """The organization a scenario document (its steps run) or a state document
        (:meth:`state`, :meth:`policy_export`) describes."""
    @staticmethod
    def from_responses(files: Mapping[str, str]) -> Tuple["Organization", Dict[str, Any]]:
        """The organization a folder of saved vendor responses describes (docs/import.md),
        given as a dict of relative path to text, and the import's counts (``report``: the
        lines the command line prints). Its keys can be
        decided on, not used; what the responses could not say is in the state's ``gaps``."""
    @staticmethod
    def from_scenario(document: _Document) -> Tuple["Organization", RunResult]:
        """Run a scenario document on a fresh organization, honouring its ``seed`` and
        ``start``; return the organization and the run's result. Raises ``InvalidInput``
        for a document that does not parse; failing steps are in the result."""
    @staticmethod
    def load_sealed(snapshot: str, root_key: Union[bytes, bytearray], seed: Optional[int] = None) -> "Organization":
        """Load a sealed snapshot (CR-5) saved by :meth:`save_sealed` under the same
        32-byte root key. Raises ``SnapshotInvalid`` for a tampered snapshot or a wrong key."""
    def run_scenario(self, document: _Document) -> RunResult:
        """Run a scenario document's steps on this organization (its ``seed`` and
        ``start`` apply only to a fresh organization: see :meth:`from_scenario`)."""
    def step(self, step: Mapping[str, _JsonValue]) -> StepResult:
        """Execute one step, ``{"caller", "action", "params"?, "at"?, "bind"?, "expect"?}``.
        The call's own failure is in the result (``ok``, ``error``), not raised."""
    def call(
        self,
        caller: str,
        action: str,
        params: Optional[Mapping[str, _JsonValue]] = None,
        *,
        at: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Make one call as ``caller`` (``kms:Encrypt``, ``kms:CreateSecret``,
        ``CreateResourceShare``, ...) and return its result document. A failure is
        raised as its :class:`KmsShareError` subclass (``AccessDenied`` carries the
        decision)."""
    def explain(self, caller: str, action: str, resource: str, region: Optional[str] = None) -> Decision:
        """The full decision for ``caller`` doing ``action`` on ``resource`` (an instance
        id, key id, alias, secret name or ARN), optionally from ``region`` (KI-6). A Deny
        is returned; ``InvalidInput`` is raised only for a malformed request."""
    def is_allowed(self, caller: str, action: str, resource: str) -> bool:
        """May ``caller`` do ``action`` on ``resource``? Malformed ids answer ``False``
        (fail closed)."""
    def explain_many(self, requests: Iterable[_DecisionRequest]) -> List[Union[Decision, KmsShareError]]:
        """Many decisions in one call. Each entry of the result is a :class:`Decision`
        or, for a request the engine refuses (a malformed id), the
        :class:`KmsShareError` it would raise (returned, not raised). A request of the
        wrong shape or type raises ``InvalidInput``."""
    def allowed_many(self, requests: Iterable[_DecisionRequest]) -> List[bool]:
        """Many yes/no answers in one call (the fast path: no explanations are kept).
        Malformed requests answer ``False``."""
    def allowed_actions(self, caller: str, resource: str) -> List[str]:
        """The actions of the permission matrix that ``caller`` may perform on
        ``resource`` (what a console may enable)."""
    def who_can(self, action: str, resource: str) -> List[Dict[str, Any]]:
        """Every identity allowed to perform ``action`` on ``resource``: dicts with
        ``identity``, ``account``, ``role``, ``viaShare`` (principals) and ``reason``."""
    def access_matrix(self, instance_id: str) -> Dict[str, Any]:
        """The access matrix of an instance: ``identities`` x ``resources`` x features,
        each cell ``Allow``/``Deny`` with the failing check."""
    def review(self) -> Dict[str, Any]:
        """The review: ``instances`` (quota, who can use and manage what) and ``findings``
        (``rule``, ``severity``, ``instance``, ``subject``, ``message``, ``fix``)."""
    def review_html(self) -> str:
        """The review as one self-contained HTML page."""
    def what_if(self, steps: Sequence[Mapping[str, _JsonValue]]) -> Dict[str, Any]:
        """Preview ``steps`` on a copy: their results and the differences in quota,
        access and matrix cells. Changes nothing."""
    def state(self) -> Dict[str, Any]:
        """The whole state (no key material; secret values only as ciphertext)."""
    def policy_export(self) -> Dict[str, Any]:
        """The policy-only export: everything decisions read, with no key material and
        no secret values."""
    def load_state(self, state: Union[str, Mapping[str, _JsonValue]]) -> None:
        """Replace the state (a dict or JSON text, e.g. a :meth:`policy_export`). Keys
        loaded this way have no material: decisions work, cryptography fails with
        ``InvalidState``."""
    def save_sealed(self, root_key: Union[bytes, bytearray], version: Optional[int] = None) -> str:
        """Save the whole organization as a sealed snapshot (CR-5) under a 32-byte root key:
        format version 3 (the keys as a binary table), or ``version=2`` for a reader of
        version 2 (the WebAssembly module). Raises ``InvalidInput`` for another version."""

def migrate(document: _Document) -> Tuple[str, List[str]]:
    """A version 1 scenario document in version 2's names, in the corpus layout (as
    ``kms-share migrate`` prints it), and notes of the expectations that could not be
    carried over."""

def run(document: _Document, *, check: Optional[bool] = None) -> RunResult:
    """Run a scenario document on a fresh organization, exactly as ``kms-share run``
    does. With ``check=True``, also check that every failing step leaves the state
    unchanged (slower; for tests)."""
