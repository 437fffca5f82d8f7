//! The reads of the vendor's API: lists with the vendor's paging, and gets. Each is a
//! call like any other: decided (AZ-1; RAM policies must grant its action) and audited
//! (AT-1). What a list holds is what the caller's account may see: its own resources and
//! what is shared with it, which is what its root identity is allowed to describe
//! (README Semantics 28).
//!
//! Paging is the vendor's: KMS and ResourceManager number pages (`PageNumber` from 1,
//! `PageSize` 1 to 100, 10 by default, and `TotalCount`); ResourceSharing gives a
//! `NextToken` (`MaxResults` 1 to 100, 20 by default); RAM a `Marker` (`MaxItems` 1 to
//! 1000, 100 by default, and `IsTruncated`). A token or marker is where the next page
//! starts.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::directory::{account_info, handshake_info, AccountInfo, FolderInfo, HandshakeInfo, ResourceDirectoryInfo};
use super::gate::{Allowed, Ask, AuditRef, Pending, Reply};
use super::keys::{key_version_id, KeyVersionInfo};
use super::ram::{PolicyInfo, RoleInfo, UserInfo};
use super::secrets::{KmsTags, VersionStages};
use super::shares::{
    resource_association, share_info, target_association, ResourceShareAssociation, ResourceShareInfo,
};
use crate::action::Action;
use crate::authz::{allows, Request, Role, Target};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ids::*;
use crate::json::{response, ToValue};
use crate::model::*;
use crate::params::Params;
use crate::policy::Context;
use crate::request::request;
use crate::rules::Rule;
use serde_json::Value;

/// Where a page starts and how long it is, checked.
fn bounds(field: &'static str, start: u64, size: u64, max: u64, len: usize) -> Result<(usize, usize)> {
    if size == 0 || size > max {
        return Err(Error::invalid(field, None, format!("{field} is from 1 to {max}")));
    }
    let start = usize::try_from(start).unwrap_or(usize::MAX).min(len);
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok((start, start.saturating_add(size).min(len)))
}

/// `{"<item>": items}`, the vendor's wrapper of a list.
fn wrapped(item: &str, items: Vec<Value>) -> Value {
    crate::json::fields(&mut [(item, Value::Array(items))])
}

/// Page `number` (from 1) of `size` items, as KMS and ResourceManager answer:
/// `{"<list>": {"<item>": [...]}, PageNumber, PageSize, TotalCount}`.
fn numbered(list: &str, item: &str, mut items: Vec<Value>, number: Option<u64>, size: Option<u64>) -> Result<Value> {
    let (number, size) = (number.unwrap_or(1), size.unwrap_or(10));
    if number == 0 {
        return Err(Error::invalid("PageNumber", None, "PageNumber starts at 1"));
    }
    let total = items.len();
    let (a, b) = bounds("PageSize", (number - 1).saturating_mul(size), size, 100, total)?;
    let page = wrapped(item, items.drain(a..b).collect());
    Ok(crate::json::fields(&mut [
        (list, page),
        ("PageNumber", Value::from(number)),
        ("PageSize", Value::from(size)),
        ("TotalCount", Value::from(total)),
    ]))
}

/// The page starting at `token` (a previous page's `NextToken` or `Marker`), of at most
/// `max` items, and where the next one starts.
fn from_token(
    mut items: Vec<Value>,
    (token_field, token): (&'static str, Option<&String>),
    (max_field, max, default, limit): (&'static str, Option<u64>, u64, u64),
) -> Result<(Vec<Value>, Option<String>)> {
    let start = match token {
        Some(t) => t
            .parse::<u64>()
            .map_err(|_| Error::invalid(token_field, None, format!("{token_field} is not one this engine gave")))?,
        None => 0,
    };
    let (a, b) = bounds(max_field, start, max.unwrap_or(default), limit, items.len())?;
    let next = (b < items.len()).then(|| b.to_string());
    Ok((items.drain(a..b).collect(), next))
}

/// May the caller's account see the resource, as its root describing it would be allowed?
fn sees(e: &Engine, account: &AccountId, action: Action, target: &Target) -> bool {
    let root = Identity::root(account.clone());
    let ctx = Context::default();
    allows(&e.state, &Request { caller: &root, action, target, region: None, context: &ctx })
}

/// Decide a list or get: `role` may make it, on `arn`.
fn decide_read<'e>(p: Pending<'e>, arn: String, role: Role) -> Result<Allowed<'e>> {
    let action = p.action();
    p.decide(Ask::new(action, Target::Management { arn: arn.clone(), role }, AuditRef::resource(arn)))
}

request! {
    /// A KMS list of the caller's account: ListKeys, ListAliases, ListSecrets,
    /// ListKmsInstances.
    pub struct KmsListRequest {
        required {}
        optional {
            "PageNumber" page_number: u64,
            "PageSize" page_size: u64,
            /// Not applied: the engine lists every match (README Semantics 28).
            "Filters" filters: String,
            /// ListSecrets: `true` for each secret's tags.
            "FetchTags" fetch_tags: String,
            "RegionId" region_id: Region,
        }
    }
}

