//! The one driver every call goes through, and the calls themselves, grouped by family.
//!
//! [`Engine::execute`] parses the action once ([`Action::parse`]), runs its handler and
//! records the audit event (AT-1) whatever the outcome. A handler reads its parameters,
//! resolves what it acts on, passes the gate ([`gate::Pending::decide`], the four checks
//! of AZ-1, exactly once per call) and only then changes the state; see `gate.rs` for
//! why a handler cannot skip the decision. Queries take the engine read-only.

mod audit;
mod crypto;
mod directory;
pub(crate) mod gate;
mod instance;
mod keys;
mod ram;
mod reads;
mod secrets;
mod shares;

pub(crate) use directory::SHARING_ROLE;
pub(crate) use instance::instance_view;
pub(crate) use keys::{automatic_rotation, version_of};

use alloc::format;

use crate::action::{Action, Kind};
use crate::audit::NewEvent;
use crate::engine::{Call, Engine, Response};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::shorten;
use crate::params::Params;
use crate::rules::Rule;
use gate::{AuditRef, Pending, Reply};

/// How an action runs.
pub(crate) enum Handler {
    /// Decided through the gate; may change the state.
    Call(fn(Pending<'_>, &mut Params<'_>) -> Result<Reply>),
    /// Reads the engine, changes nothing.
    Query(fn(&Engine, &Call, &mut Params<'_>) -> Result<Response>),
}

/// The handler of each action.
pub(crate) fn handler(action: Action) -> Handler {
    use Action as A;
    use Handler::{Call as C, Query as Q};
    match action {
        A::RegisterAccount => C(directory::register_account),
        A::CreateInstance => C(instance::create),
        A::GetInstanceQuota => C(instance::get_quota),
        A::GetKmsInstance => C(instance::get),
        A::AttachVpc => C(instance::attach_vpc),
        A::DetachVpc => C(instance::detach_vpc),
        A::UpgradeInstance => C(instance::upgrade),
        A::RenewInstance => C(instance::renew),
        A::EnableInstance | A::DisableInstance => C(instance::enable_or_disable),
        A::SetInstanceSharingMode => C(instance::set_sharing_mode),
        A::CreateBackup => C(keys::create_backup),
        A::GetResourceShare => C(shares::get),
        A::Explain => Q(crate::query::explain_call),
        A::WhoCan => Q(crate::query::who_can_call),
        A::AccessMatrix => Q(crate::query::access_matrix_call),
        A::WhatIf => Q(crate::query::what_if_call),
        A::VerifyAuditTrail => Q(audit::verify),
        A::TamperAuditEvent => C(audit::tamper),
        A::SealAndReload => C(audit::seal_and_reload),
        A::EnableResourceDirectory => C(directory::enable),
        A::CreateFolder => C(directory::create_folder),
        A::CreateResourceAccount => C(directory::create_member),
        A::InviteAccountToResourceDirectory => C(directory::invite),
        A::AcceptHandshake | A::DeclineHandshake => C(directory::answer_invitation),
        A::MoveAccount => C(directory::move_account),
        A::EnableSharingWithResourceDirectory => C(directory::enable_sharing),
        A::CreateResourceShare => C(shares::create),
        A::AssociateResourceShare => C(shares::associate),
        A::DisassociateResourceShare => C(shares::disassociate),
        A::DeleteResourceShare => C(shares::delete),
        A::AssociateResourceSharePermission | A::DisassociateResourceSharePermission => C(shares::permission),
        A::CreateUser => C(ram::create_user),
        A::CreateRole => C(ram::create_role),
        A::CreatePolicy => C(ram::create_policy),
        A::AttachPolicyToUser | A::AttachPolicyToRole | A::DetachPolicyFromUser | A::DetachPolicyFromRole => {
            C(ram::attach_or_detach)
        }
        A::CreateApplicationAccessPoint => C(instance::create_access_point),
        A::CreateKey => C(keys::create),
        A::DescribeKey => C(keys::describe),
        A::EnableKey | A::DisableKey => C(keys::enable_or_disable),
        A::CreateKeyVersion => C(keys::create_version),
        A::UpdateRotationPolicy => C(keys::update_rotation_policy),
        A::ScheduleKeyDeletion => C(keys::schedule_deletion),
        A::CancelKeyDeletion => C(keys::cancel_deletion),
        A::SetDeletionProtection => C(keys::set_deletion_protection),
        A::CreateAlias => C(keys::create_alias),
        A::DeleteAlias => C(keys::delete_alias),
        A::TagResource | A::UntagResource => C(keys::tag_or_untag),
        A::Encrypt | A::GenerateDataKey | A::GenerateDataKeyWithoutPlaintext => C(crypto::encrypt),
        A::Decrypt => C(crypto::decrypt),
        A::ReEncrypt => C(crypto::re_encrypt),
        A::CreateSecret => C(secrets::create),
        A::GetSecretValue => C(secrets::get_value),
        A::PutSecretValue => C(secrets::put_value),
        A::DescribeSecret => C(secrets::describe),
        A::DeleteSecret => C(secrets::delete),
        A::RestoreSecret => C(secrets::restore),
        A::UpdateSecretRotationPolicy => C(secrets::update_rotation_policy),
        A::LookupEvents => Q(audit::lookup_events),
        A::ListKeys | A::ListAliases | A::ListSecrets | A::ListKmsInstances => C(reads::kms_list),
        A::DescribeKeyVersion | A::ListKeyVersions | A::ListAliasesByKeyId | A::ListResourceTags => C(reads::key_read),
        A::ListSecretVersionIds => C(reads::list_secret_version_ids),
        A::GetKmsInstanceQuotaInfos => C(instance::quota_infos),
        A::UpdateKmsInstanceBindVpc => C(instance::update_bind_vpc),
        A::ListResourceShares
        | A::ListResourceShareAssociations
        | A::ListSharedResources
        | A::ListSharedTargets
        | A::ListResourceSharePermissions
        | A::ListPermissions => C(reads::shares_read),
        A::GetResourceDirectory
        | A::ListAccounts
        | A::ListAccountsForParent
        | A::ListFoldersForParent
        | A::GetAccount
        | A::GetFolder
        | A::ListHandshakesForResourceDirectory => C(reads::directory_read),
        A::ListUsers
        | A::ListRoles
        | A::ListPolicies
        | A::GetPolicy
        | A::GetPolicyVersion
        | A::ListPoliciesForUser
        | A::ListPoliciesForRole => C(reads::ram_read),
    }
}

/// Who makes a call: a host (a binding, a program) or a scenario document's runner,
/// which may also run the test fixtures ([`Kind::RunnerOnly`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Host,
    Runner,
}

impl Engine {
    /// Execute one call: parse its action, run its handler (parse the parameters,
    /// resolve, decide, apply), record its audit event whatever the outcome.
    ///
    /// # Errors
    /// An [`Error`] with a stable code; for a denied call `AccessDenied` carrying the
    /// decision. A failed call changes nothing but the audit trail.
    pub fn execute(&mut self, call: &Call) -> Result<Response> {
        self.execute_via(call, Via::Host)
    }

