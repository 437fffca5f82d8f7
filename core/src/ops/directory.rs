//! Accounts and the resource directory (RD-1..RD-7): signing up, enabling the
//! directory, folders, members by creation and by invitation, moves, and enabling
//! resource sharing.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::gate::{Ask, AuditRef, Pending, Reply};
use super::keys::EmptyResponse;
use crate::action::Action;
use crate::authz::{Role, Target};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::{IdMap, IdSet};
use crate::ids::*;
use crate::json::response;
use crate::model::*;
use crate::params::Params;
use crate::request::request;
use crate::rules::Rule;

/// The service-linked role created when sharing is enabled (RD-7).
pub const SHARING_ROLE: &str = "AliyunServiceRoleForResourceSharing";

request! {
    /// RegisterAccount (the simulator's): an account signs up, made by its root.
    pub struct RegisterAccountRequest {
        required {}
        optional {
            /// The account name (RD-2).
            "AccountName" account_name: AccountName,
            /// The display name (RD-3).
            "DisplayName" display_name: DisplayName,
            /// The verified enterprise it belongs to (RS-3).
            "EnterpriseId" enterprise_id: String,
            /// Whether it can pay (RD-5; by default it can).
            "CanPay" can_pay: bool,
        }
    }
}

request! {
    /// EnableResourceDirectory: the caller's account becomes the management account (RD-1).
    pub struct EnableResourceDirectoryRequest {
        required {}
        optional {
            /// The simulator's: the verified enterprise the directory belongs to (RS-3).
            /// The vendor's API has no such parameter (the enterprise is the account's
            /// real-name verification); without it, the caller's account's enterprise, or
            /// one named after the account (`ent-<account id>`).
            "EnterpriseId" enterprise_id: String,
            /// `CurrentAccount`, the one mode: the caller's account manages the directory.
            "EnableMode" enable_mode: String,
            /// The simulator's: the directory's id, so that a document can name it.
            "DirectoryId" directory_id: DirectoryId,
            /// The simulator's: the root folder's id.
            "RootFolderId" root_folder_id: FolderId,
            /// The simulator's: most folders (100 by default, RD-1).
            "MaxFolders" max_folders: u64,
            /// The simulator's: most levels below the root (5 by default, RD-1).
            "MaxDepth" max_depth: u64,
            /// The simulator's: most members (unlimited by default).
            "MaxMembers" max_members: u64,
        }
    }
}

request! {
    /// CreateFolder (RD-1).
    pub struct CreateFolderRequest {
        required {
            /// The name, unique among its siblings.
            "FolderName" folder_name: FolderName,
        }
        optional {
            /// The parent (the root by default).
            "ParentFolderId" parent_folder_id: FolderId,
            /// The simulator's: the new folder's id, so that a document can name it.
            "FolderId" folder_id: FolderId,
        }
    }
}

request! {
    /// CreateResourceAccount: the management account creates a member (RD-2..RD-5).
    pub struct CreateResourceAccountRequest {
        required {
            /// The account name (RD-2), unique in the directory.
            "AccountNamePrefix" account_name_prefix: AccountName,
            /// The display name (RD-3).
            "DisplayName" display_name: DisplayName,
        }
        optional {
            /// The folder it joins (the root by default).
            "ParentFolderId" parent_folder_id: FolderId,
            /// The member that pays for it (RD-5; the management account by default).
            "PayerAccountId" payer_account_id: AccountId,
            /// Tags: `[{"Key": .., "Value": ..}]` (`Tag.1.Key`, ...).
            "Tag" tag: IdMap<String, String>,
            /// The simulator's: `Management`, `Self` or a member's id (RD-5).
            "BillingAccount" billing_account: String,
            /// The simulator's: the new account's id, so that a document can name it.
            "AccountId" account_id: AccountId,
            /// The simulator's: whether the account can pay (RD-5; by default it can).
            "CanPay" can_pay: bool,
        }
    }
}

request! {
    /// InviteAccountToResourceDirectory (RD-4).
    pub struct InviteAccountToResourceDirectoryRequest {
        required {
            /// The account invited: its id; several ids comma-separated invite each (RD-4).
            "TargetEntity" target_entity: String,
        }
        optional {
            /// `Account`, the one type.
            "TargetType" target_type: String,
            /// The remark the invitee sees, at most 1,024 characters.
            "Note" note: String,
            /// Tags the member gets on joining.
            "Tag" tag: IdMap<String, String>,
            /// The simulator's: the folder the member will join (the root by default).
            "ParentFolderId" parent_folder_id: FolderId,
        }
    }
}