response! {
    /// One of a key's tags (ListResourceTags).
    pub struct KeyTag {
        /// The key.
        "KeyId" key_id: KeyId,
        /// The tag's key.
        "TagKey" tag_key: String,
        /// Its value.
        "TagValue" tag_value: String,
    }
}

response! {
    /// ListResourceTags' wrapper.
    pub struct KeyTags {
        /// The tags.
        "Tag" tag: Vec<KeyTag>,
    }
}

response! {
    /// ListResourceTags' response: a key's tags (what `kms:tag/<key>` conditions read).
    pub struct ListResourceTagsResponse {
        /// The tags.
        "Tags" tags: KeyTags,
    }
}

response! {
    /// A key in ListKeys.
    pub struct KeyItem {
        /// The key id.
        "KeyId" key_id: KeyId,
        /// Its ARN.
        "KeyArn" key_arn: String,
    }
}

response! {
    /// ListKeys' wrapper.
    pub struct KeyItems {
        /// The keys.
        "Key" key: Vec<KeyItem>,
    }
}

response! {
    /// ListKeys' response.
    pub struct ListKeysResponse {
        /// The page.
        "Keys" keys: KeyItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Keys in all pages.
        "TotalCount" total_count: u64,
    }
}

response! {
    /// An alias in ListAliases and ListAliasesByKeyId.
    pub struct AliasItem {
        /// The alias.
        "AliasName" alias_name: AliasName,
        /// Its ARN.
        "AliasArn" alias_arn: String,
        /// The key it names.
        "KeyId" key_id: KeyId,
    }
}

response! {
    /// The aliases' wrapper.
    pub struct AliasItems {
        /// The aliases.
        "Alias" alias: Vec<AliasItem>,
    }
}

response! {
    /// ListAliases' and ListAliasesByKeyId's response.
    pub struct ListAliasesResponse {
        /// The page.
        "Aliases" aliases: AliasItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Aliases in all pages.
        "TotalCount" total_count: u64,
    }
}

request! {
    /// A read of one key: ListKeyVersions, ListAliasesByKeyId, DescribeKeyVersion.
    pub struct KeyListRequest {
        required { "KeyId" key_id: String }
        optional {
            /// DescribeKeyVersion: the version.
            "KeyVersionId" key_version_id: String,
            "PageNumber" page_number: u64,
            "PageSize" page_size: u64,
            "RegionId" region_id: Region,
        }
    }
}

response! {
    /// The key versions' wrapper.
    pub struct KeyVersionItems {
        /// The versions, oldest first.
        "KeyVersion" key_version: Vec<KeyVersionInfo>,
    }
}

response! {
    /// ListKeyVersions' response.
    pub struct ListKeyVersionsResponse {
        /// The page.
        "KeyVersions" key_versions: KeyVersionItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Versions in all pages.
        "TotalCount" total_count: u64,
    }
}

fn version_info(k: &Key, v: &KeyVersion) -> KeyVersionInfo {
    KeyVersionInfo {
        key_id: k.id.clone(),
        key_version_id: key_version_id(&k.id, v.version),
        creation_date: crate::time::format(v.created_at),
    }
}

response! {
    /// A secret in ListSecrets.
    pub struct SecretItem {
        /// Its name.
        "SecretName" secret_name: SecretName,
        /// `Generic`.
        "SecretType" secret_type: &'static str,
        /// When it was created.
        "CreateTime" create_time: String,
        /// When its deletion falls due.
        "PlannedDeleteTime" planned_delete_time: Option<String>,
        /// Its tags, with `FetchTags`.
        "Tags" tags: Option<KmsTags>,
    }
}

response! {
    /// The secrets' wrapper.
    pub struct SecretItems {
        /// The secrets.
        "Secret" secret: Vec<SecretItem>,
    }
}

response! {
    /// ListSecrets' response.
    pub struct ListSecretsResponse {
        /// The page.
        "SecretList" secret_list: SecretItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Secrets in all pages.
        "TotalCount" total_count: u64,
    }
}

request! {
    /// ListSecretVersionIds: a secret's versions.
    pub struct ListSecretVersionIdsRequest {
        required { "SecretName" secret_name: String }
        optional {
            "IncludeDeprecated" include_deprecated: String,
            "PageNumber" page_number: u64,
            "PageSize" page_size: u64,
            "RegionId" region_id: Region,
        }
    }
}

response! {
    /// A version in ListSecretVersionIds.
    pub struct SecretVersionItem {
        /// Its id.
        "VersionId" version_id: String,
        /// When it was made.
        "CreateTime" create_time: String,
        /// Its stages.
        "VersionStages" version_stages: VersionStages,
    }
}

response! {
    /// The versions' wrapper.
    pub struct SecretVersionItems {
        /// The versions.
        "VersionId" version_id: Vec<SecretVersionItem>,
    }
}

response! {
    /// ListSecretVersionIds' response.
    pub struct ListSecretVersionIdsResponse {
        /// The secret.
        "SecretName" secret_name: SecretName,
        /// The page.
        "VersionIds" version_ids: SecretVersionItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Versions in all pages.
        "TotalCount" total_count: u64,
    }
}