    /// [`Engine::execute`] for the scenario runner, which may also run test fixtures.
    pub(crate) fn execute_via(&mut self, call: &Call, via: Via) -> Result<Response> {
        match call.dialect {
            crate::engine::Dialect::V1 => self.execute_v1(call, via),
            crate::engine::Dialect::V2 => self.drive(call, via),
        }
    }

    /// The driver, for a call in the vendor's names (a version 1 call's dialect stays on
    /// it, so that the steps a `WhatIf` previews speak it too).
    pub(crate) fn drive(&mut self, call: &Call, via: Via) -> Result<Response> {
        self.advance_time(call.at);
        let mut request_id = [0u8; 8];
        self.rng.fill(&mut request_id)?;
        let action = Action::parse(&call.action);
        let mut audit = AuditRef::default();
        let out = match action {
            None => Err(unknown_action(&call.action)),
            Some(a) if a.spec().kind == Kind::RunnerOnly && via == Via::Host => Err(Error::invalid(
                "action",
                None,
                format!("`{}` is a test fixture of scenario documents, not a call", a.name()),
            )),
            Some(a) => self.dispatch(a, call, &mut audit),
        };
        let audited = action.is_none_or(|a| matches!(a.spec().kind, Kind::Call | Kind::RunnerOnly));
        if audited {
            let outcome = match &out {
                Ok(_) => "Success",
                Err(e) if e.code == ErrorCode::AccessDenied => "Denied",
                Err(e) => e.code(),
            };
            let mut id = [0u8; 64];
            self.state.audit.append(NewEvent {
                request_id: crate::crypto::hex_into(&request_id, &mut id),
                time: call.at,
                caller: &call.caller.text(),
                account: call.caller.account.as_str(),
                action: action.map_or(call.action.as_str(), |a| a.audit_name()),
                resource: &audit.resource,
                instance: audit.instance.as_ref().map(|i| i.as_str()),
                instance_owner: audit.owner.as_ref().map(|o| o.as_str()),
                outcome,
            });
        }
        out
    }