request! {
    /// AcceptHandshake and DeclineHandshake, by the invited account (RD-4).
    pub struct HandshakeRequest {
        required {
            /// The invitation.
            "HandshakeId" handshake_id: String,
        }
        optional {
            /// The simulator's, on accepting: the enterprise of an account new to the simulation.
            "EnterpriseId" enterprise_id: String,
            /// The simulator's, on accepting: its account name.
            "AccountName" account_name: AccountName,
            /// The simulator's, on accepting: whether it can pay.
            "CanPay" can_pay: bool,
        }
    }
}

request! {
    /// MoveAccount between folders (RD-6, RS-7).
    pub struct MoveAccountRequest {
        required {
            /// The member.
            "AccountId" account_id: AccountId,
            /// The folder it moves to.
            "DestinationFolderId" destination_folder_id: FolderId,
        }
        optional {}
    }
}

request! {
    /// EnableSharingWithResourceDirectory (RD-7).
    pub struct EnableSharingRequest {
        required {}
        optional {}
    }
}

response! {
    /// A resource directory, as EnableResourceDirectory returns it.
    pub struct ResourceDirectoryInfo {
        /// The directory id.
        "ResourceDirectoryId" resource_directory_id: DirectoryId,
        /// Its root folder.
        "RootFolderId" root_folder_id: FolderId,
        /// The management account.
        "MasterAccountId" master_account_id: AccountId,
        /// Its name, when it has one.
        "MasterAccountName" master_account_name: Option<AccountName>,
    }
}

response! {
    /// EnableResourceDirectory's response.
    pub struct ResourceDirectoryResponse {
        /// The directory.
        "ResourceDirectory" resource_directory: ResourceDirectoryInfo,
    }
}

response! {
    /// A folder, as CreateFolder returns it.
    pub struct FolderInfo {
        /// The folder id.
        "FolderId" folder_id: FolderId,
        /// Its name.
        "FolderName" folder_name: FolderName,
        /// Its parent.
        "ParentFolderId" parent_folder_id: Option<FolderId>,
    }
}

response! {
    /// CreateFolder's response.
    pub struct FolderResponse {
        /// The folder.
        "Folder" folder: FolderInfo,
    }
}

response! {
    /// A member account, as CreateResourceAccount returns it.
    pub struct AccountInfo {
        /// The account id.
        "AccountId" account_id: AccountId,
        /// Its name.
        "AccountName" account_name: Option<AccountName>,
        /// Its display name.
        "DisplayName" display_name: Option<DisplayName>,
        /// Its folder.
        "FolderId" folder_id: FolderId,
        /// The directory.
        "ResourceDirectoryId" resource_directory_id: DirectoryId,
        /// `created` or `invited`.
        "JoinMethod" join_method: &'static str,
        /// `CreateSuccess`.
        "Status" status: &'static str,
        /// `ResourceAccount` (created) or `CloudAccount` (invited).
        "Type" account_type: &'static str,
    }
}

response! {
    /// CreateResourceAccount's response.
    pub struct AccountResponse {
        /// The member.
        "Account" account: AccountInfo,
    }
}

response! {
    /// An invitation (RD-4), as the handshake calls return it.
    pub struct HandshakeInfo {
        /// The handshake id.
        "HandshakeId" handshake_id: String,
        /// The account invited.
        "TargetEntity" target_entity: AccountId,
        /// `Account`.
        "TargetType" target_type: &'static str,
        /// `Pending`, `Accepted` or `Declined`.
        "Status" status: InvitationStatus,
        /// The remark.
        "Note" note: String,
        /// The directory.
        "ResourceDirectoryId" resource_directory_id: DirectoryId,
        /// The management account.
        "MasterAccountId" master_account_id: AccountId,
    }
}

response! {
    /// The handshake calls' response.
    pub struct HandshakeResponse {
        /// The invitation.
        "Handshake" handshake: HandshakeInfo,
    }
}