/// ListSecretVersionIds: versions with a stage; with `IncludeDeprecated` every one.
pub(super) fn list_secret_version_ids(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = ListSecretVersionIdsRequest::read(params)?;
    let all = r.include_deprecated.as_deref() == Some("true");
    let arn = p.resolve_secret("SecretName", &r.secret_name, &p.call().caller.account)?;
    let (target, audit) = p.secret_target(&arn)?;
    p.about(audit.clone());
    let ok = p.decide(Ask::new(Action::ListSecretVersionIds, target, audit).within(r.region_id, Context::default()))?;
    let s = ok.state.secrets.get(&arn).ok_or_else(|| Error::not_found("secret", &r.secret_name))?;
    let items: Vec<_> = s
        .versions
        .iter()
        .filter(|v| all || !v.stages.is_empty())
        .map(|v| {
            SecretVersionItem {
                version_id: v.version_id.clone(),
                create_time: crate::time::format(v.created_at),
                version_stages: VersionStages::of(&v.stages),
            }
            .to_value()
        })
        .collect();
    let mut resp = numbered("VersionIds", "VersionId", items, r.page_number, r.page_size)?;
    if let Value::Object(m) = &mut resp {
        m.insert("SecretName".to_string(), s.name.to_value());
    }
    Ok(ok.reply(resp))
}

response! {
    /// An instance in ListKmsInstances.
    pub struct InstanceItem {
        /// Its id.
        "KmsInstanceId" kms_instance_id: InstanceId,
        /// Its ARN.
        "KmsInstanceArn" kms_instance_arn: String,
    }
}

response! {
    /// The instances' wrapper.
    pub struct InstanceItems {
        /// The instances.
        "KmsInstance" kms_instance: Vec<InstanceItem>,
    }
}

response! {
    /// ListKmsInstances' response.
    pub struct ListKmsInstancesResponse {
        /// The page.
        "KmsInstances" kms_instances: InstanceItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Instances in all pages.
        "TotalCount" total_count: u64,
    }
}

// Resource sharing.

request! {
    /// The ResourceSharing lists' common parameters.
    pub struct SharesListRequest {
        required {}
        optional {
            /// `Self` (the caller's shares) or `OtherAccounts` (shares reaching the caller).
            "ResourceOwner" resource_owner: String,
            "ResourceShareIds" resource_share_ids: Vec<String>,
            "ResourceShareId" resource_share_id: ShareId,
            "ResourceShareName" resource_share_name: String,
            "ResourceShareStatus" resource_share_status: String,
            "PermissionName" permission_name: String,
            /// `Resource` or `Target` (ListResourceShareAssociations).
            "AssociationType" association_type: String,
            "AssociationStatus" association_status: String,
            "ResourceId" resource_id: String,
            "ResourceIds" resource_ids: Vec<String>,
            "ResourceType" resource_type: String,
            "Target" target: String,
            "Targets" targets: Vec<String>,
            "MaxResults" max_results: u64,
            "NextToken" next_token: String,
        }
    }
}

/// The shares a ResourceSharing list reads: the caller's own (`Self`, the default), or
/// the active shares one of whose associated principals covers the caller's account
/// (`OtherAccounts`), filtered by id, name and status.
fn shares_for<'e>(e: &'e Engine, account: &AccountId, r: &SharesListRequest) -> Result<Vec<&'e Share>> {
    let others = match r.resource_owner.as_deref() {
        None | Some("Self") => false,
        Some("OtherAccounts") => true,
        Some(o) => {
            return Err(Error::invalid(
                "ResourceOwner",
                None,
                format!("ResourceOwner is `Self` or `OtherAccounts`, not `{}`", shorten(o)),
            ))
        }
    };
    let reaches = |s: &Share| {
        s.state == ShareState::Active
            && s.principals
                .iter()
                .any(|(p, a)| a.state == AssociationState::Associated && crate::state::covers(&e.state, p, account))
    };
    Ok(e.state
        .shares
        .values()
        .filter(|s| if others { s.owner != *account && reaches(s) } else { s.owner == *account })
        .filter(|s| r.resource_share_ids.as_ref().is_none_or(|ids| ids.iter().any(|i| i == s.id.as_str())))
        .filter(|s| r.resource_share_id.as_ref().is_none_or(|i| *i == s.id))
        .filter(|s| r.resource_share_name.as_ref().is_none_or(|n| n == s.name.as_str()))
        .filter(|s| r.resource_share_status.as_ref().is_none_or(|st| st == s.state.name()))
        .collect())
}

response! {
    /// ListResourceShares' response.
    pub struct ListResourceSharesResponse {
        /// The page.
        "ResourceShares" resource_shares: Vec<ResourceShareInfo>,
        /// Where the next page starts.
        "NextToken" next_token: Option<String>,
    }
}

response! {
    /// ListResourceShareAssociations' response.
    pub struct ListResourceShareAssociationsResponse {
        /// The page.
        "ResourceShareAssociations" resource_share_associations: Vec<ResourceShareAssociation>,
        /// Where the next page starts.
        "NextToken" next_token: Option<String>,
    }
}

