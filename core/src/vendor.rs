//! The vendor's face of the engine's errors: each error's code as the vendor's API
//! answers it, its HTTP status, and for a denial the `AccessDeniedDetail` the SDKs read.
//!
//! The engine keeps its own stable codes (`docs/errors.md`); this maps them. Where the
//! vendor's common error table (`../shared/VENDOR-API.md`) has the condition, its code
//! is used (`Forbidden.NoPermission`, `Forbidden.KeyNotFound`, `Rejected.Disabled`, …);
//! where it has none (the sharing rules the vendor's API does not model), the engine's
//! code is the vendor code too. `docs/errors.md` lists the mapping.

use alloc::string::{String, ToString};

use crate::decision::{CheckName, Decision};
use crate::error::{Error, ErrorCode};
use crate::ids::{Identity, IdentityKind};
use crate::json::response;

/// The JSON shape of an action's response in the vendor's API, as the engine answers it;
/// `None` for the simulator's own actions.
pub fn response_shape(action: crate::action::Action) -> Option<crate::json::Ty> {
    crate::ops::response_shape(action)
}

/// The vendor code of a code with no more specific one.
const fn default_code(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidParameter => "InvalidParameter",
        ErrorCode::NotFound => "Forbidden.ResourceNotFound",
        ErrorCode::AccessDenied => "Forbidden.NoPermission",
        ErrorCode::QuotaExceeded | ErrorCode::LimitExceeded => "Rejected.LimitExceeded",
        ErrorCode::BackendError | ErrorCode::InternalError => "InternalFailure",
        other => other.as_str(),
    }
}

/// The HTTP status the vendor answers a vendor code with.
pub fn http_status(vendor_code: &str) -> u16 {
    match vendor_code {
        "Forbidden.NoPermission" => 403,
        c if c.starts_with("Forbidden.") && c.ends_with("NotFound") => 404,
        // Authentication and RAM's own (kms-share serve answers them).
        "InvalidAccessKeyId.NotFound" => 404,
        c if c.starts_with("EntityNotExist.") => 404,
        "InternalFailure" => 500,
        // A state that forbids the call (the vendor's `Rejected.Disabled` and kind).
        "Rejected.Disabled"
        | "Rejetced.PendingDeletion"
        | "InvalidState"
        | "DeletionProtected"
        | "PrincipalResourcesRemain"
        | "ModeChangeNotAllowed"
        | "InstanceNotShareable" => 409,
        _ => 400,
    }
}

impl Error {
    /// The error's code in the vendor's API.
    pub fn vendor_code(&self) -> &'static str {
        self.vendor.unwrap_or(default_code(self.code))
    }

    /// The HTTP status the vendor's API answers this error with.
    pub fn http_status(&self) -> u16 {
        http_status(self.vendor_code())
    }

    /// For a denial made by the decision: what the vendor's `AccessDeniedDetail` says.
    pub fn access_denied_detail(&self) -> Option<AccessDeniedDetail> {
        self.decision.as_deref().map(AccessDeniedDetail::of)
    }

    /// The vendor's code for this error, when it is more specific than its engine code's.
    #[must_use]
    pub fn with_vendor(mut self, code: &'static str) -> Self {
        self.vendor = Some(code);
        self
    }
}

response! {
    /// Why the vendor's API refused a call (`Forbidden.NoPermission`), as its SDKs read it.
    pub struct AccessDeniedDetail {
        /// The RAM action asked for (`kms:Encrypt`).
        "AuthAction" auth_action: String,
        /// `Account` (the root identity), `SubUser` or `AssumedRoleUser`.
        "AuthPrincipalType" auth_principal_type: &'static str,
        /// The caller's account.
        "AuthPrincipalOwnerId" auth_principal_owner_id: String,
        /// The user's or role's name, the account id for the root identity.
        "AuthPrincipalDisplayName" auth_principal_display_name: String,
        /// `ExplicitDeny` when a RAM policy statement denied the call, else `ImplicitDeny`.
        "NoPermissionType" no_permission_type: &'static str,
        /// What denied it: `AccountLevelIdentityBasedPolicy` (RAM), `ResourceSharing` (the
        /// share or its permission), `SharingMode` (the permission matrix).
        "PolicyType" policy_type: &'static str,
        /// The explained decision, as JSON text in base64.
        "EncodedDiagnosticMessage" encoded_diagnostic_message: String,
    }
}

impl AccessDeniedDetail {
    /// The detail of a denial.
    pub fn of(d: &Decision) -> Self {
        let identity = Identity::parse(&d.caller).ok();
        let (kind, name) = match identity.as_ref().map(|i| &i.kind) {
            Some(IdentityKind::User(n)) => ("SubUser", n.to_string()),
            Some(IdentityKind::Role(n)) => ("AssumedRoleUser", n.to_string()),
            _ => ("Account", identity.as_ref().map(|i| i.account.to_string()).unwrap_or_default()),
        };
        let explicit = d.denied_by == Some(CheckName::RamPolicy)
            && d.checks.iter().any(|c| c.check == CheckName::RamPolicy && c.detail.contains("an explicit Deny wins"));
        let policy_type = match d.denied_by.or(d.undetermined_by) {
            Some(CheckName::RamPolicy) => "AccountLevelIdentityBasedPolicy",
            Some(CheckName::Ownership) => "SharingMode",
            _ => "ResourceSharing",
        };
        let text = serde_json::to_string(d).unwrap_or_default();
        AccessDeniedDetail {
            auth_action: d.action.to_string(),
            auth_principal_type: kind,
            auth_principal_owner_id: identity.map(|i| i.account.to_string()).unwrap_or_default(),
            auth_principal_display_name: name,
            no_permission_type: if explicit { "ExplicitDeny" } else { "ImplicitDeny" },
            policy_type,
            encoded_diagnostic_message: crate::crypto::b64_encode(text.as_bytes()),
        }
    }
}

response! {
    /// A refused call's body as the vendor's API answers it (its HTTP status is
    /// [`Error::http_status`]): what the SDKs read into their exceptions.
    pub struct ErrorResponse {
        /// The request's id (also the `x-acs-request-id` header).
        "RequestId" request_id: String,
        /// The host the request was sent to.
        "HostId" host_id: String,
        /// The vendor code ([`Error::vendor_code`]).
        "Code" code: &'static str,
        /// What went wrong, with the rule id where one applies (`… (RS-7)`).
        "Message" message: String,
        /// What to do about it: a denial's fix, else the rule the call broke, stated.
        "Recommend" recommend: String,
        /// For a denial, why (`Forbidden.NoPermission`).
        "AccessDeniedDetail" access_denied_detail: Option<AccessDeniedDetail>,
    }
}

impl ErrorResponse {
    /// The body of `e` answering request `request_id` sent to `host_id`.
    pub fn of(e: &Error, request_id: &str, host_id: &str) -> Self {
        let message = match e.rule {
            Some(rule) if !e.message.contains(rule.id()) => alloc::format!("{} ({rule})", e.message),
            _ => e.message.clone(),
        };
        let recommend = match (e.decision.as_ref().and_then(|d| d.fix.clone()), e.rule) {
            (Some(fix), _) => fix,
            (None, Some(rule)) => alloc::format!("{rule}: {}", rule.summary()),
            (None, None) => String::new(),
        };
        ErrorResponse {
            request_id: request_id.to_string(),
            host_id: host_id.to_string(),
            code: e.vendor_code(),
            message,
            recommend,
            access_denied_detail: e.access_denied_detail(),
        }
    }
}