/// An account's member record as the vendor describes it.
pub(crate) fn account_info(e: &Engine, dir: &Directory, m: &Member) -> AccountInfo {
    let a = e.state.accounts.get(&m.account);
    let invited = m.joined_by == JoinMethod::Invited;
    AccountInfo {
        account_id: m.account.clone(),
        account_name: a.and_then(|a| a.name.clone()),
        display_name: a.and_then(|a| a.display_name.clone()),
        folder_id: m.folder.clone(),
        resource_directory_id: dir.id.clone(),
        join_method: if invited { "invited" } else { "created" },
        status: "CreateSuccess",
        account_type: if invited { "CloudAccount" } else { "ResourceAccount" },
    }
}

/// An invitation as the vendor describes it.
pub(crate) fn handshake_info(dir: &Directory, inv: &Invitation) -> HandshakeInfo {
    HandshakeInfo {
        handshake_id: inv.id.clone(),
        target_entity: inv.account.clone(),
        target_type: "Account",
        status: inv.status,
        note: inv.remark.clone(),
        resource_directory_id: dir.id.clone(),
        master_account_id: dir.management_account.clone(),
    }
}

/// A decision on a management call: `role` may make it, RAM policies permitting.
pub(super) fn management(action: Action, arn: String, role: Role) -> Ask {
    let audit = AuditRef::resource(arn.clone());
    Ask::new(action, Target::Management { arn, role }, audit)
}

/// A decision on a call that only the management account makes (RD-1).
fn by_management(e: &Engine, action: Action, arn: String) -> Result<Ask> {
    Ok(management(action, arn, Role::ManagementAccount(e.directory()?.management_account.clone())))
}

fn management_arn(e: &Engine, what: &str) -> String {
    let m = e.state.directory.as_ref().map(|d| d.management_account.to_string()).unwrap_or_default();
    format!("acs:resourcemanager::{m}:{what}")
}

/// RegisterAccount: an Alibaba Cloud account signs up (a simulator action).
pub(super) fn register_account(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = RegisterAccountRequest::read(params)?;
    let call = p.call();
    if !call.caller.is_root() {
        return Err(Error::invalid("caller", Rule::Ram1, "RegisterAccount is made by the new account's root identity"));
    }
    let id = call.caller.account.clone();
    if p.state.accounts.contains_key(&id) {
        return Err(Error::new(ErrorCode::AlreadyExists, None, format!("account {id} is already registered")));
    }
    let mut ok = p.decide(management(Action::RegisterAccount, String::new(), Role::NewAccount))?;
    ok.created(AuditRef::default());
    let account = Account {
        id: id.clone(),
        name: r.account_name,
        display_name: r.display_name,
        enterprise_id: r.enterprise_id,
        can_pay: r.can_pay.unwrap_or(true),
    };
    ok.state.accounts.insert(id.clone(), account);
    Ok(ok.reply(obj!("AccountId": id)))
}

fn ensure_account(
    e: &mut Engine,
    id: &AccountId,
    enterprise: Option<String>,
    name: Option<AccountName>,
    can_pay: bool,
) {
    let a = e.state.accounts.entry(id.clone()).or_insert_with(|| Account {
        id: id.clone(),
        name: None,
        display_name: None,
        enterprise_id: None,
        can_pay,
    });
    if a.enterprise_id.is_none() {
        a.enterprise_id = enterprise;
    }
    if a.name.is_none() {
        a.name = name;
    }
}