response! {
    /// A shared instance in ListSharedResources.
    pub struct SharedResource {
        /// The instance.
        "ResourceId" resource_id: InstanceId,
        /// `KMSInstance`.
        "ResourceType" resource_type: &'static str,
        /// Its ARN.
        "ResourceArn" resource_arn: Option<String>,
        /// The share.
        "ResourceShareId" resource_share_id: ShareId,
        /// `Available` while associated, else `Unavailable`.
        "ResourceStatus" resource_status: &'static str,
        /// When the association last changed.
        "UpdateTime" update_time: String,
    }
}

response! {
    /// ListSharedResources' response.
    pub struct ListSharedResourcesResponse {
        /// The page.
        "SharedResources" shared_resources: Vec<SharedResource>,
        /// Where the next page starts.
        "NextToken" next_token: Option<String>,
    }
}

response! {
    /// A principal in ListSharedTargets.
    pub struct SharedTarget {
        /// The account, folder or directory id.
        "TargetId" target_id: String,
        /// The share.
        "ResourceShareId" resource_share_id: ShareId,
        /// Always `false`: inside the resource directory.
        "External" external: bool,
        /// When the association last changed.
        "UpdateTime" update_time: String,
    }
}

response! {
    /// ListSharedTargets' response.
    pub struct ListSharedTargetsResponse {
        /// The page.
        "SharedTargets" shared_targets: Vec<SharedTarget>,
        /// Where the next page starts.
        "NextToken" next_token: Option<String>,
    }
}

response! {
    /// A permission of the library (RS-4).
    pub struct PermissionItem {
        /// Its name.
        "PermissionName" permission_name: String,
        /// Its version.
        "PermissionVersion" permission_version: String,
        /// `KMSInstance`.
        "ResourceType" resource_type: &'static str,
        /// Whether it is the recommended permission.
        "DefaultPermission" default_permission: bool,
        /// Whether this is its default version.
        "DefaultVersion" default_version: bool,
    }
}

response! {
    /// ListResourceSharePermissions' and ListPermissions' response.
    pub struct ListPermissionsResponse {
        /// The page.
        "Permissions" permissions: Vec<PermissionItem>,
        /// Where the next page starts.
        "NextToken" next_token: Option<String>,
    }
}

fn permission_item(name: &str, version: &str) -> PermissionItem {
    PermissionItem {
        permission_name: name.to_string(),
        permission_version: version.to_string(),
        resource_type: "KMSInstance",
        default_permission: name == DEFAULT_PERMISSION,
        default_version: version == if name == DEFAULT_PERMISSION { "v2" } else { "v1" },
    }
}

fn params_missing(action: &str, name: &str) -> Error {
    Error::invalid(name, None, format!("{action} needs the parameter {name}")).with_vendor("MissingParameter")
}

// The resource directory.

request! {
    /// The ResourceManager reads' parameters.
    pub struct DirectoryReadRequest {
        required {}
        optional {
            "AccountId" account_id: AccountId,
            "FolderId" folder_id: FolderId,
            "ParentFolderId" parent_folder_id: FolderId,
            "QueryKeyword" query_keyword: String,
            "IncludeTags" include_tags: bool,
            "PageNumber" page_number: u64,
            "PageSize" page_size: u64,
        }
    }
}

response! {
    /// GetResourceDirectory's response.
    pub struct GetResourceDirectoryResponse {
        /// The directory.
        "ResourceDirectory" resource_directory: ResourceDirectoryInfo,
    }
}

response! {
    /// The members' wrapper.
    pub struct AccountItems {
        /// The members.
        "Account" account: Vec<AccountInfo>,
    }
}

response! {
    /// ListAccounts' and ListAccountsForParent's response.
    pub struct ListAccountsResponse {
        /// The page.
        "Accounts" accounts: AccountItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Members in all pages.
        "TotalCount" total_count: u64,
    }
}

response! {
    /// GetAccount's response.
    pub struct GetAccountResponse {
        /// The member.
        "Account" account: AccountInfo,
    }
}

fn folder_info(f: &Folder) -> FolderInfo {
    FolderInfo { folder_id: f.id.clone(), folder_name: f.name.clone(), parent_folder_id: f.parent.clone() }
}

response! {
    /// GetFolder's response.
    pub struct GetFolderResponse {
        /// The folder.
        "Folder" folder: FolderInfo,
    }
}

response! {
    /// The folders' wrapper.
    pub struct FolderItems {
        /// The folders.
        "Folder" folder: Vec<FolderInfo>,
    }
}

response! {
    /// ListFoldersForParent's response.
    pub struct ListFoldersResponse {
        /// The page.
        "Folders" folders: FolderItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Folders in all pages.
        "TotalCount" total_count: u64,
    }
}

response! {
    /// The handshakes' wrapper.
    pub struct HandshakeItems {
        /// The invitations.
        "Handshake" handshake: Vec<HandshakeInfo>,
    }
}

response! {
    /// ListHandshakesForResourceDirectory's response.
    pub struct ListHandshakesResponse {
        /// The page.
        "Handshakes" handshakes: HandshakeItems,
        /// Its number.
        "PageNumber" page_number: u64,
        /// Its size.
        "PageSize" page_size: u64,
        /// Invitations in all pages.
        "TotalCount" total_count: u64,
    }
}

