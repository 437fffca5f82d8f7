//! Errors with stable machine codes.
//!
//! One error type for the whole engine: every failure carries a [`ErrorCode`]
//! whose string form never changes (bindings, scenario results and docs use it),
//! a human message, the [`Rule`] where one applies, the offending field
//! where input was bad and, for [`ErrorCode::AccessDenied`], the full decision.
//! A denial found by a *query* is a [`Decision`] value, not an error.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use core::fmt;
use serde::{Deserialize, Serialize};

use crate::decision::Decision;
use crate::rules::Rule;

/// Stable error codes. The string of a variant is its name (`QuotaExceeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// Malformed input: a bad id, name, policy, parameter or document.
    InvalidParameter,
    /// The named object does not exist.
    NotFound,
    /// An object with the same id already exists, or the request repeats a done thing.
    AlreadyExists,
    /// A key alias or secret name is taken in its uniqueness scope (SM-3).
    NameConflict,
    /// The authorization decision denied the call; the error carries the decision.
    AccessDenied,
    /// The access management quota would be exceeded (KI-3, KI-4).
    QuotaExceeded,
    /// Only enabled instances can be shared (KI-2).
    InstanceNotShareable,
    /// Default (service) keys under `alias/acs/` cannot be shared (KI-5).
    DefaultKeyNotShareable,
    /// An instance or VPC is used from another region (KI-6, KI-7).
    CrossRegion,
    /// Owner and principal are not in the same enterprise and resource directory (RS-3).
    NotSameDirectory,
    /// Independent ownership never changes to Joint (SM-2).
    ModeChangeNotAllowed,
    /// A principal still has keys or secrets in an instance of the share (RS-7).
    PrincipalResourcesRemain,
    /// Resource sharing is not enabled in the resource directory (RD-7).
    SharingNotEnabled,
    /// A deprecated permission cannot be attached to a new share (RS-4).
    DeprecatedPermission,
    /// The object is in a state that does not allow the operation.
    InvalidState,
    /// Deletion protection forbids scheduling deletion (CR-3).
    DeletionProtected,
    /// A configured limit (folders, depth, sizes, encryptions per key version) is reached.
    LimitExceeded,
    /// Decryption failed. Deliberately says nothing about why (CR-2).
    DecryptFailed,
    /// A sealed snapshot is tampered, truncated, of an unknown format or sealed under another root key (CR-5).
    SnapshotInvalid,
    /// The key backend (for example a PKCS#11 token) failed.
    BackendError,
    /// A bug: an internal invariant failed (a binding caught a panic). Report it.
    InternalError,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::InvalidParameter,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::NameConflict,
        ErrorCode::AccessDenied,
        ErrorCode::QuotaExceeded,
        ErrorCode::InstanceNotShareable,
        ErrorCode::DefaultKeyNotShareable,
        ErrorCode::CrossRegion,
        ErrorCode::NotSameDirectory,
        ErrorCode::ModeChangeNotAllowed,
        ErrorCode::PrincipalResourcesRemain,
        ErrorCode::SharingNotEnabled,
        ErrorCode::DeprecatedPermission,
        ErrorCode::InvalidState,
        ErrorCode::DeletionProtected,
        ErrorCode::LimitExceeded,
        ErrorCode::DecryptFailed,
        ErrorCode::SnapshotInvalid,
        ErrorCode::BackendError,
        ErrorCode::InternalError,
    ];

    /// The stable string form of the code.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameter => "InvalidParameter",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::AlreadyExists => "AlreadyExists",
            ErrorCode::NameConflict => "NameConflict",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::QuotaExceeded => "QuotaExceeded",
            ErrorCode::InstanceNotShareable => "InstanceNotShareable",
            ErrorCode::DefaultKeyNotShareable => "DefaultKeyNotShareable",
            ErrorCode::CrossRegion => "CrossRegion",
            ErrorCode::NotSameDirectory => "NotSameDirectory",
            ErrorCode::ModeChangeNotAllowed => "ModeChangeNotAllowed",
            ErrorCode::PrincipalResourcesRemain => "PrincipalResourcesRemain",
            ErrorCode::SharingNotEnabled => "SharingNotEnabled",
            ErrorCode::DeprecatedPermission => "DeprecatedPermission",
            ErrorCode::InvalidState => "InvalidState",
            ErrorCode::DeletionProtected => "DeletionProtected",
            ErrorCode::LimitExceeded => "LimitExceeded",
            ErrorCode::DecryptFailed => "DecryptFailed",
            ErrorCode::SnapshotInvalid => "SnapshotInvalid",
            ErrorCode::BackendError => "BackendError",
            ErrorCode::InternalError => "InternalError",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine error: a stable code, a message, and where known the rule and field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    /// The stable machine code.
    pub code: ErrorCode,
    /// A human message: lowercase start, no final period, user input in backticks.
    pub message: String,
    /// The rule behind the error, if one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
    /// The input field that was bad (for [`ErrorCode::InvalidParameter`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For [`ErrorCode::AccessDenied`]: the decision that denied the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Box<Decision>>,
    /// The vendor's code where it is more specific than the engine code's
    /// ([`Error::vendor_code`]); not part of the engine's JSON form.
    #[serde(skip)]
    pub vendor: Option<&'static str>,
}

/// The engine's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// A new error with a code, the rule it rests on (or `None`) and a message.
    pub fn new(code: ErrorCode, rule: impl Into<Option<Rule>>, message: impl Into<String>) -> Self {
        Error::make(code, rule.into(), message.into(), None)
    }

    /// Bad input in `field`, breaking `rule` (or `None`).
    pub fn invalid(field: &str, rule: impl Into<Option<Rule>>, message: impl Into<String>) -> Self {
        Error::make(ErrorCode::InvalidParameter, rule.into(), message.into(), Some(field))
    }

    /// The one constructor, out of line: the engine makes errors at some hundreds of
    /// places, and each would otherwise carry its own copy of this code.
    #[inline(never)]
    fn make(code: ErrorCode, rule: Option<Rule>, message: String, field: Option<&str>) -> Self {
        Error { code, message, rule, field: field.map(str::to_string), decision: None, vendor: None }
    }

    /// `what` was not found.
    pub fn not_found(what: &str, id: &str) -> Self {
        let e = Error::new(ErrorCode::NotFound, None, alloc::format!("{what} `{id}` not found"));
        match what {
            "key" => e.with_vendor("Forbidden.KeyNotFound"),
            "alias" => e.with_vendor("Forbidden.AliasNotFound"),
            _ => e,
        }
    }

    /// The call was denied; the decision says why and how to fix it.
    pub fn denied(decision: Decision) -> Self {
        let mut e = Error::new(
            ErrorCode::AccessDenied,
            decision.rule.unwrap_or(Rule::Az1),
            decision.message.clone().unwrap_or_else(|| "access denied".to_string()),
        );
        e.decision = Some(Box::new(decision));
        e
    }

    /// The opaque decryption failure (CR-2).
    pub fn decrypt_failed() -> Self {
        Error::new(ErrorCode::DecryptFailed, Rule::Cr2, "decryption failed")
    }

    /// Attach the field name.
    #[must_use]
    #[inline(never)]
    pub fn at_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    /// The stable code as a string.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(rule) = &self.rule {
            write!(f, " ({rule})")?;
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

crate::json::to_value_via_serde!(Error);