/// EnableResourceDirectory: the caller's account becomes the management account (RD-1).
pub(super) fn enable(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = EnableResourceDirectoryRequest::read(params)?;
    if let Some(m) = r.enable_mode.as_deref().filter(|m| *m != "CurrentAccount") {
        return Err(Error::invalid(
            "EnableMode",
            Rule::Rd1,
            format!(
                "EnableMode must be `CurrentAccount`: the caller's account manages the directory, not `{}`",
                shorten(m)
            ),
        ));
    }
    let limit = |n: Option<u64>| n.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    let mut limits = Limits::default();
    if let Some(n) = limit(r.max_folders) {
        limits.max_folders = n;
    }
    if let Some(n) = limit(r.max_depth) {
        limits.max_depth = n;
    }
    limits.max_members = limit(r.max_members);
    let caller_account = &p.call().caller.account;
    let enterprise = match r.enterprise_id {
        Some(e) => e,
        None => match p.state.accounts.get(caller_account).and_then(|a| a.enterprise_id.clone()) {
            Some(e) => e,
            None => format!("ent-{caller_account}"),
        },
    };
    if enterprise.is_empty() || enterprise.len() > 64 {
        return Err(Error::invalid(
            "EnterpriseId",
            Rule::Rd1,
            "EnterpriseId must be 1 to 64 characters (a verified enterprise id)",
        ));
    }
    let call = p.call();
    if !call.caller.is_root() {
        return Err(Error::invalid(
            "caller",
            Rule::Rd1,
            "the resource directory is enabled by an account's root identity",
        ));
    }
    if p.state.directory.is_some() {
        return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd1, "the resource directory is already enabled"));
    }
    let acct = call.caller.account.clone();
    if let Some(a) = p.state.accounts.get(&acct) {
        if a.enterprise_id.as_deref().is_some_and(|e| e != enterprise) {
            return Err(Error::new(
                ErrorCode::NotSameDirectory,
                Rule::Rd1,
                format!("account {acct} belongs to another enterprise than `{}`", shorten(&enterprise)),
            ));
        }
    }
    let mut ok = p.decide(management(Action::EnableResourceDirectory, String::new(), Role::NewAccount))?;
    let dir_id = match r.directory_id {
        Some(d) => d,
        None => DirectoryId::parse(&ok.new_id("rd-")?)?,
    };
    let root_id = match r.root_folder_id {
        Some(r) => r,
        None => FolderId::parse(&ok.new_id("fd-")?)?,
    };
    ensure_account(&mut ok, &acct, Some(enterprise.clone()), None, true);
    let mut folders = IdMap::new();
    folders.insert(
        root_id.clone(),
        Folder { id: root_id.clone(), name: FolderName::parse("Root")?, parent: None, depth: 0 },
    );
    let seq = ok.state.next_seq();
    let mut members = IdMap::new();
    members.insert(
        acct.clone(),
        Member {
            account: acct.clone(),
            folder: root_id.clone(),
            billing_account: acct.clone(),
            joined_by: JoinMethod::Management,
            tags: IdMap::new(),
            seq,
        },
    );
    ok.state.directory = Some(Directory {
        id: dir_id.clone(),
        enterprise_id: enterprise,
        management_account: acct.clone(),
        root_folder: root_id.clone(),
        folders,
        members,
        invitations: IdMap::new(),
        sharing_enabled: false,
        service_linked_roles: IdSet::new(),
        limits,
    });
    ok.created(AuditRef::resource(format!("acs:resourcemanager::{acct}:resourcedirectory/{dir_id}")));
    ok.state.rebuild_access();
    let info = ResourceDirectoryInfo {
        master_account_name: ok.state.accounts.get(&acct).and_then(|a| a.name.clone()),
        resource_directory_id: dir_id,
        root_folder_id: root_id,
        master_account_id: acct,
    };
    Ok(ok.reply(crate::json::ToValue::to_value(&ResourceDirectoryResponse { resource_directory: info })))
}

fn parent_folder(e: &Engine, name: &'static str, given: Option<FolderId>) -> Result<FolderId> {
    let dir = e.directory()?;
    match given {
        Some(f) if dir.folders.contains_key(&f) => Ok(f),
        Some(f) => Err(Error::not_found("folder", f.as_str()).at_field(name)),
        None => Ok(dir.root_folder.clone()),
    }
}