// RAM.

request! {
    /// The RAM reads' parameters.
    pub struct RamReadRequest {
        required {}
        optional {
            "UserName" user_name: RamName,
            "RoleName" role_name: RamName,
            "PolicyName" policy_name: RamName,
            /// `Custom` (the account's own policies; `System` policies are not simulated).
            "PolicyType" policy_type: String,
            "VersionId" version_id: String,
            "Marker" marker: String,
            "MaxItems" max_items: u64,
        }
    }
}

response! {
    /// The users' wrapper.
    pub struct UserItems {
        /// The users.
        "User" user: Vec<UserInfo>,
    }
}

response! {
    /// ListUsers' response.
    pub struct ListUsersResponse {
        /// The page.
        "Users" users: UserItems,
        /// Whether more follow.
        "IsTruncated" is_truncated: bool,
        /// Where the next page starts.
        "Marker" marker: Option<String>,
    }
}

response! {
    /// The roles' wrapper.
    pub struct RoleItems {
        /// The roles.
        "Role" role: Vec<RoleInfo>,
    }
}

response! {
    /// ListRoles' response.
    pub struct ListRolesResponse {
        /// The page.
        "Roles" roles: RoleItems,
        /// Whether more follow.
        "IsTruncated" is_truncated: bool,
        /// Where the next page starts.
        "Marker" marker: Option<String>,
    }
}

response! {
    /// The policies' wrapper.
    pub struct PolicyItems {
        /// The policies.
        "Policy" policy: Vec<PolicyInfo>,
    }
}

response! {
    /// ListPolicies', ListPoliciesForUser's and ListPoliciesForRole's response.
    pub struct ListPoliciesResponse {
        /// The policies.
        "Policies" policies: PolicyItems,
        /// Whether more follow (ListPolicies).
        "IsTruncated" is_truncated: Option<bool>,
        /// Where the next page starts (ListPolicies).
        "Marker" marker: Option<String>,
    }
}

fn policy_info(name: &RamName) -> PolicyInfo {
    PolicyInfo { policy_name: name.clone(), policy_type: "Custom", default_version: "v1" }
}

/// Is `PolicyType` absent or `Custom`?
fn custom(r: &RamReadRequest) -> Result<bool> {
    match r.policy_type.as_deref() {
        None | Some("Custom") => Ok(true),
        Some("System") => Ok(false),
        Some(t) => Err(Error::invalid(
            "PolicyType",
            Rule::Ram2,
            format!("PolicyType is `Custom` or `System`, not `{}`", shorten(t)),
        )),
    }
}

response! {
    /// A policy's version: the simulator keeps one, `v1`.
    pub struct PolicyVersionInfo {
        /// `v1`.
        "VersionId" version_id: &'static str,
        /// Always `true`.
        "IsDefaultVersion" is_default_version: bool,
        /// The document, as JSON text.
        "PolicyDocument" policy_document: String,
    }
}

response! {
    /// GetPolicy's and GetPolicyVersion's response.
    pub struct GetPolicyResponse {
        /// GetPolicy: the policy.
        "Policy" policy: Option<PolicyInfo>,
        /// GetPolicy: its default version.
        "DefaultPolicyVersion" default_policy_version: Option<PolicyVersionInfo>,
        /// GetPolicyVersion: the version.
        "PolicyVersion" policy_version: Option<PolicyVersionInfo>,
    }
}

/// The aliases of `key` (of every key when `None`) the caller's account may see.
fn aliases(e: &Engine, account: &AccountId, key: Option<&KeyId>) -> Vec<Value> {
    let mut out = Vec::new();
    for (arn, a) in &e.state.aliases {
        let visible = || e.key_target(&a.key).is_ok_and(|(t, _)| sees(e, account, Action::DescribeKey, &t));
        if key.is_none_or(|k| *k == a.key) && visible() {
            out.push(
                AliasItem { alias_name: a.name.clone(), alias_arn: arn.clone(), key_id: a.key.clone() }.to_value(),
            );
        }
    }
    out
}