    fn dispatch(&mut self, action: Action, call: &Call, audit: &mut AuditRef) -> Result<Response> {
        let params = crate::request::unflatten(&call.params);
        let mut p = Params::new(&call.action, &params)?;
        match handler(action) {
            Handler::Call(run) => run(Pending::new(self, call, action, audit), &mut p).map(Reply::into_response),
            Handler::Query(ask) => ask(self, call, &mut p),
        }
    }
}

/// The error for an action no row of the table names.
pub(crate) fn unknown_action(text: &str) -> Error {
    if text.len() > 4 && text.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("kms:")) {
        Error::invalid("action", Rule::Ram3, format!("unknown KMS action `{}`", shorten(text)))
            .with_vendor("InvalidAction.NotFound")
    } else {
        Error::invalid(
            "action",
            None,
            format!("unknown action `{}`; see docs/scenario-format.md for the list", shorten(text)),
        )
        .with_vendor("InvalidAction.NotFound")
    }
}

/// The response of each action the vendor's API has: what `core/tests/vendor_shapes.rs`
/// checks against the vendor's models, and what every runtime's result of that action
/// conforms to. `None` for the simulator's own actions.
pub(crate) fn response_shape(action: Action) -> Option<crate::json::Ty> {
    use crate::json::Describe;
    use Action as A;
    Some(match action {
        A::EnableResourceDirectory => directory::ResourceDirectoryResponse::describe(),
        A::CreateFolder => directory::FolderResponse::describe(),
        A::CreateResourceAccount => directory::AccountResponse::describe(),
        A::InviteAccountToResourceDirectory | A::AcceptHandshake | A::DeclineHandshake => {
            directory::HandshakeResponse::describe()
        }
        A::CreateResourceShare => shares::CreateResourceShareResponse::describe(),
        A::AssociateResourceShare | A::DisassociateResourceShare => {
            shares::ResourceShareAssociationsResponse::describe()
        }
        A::CreateUser => ram::UserResponse::describe(),
        A::CreateRole => ram::RoleResponse::describe(),
        A::CreatePolicy => ram::PolicyResponse::describe(),
        A::GetKmsInstance => instance::GetKmsInstanceResponse::describe(),
        A::CreateApplicationAccessPoint => instance::CreateApplicationAccessPointResponse::describe(),
        // Only DescribeKey tells the deletion protection.
        A::CreateKey => keys::KeyMetadataResponse::describe()
            .without(&["KeyMetadata.DeletionProtection", "KeyMetadata.DeletionProtectionDescription"]),
        A::DescribeKey => keys::KeyMetadataResponse::describe(),
        A::CreateKeyVersion => keys::KeyVersionResponse::describe(),
        // Only GenerateDataKey returns a plaintext.
        A::GenerateDataKey => crypto::CiphertextResponse::describe(),
        A::Encrypt | A::GenerateDataKeyWithoutPlaintext | A::ReEncrypt => {
            crypto::CiphertextResponse::describe().without(&["Plaintext"])
        }
        A::Decrypt => crypto::DecryptResponse::describe(),
        A::CreateSecret => secrets::CreateSecretResponse::describe(),
        A::GetSecretValue => secrets::GetSecretValueResponse::describe(),
        A::PutSecretValue => secrets::PutSecretValueResponse::describe(),
        A::DescribeSecret => secrets::DescribeSecretResponse::describe(),
        A::DeleteSecret => secrets::DeleteSecretResponse::describe(),
        A::RestoreSecret | A::UpdateSecretRotationPolicy => secrets::SecretNameResponse::describe(),
        A::LookupEvents => audit::LookupEventsResponse::describe(),
        A::ListKeys => reads::ListKeysResponse::describe(),
        A::DescribeKeyVersion => keys::KeyVersionResponse::describe(),
        A::ListResourceTags => reads::ListResourceTagsResponse::describe(),
        A::ListKeyVersions => reads::ListKeyVersionsResponse::describe(),
        A::ListAliases | A::ListAliasesByKeyId => reads::ListAliasesResponse::describe(),
        A::ListSecrets => reads::ListSecretsResponse::describe(),
        A::ListSecretVersionIds => reads::ListSecretVersionIdsResponse::describe(),
        A::ListKmsInstances => reads::ListKmsInstancesResponse::describe(),
        A::GetKmsInstanceQuotaInfos => instance::QuotaInfosResponse::describe(),
        A::ListResourceShares => reads::ListResourceSharesResponse::describe(),
        A::ListResourceShareAssociations => reads::ListResourceShareAssociationsResponse::describe(),
        A::ListSharedResources => reads::ListSharedResourcesResponse::describe(),
        A::ListSharedTargets => reads::ListSharedTargetsResponse::describe(),
        A::ListResourceSharePermissions | A::ListPermissions => reads::ListPermissionsResponse::describe(),
        A::GetResourceDirectory => reads::GetResourceDirectoryResponse::describe(),
        // The vendor's lists of members leave the account name out.
        A::ListAccounts | A::ListAccountsForParent => {
            reads::ListAccountsResponse::describe().without(&["Accounts.Account.AccountName"])
        }
        A::ListFoldersForParent => reads::ListFoldersResponse::describe().without(&["Folders.Folder.ParentFolderId"]),
        A::GetAccount => reads::GetAccountResponse::describe(),
        A::GetFolder => reads::GetFolderResponse::describe(),
        A::ListHandshakesForResourceDirectory => reads::ListHandshakesResponse::describe(),
        A::ListUsers => reads::ListUsersResponse::describe(),
        A::ListRoles => reads::ListRolesResponse::describe(),
        A::ListPolicies => reads::ListPoliciesResponse::describe(),
        A::ListPoliciesForUser | A::ListPoliciesForRole => {
            reads::ListPoliciesResponse::describe().without(&["IsTruncated", "Marker"])
        }
        A::GetPolicy => reads::GetPolicyResponse::describe().without(&["PolicyVersion"]),
        A::GetPolicyVersion => reads::GetPolicyResponse::describe().without(&["Policy", "DefaultPolicyVersion"]),
        A::MoveAccount
        | A::EnableSharingWithResourceDirectory
        | A::DeleteResourceShare
        | A::AssociateResourceSharePermission
        | A::DisassociateResourceSharePermission
        | A::AttachPolicyToUser
        | A::AttachPolicyToRole
        | A::DetachPolicyFromUser
        | A::DetachPolicyFromRole
        | A::EnableKey
        | A::DisableKey
        | A::UpdateRotationPolicy
        | A::ScheduleKeyDeletion
        | A::CancelKeyDeletion
        | A::SetDeletionProtection
        | A::CreateAlias
        | A::DeleteAlias
        | A::TagResource
        | A::UntagResource
        | A::UpdateKmsInstanceBindVpc => keys::EmptyResponse::describe(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::SPECS;

    /// A call that may change the state runs through the gate, which decides it before
    /// it can change anything; a query gets the engine read-only (AZ-1).
    #[test]
    fn every_call_passes_the_gate_and_only_queries_read_without_it() {
        for s in SPECS {
            match handler(s.action) {
                Handler::Call(_) => assert_ne!(s.kind, Kind::Query, "{} is a query run as a call", s.name),
                Handler::Query(_) => {
                    assert_eq!(s.kind, Kind::Query, "{} runs without the gate", s.name);
                    assert!(!s.mutates, "{} changes the state without a decision", s.name);
                }
            }
        }
    }
}