/// CreateFolder (RD-1: at most `maxDepth` levels, `maxFolders` folders).
pub(super) fn create_folder(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateFolderRequest::read(params)?;
    let name = r.folder_name;
    let parent = parent_folder(&p, "ParentFolderId", r.parent_folder_id)?;
    let ask = by_management(&p, Action::CreateFolder, management_arn(&p, "folder/*"))?;
    let mut ok = p.decide(ask)?;
    let dir = ok.directory()?;
    let depth = dir.folders.get(&parent).map(|f| f.depth + 1).unwrap_or(1);
    if depth > dir.limits.max_depth {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            Rule::Rd1,
            format!(
                "folders nest at most {} levels below the root; `{name}` would be at level {depth}",
                dir.limits.max_depth
            ),
        ));
    }
    // The root folder does not count against the folder limit.
    if dir.folders.len() > dir.limits.max_folders as usize {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            Rule::Rd1,
            format!("the directory already has {} folders", dir.limits.max_folders),
        ));
    }
    if dir.folders.values().any(|f| f.parent.as_ref() == Some(&parent) && f.name == name) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            Rule::Rd1,
            format!("folder `{name}` already exists in {parent}"),
        ));
    }
    let id = match r.folder_id {
        Some(f) if dir.folders.contains_key(&f) => {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd6, format!("folder {f} already exists")))
        }
        Some(f) => f,
        None => FolderId::parse(&ok.new_id("fd-")?)?,
    };
    if let Some(d) = ok.state.directory.as_mut() {
        d.folders
            .insert(id.clone(), Folder { id: id.clone(), name: name.clone(), parent: Some(parent.clone()), depth });
    }
    let arn = management_arn(&ok, &format!("folder/{id}"));
    ok.created(AuditRef::resource(arn));
    ok.state.rebuild_access();
    let folder = FolderInfo { folder_id: id, folder_name: name, parent_folder_id: Some(parent) };
    Ok(ok.reply(crate::json::ToValue::to_value(&FolderResponse { folder })))
}

/// Who pays for a new member (RD-5).
enum Billing {
    Management(AccountId),
    Itself,
    Member(AccountId),
}

fn billing_account(e: &Engine, choice: Option<&str>, new: Option<&AccountId>, new_can_pay: bool) -> Result<Billing> {
    let dir = e.directory()?;
    match choice {
        None | Some("Management") => Ok(Billing::Management(dir.management_account.clone())),
        Some("Self") if new_can_pay => Ok(Billing::Itself),
        Some("Self") => Err(Error::invalid(
            "BillingAccount",
            Rule::Rd5,
            match new {
                Some(new) => format!("account {new} cannot make payments and cannot be its own billing account"),
                None => "the new account cannot make payments and cannot be its own billing account".to_string(),
            },
        )),
        Some(other) => {
            let id = AccountId::parse(other).map_err(|e| e.at_field("BillingAccount"))?;
            if !dir.members.contains_key(&id) {
                return Err(Error::invalid(
                    "BillingAccount",
                    Rule::Rd5,
                    format!("billing account {id} is not a member of the directory"),
                ));
            }
            if !e.state.accounts.get(&id).map(|a| a.can_pay).unwrap_or(false) {
                return Err(Error::invalid(
                    "BillingAccount",
                    Rule::Rd5,
                    format!("account {id} cannot make payments and cannot be chosen as billing account"),
                ));
            }
            Ok(Billing::Member(id))
        }
    }
}

fn check_member_limit(e: &Engine) -> Result<()> {
    let dir = e.directory()?;
    if let Some(max) = dir.limits.max_members {
        if dir.members.len() >= max as usize {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                Rule::Rd1,
                format!("the directory already has {max} members"),
            ));
        }
    }
    Ok(())
}

fn add_member(
    e: &mut Engine,
    account: &AccountId,
    folder: FolderId,
    billing: AccountId,
    how: JoinMethod,
    tags: IdMap<String, String>,
) {
    let seq = e.state.next_seq();
    if let Some(d) = e.state.directory.as_mut() {
        d.members.insert(
            account.clone(),
            Member { account: account.clone(), folder, billing_account: billing, joined_by: how, tags, seq },
        );
    }
}

/// The member record of `account`, as the vendor describes it.
fn member_info(e: &Engine, account: &AccountId) -> Result<AccountInfo> {
    let dir = e.directory()?;
    let m = dir.members.get(account).ok_or_else(|| Error::not_found("member", account.as_str()))?;
    Ok(account_info(e, dir, m))
}