/// ListKeys, ListAliases, ListSecrets and ListKmsInstances: what the caller's account may
/// see. A key, alias or secret is listed when the account's root may describe it (its
/// own, and in Joint ownership every one of the instances it owns); an instance when the
/// account owns it or may create keys in it (it is shared with the account).
pub(super) fn kms_list(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    use Action as A;
    let action = p.action();
    let r = KmsListRequest::read(params)?;
    let account = p.call().caller.account.clone();
    let what = match action {
        A::ListKeys => "key",
        A::ListAliases => "alias",
        A::ListSecrets => "secret",
        _ => "instance",
    };
    let region = r.region_id.as_ref().map_or("*", Region::as_str);
    let ok = decide_read(p, format!("acs:kms:{region}:{account}:{what}"), Role::AnyAccount)?;
    let e: &Engine = &ok;
    let (list, item, items): (&str, &str, Vec<Value>) = match action {
        A::ListKeys => {
            let seen = |k: &&Key| e.key_target(&k.id).is_ok_and(|(t, _)| sees(e, &account, A::DescribeKey, &t));
            let items = e.state.keys.values().filter(seen);
            (
                "Keys",
                "Key",
                items.map(|k| KeyItem { key_id: k.id.clone(), key_arn: e.state.key_arn(k) }.to_value()).collect(),
            )
        }
        A::ListAliases => ("Aliases", "Alias", aliases(e, &account, None)),
        A::ListSecrets => {
            let tags = r.fetch_tags.as_deref() == Some("true");
            let mut items = Vec::new();
            for (arn, s) in &e.state.secrets {
                if e.secret_target(arn).is_ok_and(|(t, _)| sees(e, &account, A::DescribeSecret, &t)) {
                    items.push(
                        SecretItem {
                            secret_name: s.name.clone(),
                            secret_type: "Generic",
                            create_time: crate::time::format(s.created_at),
                            planned_delete_time: s.delete_at.map(crate::time::format),
                            tags: tags.then(|| KmsTags::of(&s.tags)),
                        }
                        .to_value(),
                    );
                }
            }
            ("SecretList", "Secret", items)
        }
        _ => {
            let shown =
                |i: &&Instance| i.owner == account || sees(e, &account, A::CreateKey, &e.instance_target(&i.id).0);
            let items = e.state.instances.values().filter(shown).map(|i| {
                InstanceItem { kms_instance_id: i.id.clone(), kms_instance_arn: crate::state::instance_arn(i) }
                    .to_value()
            });
            ("KmsInstances", "KmsInstance", items.collect())
        }
    };
    let resp = numbered(list, item, items, r.page_number, r.page_size)?;
    Ok(ok.reply(resp))
}

/// ListKeyVersions, ListAliasesByKeyId and DescribeKeyVersion: decided on the key
/// (the permission matrix's key management).
pub(super) fn key_read(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let action = p.action();
    let r = KeyListRequest::read(params)?;
    let account = p.call().caller.account.clone();
    let (ok, key) = super::keys::decide_on_key(p, ("KeyId", &r.key_id), r.region_id, None)?;
    let resp = match action {
        Action::DescribeKeyVersion => {
            let vid = r.key_version_id.as_deref().ok_or_else(|| params_missing(action.name(), "KeyVersionId"))?;
            let v = super::keys::version_of(&key, vid)
                .and_then(|n| key.versions.iter().find(|v| v.version == n))
                .ok_or_else(|| {
                    Error::not_found("key version", &shorten(vid)).with_vendor("Forbidden.KeyVersionNotFound")
                })?;
            super::keys::KeyVersionResponse { key_version: version_info(&key, v) }.to_value()
        }
        Action::ListResourceTags => ListResourceTagsResponse {
            tags: KeyTags {
                tag: key
                    .tags
                    .iter()
                    .map(|(k, v)| KeyTag { key_id: key.id.clone(), tag_key: k.clone(), tag_value: v.clone() })
                    .collect(),
            },
        }
        .to_value(),
        Action::ListAliasesByKeyId => {
            numbered("Aliases", "Alias", aliases(&ok, &account, Some(&key.id)), r.page_number, r.page_size)?
        }
        _ => {
            let items = key.versions.iter().map(|v| version_info(&key, v).to_value()).collect();
            numbered("KeyVersions", "KeyVersion", items, r.page_number, r.page_size)?
        }
    };
    Ok(ok.reply(resp))
}