/// CreateResourceAccount: the management account creates a member (RD-2, RD-3, RD-4, RD-5).
pub(super) fn create_member(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = CreateResourceAccountRequest::read(params)?;
    let name = r.account_name_prefix;
    let display = r.display_name;
    let folder = parent_folder(&p, "ParentFolderId", r.parent_folder_id)?;
    let can_pay = r.can_pay.unwrap_or(true);
    let choice = match (&r.payer_account_id, &r.billing_account) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid("BillingAccount", Rule::Rd5, "give PayerAccountId or BillingAccount, not both"))
        }
        (Some(payer), None) => Some(payer.to_string()),
        (None, b) => b.clone(),
    };
    let billing = billing_account(&p, choice.as_deref(), r.account_id.as_ref(), can_pay)?;
    let ask = by_management(&p, Action::CreateResourceAccount, management_arn(&p, "account/*"))?;
    let mut ok = p.decide(ask)?;
    let id = match r.account_id {
        Some(id) => id,
        None => ok.new_account_id()?,
    };
    let billing = match billing {
        Billing::Management(a) | Billing::Member(a) => a,
        Billing::Itself => id.clone(),
    };
    check_member_limit(&ok)?;
    if ok.state.accounts.contains_key(&id) {
        return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd6, format!("account {id} already exists")));
    }
    let dir = ok.directory()?;
    let enterprise = dir.enterprise_id.clone();
    if name_in_use(&ok, &name) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            Rule::Rd2,
            format!("account name `{name}` is already used in the resource directory"),
        ));
    }
    ok.state.accounts.insert(
        id.clone(),
        Account {
            id: id.clone(),
            name: Some(name),
            display_name: Some(display),
            enterprise_id: Some(enterprise),
            can_pay,
        },
    );
    add_member(&mut ok, &id, folder, billing, JoinMethod::Created, r.tag.unwrap_or_default());
    let arn = management_arn(&ok, &format!("account/{id}"));
    ok.created(AuditRef::resource(arn));
    ok.state.rebuild_access();
    let account = member_info(&ok, &id)?;
    Ok(ok.reply(crate::json::ToValue::to_value(&AccountResponse { account })))
}

/// InviteAccountToResourceDirectory: one account id, or several comma-separated (RD-4),
/// each its own invitation; the response names the first.
pub(super) fn invite(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = InviteAccountToResourceDirectoryRequest::read(params)?;
    if let Some(t) = r.target_type.as_deref().filter(|t| *t != "Account") {
        return Err(Error::invalid(
            "TargetType",
            Rule::Rd4,
            format!("TargetType must be `Account`, not `{}`", shorten(t)),
        ));
    }
    let targets: Vec<&str> = r.target_entity.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
    let remark = r.note.unwrap_or_default();
    let tags = r.tag.unwrap_or_default();
    let folder = parent_folder(&p, "ParentFolderId", r.parent_folder_id)?;
    if targets.is_empty() {
        return Err(Error::invalid("TargetEntity", Rule::Rd4, "TargetEntity names no account"));
    }
    if remark.chars().count() > 1024 {
        return Err(Error::invalid("Note", Rule::Rd4, "the remark is at most 1024 characters"));
    }
    let mut ids = Vec::with_capacity(targets.len());
    for t in &targets {
        ids.push(AccountId::parse(t).map_err(|e| e.at_field("TargetEntity"))?);
    }
    let ask = by_management(&p, Action::InviteAccountToResourceDirectory, management_arn(&p, "handshake/*"))?;
    let mut ok = p.decide(ask)?;
    let dir = ok.directory()?;
    for id in &ids {
        if dir.members.contains_key(id) {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd4, format!("account {id} is already a member")));
        }
        if dir.invitations.values().any(|i| i.account == *id && i.status == InvitationStatus::Pending) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                Rule::Rd4,
                format!("account {id} already has a pending invitation"),
            ));
        }
    }
    let mut first = None;
    for id in ids {
        let h = ok.new_id("h-")?;
        let inv = Invitation {
            id: h.clone(),
            account: id,
            remark: remark.clone(),
            tags: tags.clone(),
            parent_folder: folder.clone(),
            status: InvitationStatus::Pending,
        };
        if let Some(d) = ok.state.directory.as_ref() {
            first.get_or_insert_with(|| handshake_info(d, &inv));
        }
        if let Some(d) = ok.state.directory.as_mut() {
            d.invitations.insert(h, inv);
        }
    }
    let handshake = first.ok_or_else(|| Error::invalid("TargetEntity", Rule::Rd4, "TargetEntity names no account"))?;
    Ok(ok.reply(crate::json::ToValue::to_value(&HandshakeResponse { handshake })))
}

/// AcceptHandshake / DeclineHandshake, by the invited account's root (RD-4).
pub(super) fn answer_invitation(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = HandshakeRequest::read(params)?;
    let h = r.handshake_id;
    let call = p.call();
    let action = p.action();
    let accept = action == Action::AcceptHandshake;
    let dir = p.directory()?;
    let inv =
        dir.invitations.get(&h).cloned().ok_or_else(|| Error::not_found("handshake", &h).at_field("HandshakeId"))?;
    let dir_enterprise = dir.enterprise_id.clone();
    let arn = format!("acs:resourcemanager::{}:handshake/{h}", dir.management_account);
    p.about(AuditRef::resource(arn.clone()));
    if inv.status != InvitationStatus::Pending {
        return Err(Error::new(ErrorCode::InvalidState, Rule::Rd4, format!("handshake {h} is no longer pending")));
    }
    // Only the invited account answers: its root, or (once it is known) a RAM identity
    // of it that its policies allow. The decision says why otherwise.
    let unknown_invitee_root =
        call.caller.is_root() && call.caller.account == inv.account && !p.state.accounts.contains_key(&inv.account);
    let role = if unknown_invitee_root {
        Role::NewAccount
    } else {
        Role::Account(inv.account.clone(), "invited account", Rule::Rd4)
    };
    let mut ok = p.decide(management(action, arn, role))?;
    if accept {
        check_member_limit(&ok)?;
        let name = r.account_name;
        let name_taken = name.as_ref().is_some_and(|n| name_in_use(&ok, n));
        if name_taken {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                Rule::Rd2,
                "the account name is already used in the resource directory",
            ));
        }
        let enterprise = r.enterprise_id.unwrap_or(dir_enterprise);
        ensure_account(&mut ok, &inv.account, Some(enterprise), name, r.can_pay.unwrap_or(true));
        add_member(
            &mut ok,
            &inv.account,
            inv.parent_folder.clone(),
            inv.account.clone(),
            JoinMethod::Invited,
            inv.tags.clone(),
        );
    }
    let status = if accept { InvitationStatus::Accepted } else { InvitationStatus::Declined };
    let mut answered = None;
    if let Some(d) = ok.state.directory.as_mut() {
        if let Some(i) = d.invitations.get_mut(&h) {
            i.status = status;
        }
    }
    if let Some(d) = ok.state.directory.as_ref() {
        answered = d.invitations.get(&h).map(|i| handshake_info(d, i));
    }
    ok.state.rebuild_access();
    let handshake = answered.ok_or_else(|| Error::not_found("handshake", &h))?;
    Ok(ok.reply(crate::json::ToValue::to_value(&HandshakeResponse { handshake })))
}

/// MoveAccount between folders (RD-6). Refused when the move would take away an
/// account's access to an instance where it still has keys or secrets (RS-7).
pub(super) fn move_account(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let r = MoveAccountRequest::read(params)?;
    let (acct, dest) = (r.account_id, r.destination_folder_id);
    let ask = by_management(&p, Action::MoveAccount, management_arn(&p, &format!("account/{acct}")))?;
    let mut ok = p.decide(ask)?;
    let dir = ok.directory()?;
    if !dir.folders.contains_key(&dest) {
        return Err(Error::not_found("folder", dest.as_str()).at_field("DestinationFolderId"));
    }
    if !dir.members.contains_key(&acct) {
        return Err(Error::not_found("member", acct.as_str()));
    }
    ok.with_access_guard(None, |e| {
        if let Some(m) = e.state.directory.as_mut().and_then(|d| d.members.get_mut(&acct)) {
            m.folder = dest.clone();
        }
        Ok(())
    })?;
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// EnableSharingWithResourceDirectory (RD-7).
pub(super) fn enable_sharing(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    EnableSharingRequest::read(params)?;
    let mgmt = p.directory()?.management_account.clone();
    let ask = by_management(&p, Action::EnableSharingWithResourceDirectory, format!("acs:resourcesharing::{mgmt}:*"))?;
    let mut ok = p.decide(ask)?;
    if ok.directory()?.sharing_enabled {
        return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd7, "resource sharing is already enabled"));
    }
    if let Some(d) = ok.state.directory.as_mut() {
        d.sharing_enabled = true;
        d.service_linked_roles.insert(SHARING_ROLE.to_string());
    }
    Ok(ok.reply(crate::json::ToValue::to_value(&EmptyResponse {})))
}

/// Does a member of the directory have this account name (RD-2)?
fn name_in_use(e: &Engine, name: &AccountName) -> bool {
    let Some(dir) = &e.state.directory else { return false };
    dir.members.keys().any(|m| e.state.accounts.get(m).and_then(|a| a.name.as_ref()) == Some(name))
}