/// The six ResourceSharing lists, paged by `NextToken` (see [`shares_for`] for the shares
/// each reads).
pub(super) fn shares_read(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    use Action as A;
    let action = p.action();
    let r = SharesListRequest::read(params)?;
    let account = p.call().caller.account.clone();
    let ok = decide_read(p, format!("acs:resourcesharing:*:{account}:resourceshare/*"), Role::AnyAccount)?;
    let e: &Engine = &ok;
    let shares = shares_for(e, &account, &r)?;
    let mut items = Vec::new();
    let list = match action {
        A::ListResourceShares => {
            items.extend(shares.iter().map(|s| share_info(s).to_value()));
            "ResourceShares"
        }
        A::ListResourceShareAssociations => {
            let targets = match r.association_type.as_deref() {
                Some("Resource") => false,
                Some("Target") => true,
                _ => return Err(Error::invalid("AssociationType", None, "AssociationType is `Resource` or `Target`")),
            };
            for s in &shares {
                let mut add = |a: ResourceShareAssociation| {
                    if r.association_status.as_ref().is_none_or(|st| st == a.association_status.name()) {
                        items.push(a.to_value());
                    }
                };
                if targets {
                    for (t, a) in s.principals.iter().filter(|(t, _)| r.target.as_ref().is_none_or(|x| x == t.id())) {
                        add(target_association(s, t, a));
                    }
                } else {
                    for (i, a) in
                        s.resources.iter().filter(|(i, _)| r.resource_id.as_ref().is_none_or(|x| x == i.as_str()))
                    {
                        add(resource_association(e, s, i, a));
                    }
                }
            }
            "ResourceShareAssociations"
        }
        A::ListSharedResources => {
            let others = r.resource_owner.as_deref() == Some("OtherAccounts");
            for s in &shares {
                for (i, a) in &s.resources {
                    let named = r.resource_ids.as_ref().is_none_or(|ids| ids.iter().any(|x| x == i.as_str()));
                    let live = a.state == AssociationState::Associated;
                    if named && (live || !others) {
                        let resource = SharedResource {
                            resource_id: i.clone(),
                            resource_type: "KMSInstance",
                            resource_arn: e.state.instances.get(i).map(crate::state::instance_arn),
                            resource_share_id: s.id.clone(),
                            resource_status: if live { "Available" } else { "Unavailable" },
                            update_time: crate::time::format(a.updated_at),
                        };
                        items.push(resource.to_value());
                    }
                }
            }
            "SharedResources"
        }
        A::ListSharedTargets => {
            for s in &shares {
                for (t, a) in &s.principals {
                    if r.targets.as_ref().is_none_or(|ts| ts.iter().any(|x| x == t.id())) {
                        let target = SharedTarget {
                            target_id: t.id().to_string(),
                            resource_share_id: s.id.clone(),
                            external: false,
                            update_time: crate::time::format(a.updated_at),
                        };
                        items.push(target.to_value());
                    }
                }
            }
            "SharedTargets"
        }
        A::ListResourceSharePermissions => {
            let id = r.resource_share_id.as_ref().ok_or_else(|| params_missing(action.name(), "ResourceShareId"))?;
            let share = shares.first().ok_or_else(|| Error::not_found("resource share", id.as_str()))?;
            let version = |x: &SharePermission| x.version.clone().unwrap_or_else(|| "v1".to_string());
            items.extend(share.permissions.iter().map(|x| permission_item(&x.name, &version(x)).to_value()));
            "Permissions"
        }
        _ => {
            // ListPermissions: the library for KMS instances (RS-4).
            if r.resource_type.as_deref().is_none_or(|t| t == "KMSInstance") {
                let library = [(DEFAULT_PERMISSION, "v1"), (DEFAULT_PERMISSION, "v2"), (DEPRECATED_PERMISSION, "v1")];
                items.extend(library.iter().map(|(n, v)| permission_item(n, v).to_value()));
            }
            "Permissions"
        }
    };
    let (page, next) = from_token(items, ("NextToken", r.next_token.as_ref()), ("MaxResults", r.max_results, 20, 100))?;
    Ok(ok.reply(crate::json::fields(&mut [(list, Value::Array(page)), ("NextToken", next.to_value())])))
}

/// The reads of the directory: GetResourceDirectory, by the management account or a
/// member; the management account's (RD-1) ListAccounts, ListAccountsForParent (by
/// folder, `QueryKeyword` on the id or display name), ListFoldersForParent (the root's by
/// default), GetAccount, GetFolder and ListHandshakesForResourceDirectory.
pub(super) fn directory_read(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    use Action as A;
    let action = p.action();
    let r = DirectoryReadRequest::read(params)?;
    let account = p.call().caller.account.clone();
    let dir = p.directory()?;
    let (m, inside) =
        (dir.management_account.clone(), dir.management_account == account || dir.members.contains_key(&account));
    let role = if action == A::GetResourceDirectory { Role::AnyAccount } else { Role::ManagementAccount(m.clone()) };
    let ok = decide_read(p, format!("acs:resourcemanager::{m}:*"), role)?;
    let dir = ok.directory()?;
    let resp = match action {
        A::GetResourceDirectory => {
            if !inside {
                let why = format!("account {account} is in no resource directory");
                return Err(Error::new(crate::error::ErrorCode::NotFound, Rule::Rd1, why));
            }
            let info = ResourceDirectoryInfo {
                resource_directory_id: dir.id.clone(),
                root_folder_id: dir.root_folder.clone(),
                master_account_id: m.clone(),
                master_account_name: ok.state.accounts.get(&m).and_then(|a| a.name.clone()),
            };
            crate::json::fields(&mut [("ResourceDirectory", info.to_value())])
        }
        A::GetAccount => {
            let id = r.account_id.as_ref().ok_or_else(|| params_missing(action.name(), "AccountId"))?;
            let m = dir.members.get(id).ok_or_else(|| Error::not_found("member", id.as_str()))?;
            crate::json::fields(&mut [("Account", account_info(&ok, dir, m).to_value())])
        }
        A::GetFolder => {
            let id = r.folder_id.as_ref().ok_or_else(|| params_missing(action.name(), "FolderId"))?;
            let f = dir.folders.get(id).ok_or_else(|| Error::not_found("folder", id.as_str()))?;
            crate::json::fields(&mut [("Folder", folder_info(f).to_value())])
        }
        A::ListFoldersForParent => {
            let parent = r.parent_folder_id.clone().unwrap_or_else(|| dir.root_folder.clone());
            if !dir.folders.contains_key(&parent) {
                return Err(Error::not_found("folder", parent.as_str()).at_field("ParentFolderId"));
            }
            let named = |f: &&Folder| r.query_keyword.as_ref().is_none_or(|q| f.name.as_str().contains(q.as_str()));
            let children = dir.folders.values().filter(|f| f.parent.as_ref() == Some(&parent)).filter(named);
            // The vendor's list leaves the parent out: it is the one asked about.
            let items = children.map(|f| FolderInfo { parent_folder_id: None, ..folder_info(f) }.to_value()).collect();
            numbered("Folders", "Folder", items, r.page_number, r.page_size)?
        }
        A::ListHandshakesForResourceDirectory => {
            let items = dir.invitations.values().map(|i| handshake_info(dir, i).to_value()).collect();
            numbered("Handshakes", "Handshake", items, r.page_number, r.page_size)?
        }
        _ => {
            if action == A::ListAccountsForParent && r.parent_folder_id.is_none() {
                return Err(params_missing(action.name(), "ParentFolderId"));
            }
            let mut items = Vec::new();
            for m in dir.members.values() {
                let mut info = account_info(&ok, dir, m);
                let shown = info.display_name.as_ref().map_or("", DisplayName::as_str);
                let matched = r
                    .query_keyword
                    .as_ref()
                    .is_none_or(|q| m.account.as_str().contains(q.as_str()) || shown.contains(q.as_str()));
                if r.parent_folder_id.as_ref().is_none_or(|f| *f == m.folder) && matched {
                    // The vendor's lists leave the account name out.
                    info.account_name = None;
                    items.push(info.to_value());
                }
            }
            numbered("Accounts", "Account", items, r.page_number, r.page_size)?
        }
    };
    Ok(ok.reply(resp))
}

/// The RAM reads of the caller's own account (RAM-1): ListUsers, ListRoles and
/// ListPolicies paged by `Marker`; ListPoliciesForUser and ListPoliciesForRole;
/// GetPolicy and GetPolicyVersion (one version, `v1`, is kept).
pub(super) fn ram_read(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    use Action as A;
    let action = p.action();
    let r = RamReadRequest::read(params)?;
    let acct = p.call().caller.account.clone();
    let what = match action {
        A::ListUsers | A::ListPoliciesForUser => "user/*",
        A::ListRoles | A::ListPoliciesForRole => "role/*",
        _ => "policy/*",
    };
    let role = Role::Account(acct.clone(), "account itself", Rule::Ram1);
    let ok = decide_read(p, format!("acs:ram::{acct}:{what}"), role)?;
    let empty = RamAccount::default();
    let ram = ok.state.ram.get(&acct).unwrap_or(&empty);
    let page = |list: &str, item: &str, items: Vec<Value>| -> Result<Value> {
        let (page, marker) = from_token(items, ("Marker", r.marker.as_ref()), ("MaxItems", r.max_items, 100, 1000))?;
        Ok(crate::json::fields(&mut [
            (list, wrapped(item, page)),
            ("IsTruncated", Value::Bool(marker.is_some())),
            ("Marker", marker.to_value()),
        ]))
    };
    let resp = match action {
        A::ListUsers => {
            page("Users", "User", ram.users.keys().map(|n| UserInfo { user_name: n.clone() }.to_value()).collect())?
        }
        A::ListRoles => {
            let role =
                |n: &RamName| RoleInfo { role_name: n.clone(), arn: format!("acs:ram::{acct}:role/{n}") }.to_value();
            page("Roles", "Role", ram.roles.keys().map(role).collect())?
        }
        A::ListPolicies => {
            let custom = custom(&r)?;
            page(
                "Policies",
                "Policy",
                ram.policies.keys().filter(|_| custom).map(|n| policy_info(n).to_value()).collect(),
            )?
        }
        A::ListPoliciesForUser | A::ListPoliciesForRole => {
            let user = action == A::ListPoliciesForUser;
            let (name, field) =
                if user { (r.user_name.as_ref(), "UserName") } else { (r.role_name.as_ref(), "RoleName") };
            let name = name.ok_or_else(|| params_missing(action.name(), field))?;
            let set = if user { ram.users.get(name) } else { ram.roles.get(name) };
            let set =
                set.ok_or_else(|| Error::not_found(if user { "user" } else { "role" }, name.as_str()).at_field(field))?;
            crate::json::fields(&mut [(
                "Policies",
                wrapped("Policy", set.iter().map(|n| policy_info(n).to_value()).collect()),
            )])
        }
        _ => {
            // GetPolicy and GetPolicyVersion.
            let name = r.policy_name.as_ref().ok_or_else(|| params_missing(action.name(), "PolicyName"))?;
            let policy = ram.policies.get(name).filter(|_| custom(&r).unwrap_or(false));
            let policy = policy.ok_or_else(|| Error::not_found("policy", name.as_str()).at_field("PolicyName"))?;
            let v =
                PolicyVersionInfo { version_id: "v1", is_default_version: true, policy_document: policy.text().into() };
            if action == A::GetPolicy {
                crate::json::fields(&mut [
                    ("Policy", policy_info(name).to_value()),
                    ("DefaultPolicyVersion", v.to_value()),
                ])
            } else {
                match r.version_id.as_deref() {
                    Some("v1") => crate::json::fields(&mut [("PolicyVersion", v.to_value())]),
                    Some(other) => {
                        return Err(Error::not_found("policy version", &shorten(other)).at_field("VersionId"))
                    }
                    None => return Err(params_missing(action.name(), "VersionId")),
                }
            }
        }
    };
    Ok(ok.reply(resp))
}
