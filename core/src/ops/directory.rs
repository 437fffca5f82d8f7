//! Accounts and the resource directory (RD-1..RD-7): signing up, enabling the
//! directory, folders, members by creation and by invitation, moves, and enabling
//! resource sharing.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::gate::{Ask, AuditRef, Pending, Reply};
use crate::action::Action;
use crate::authz::{Role, Target};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::idmap::{IdMap, IdSet};
use crate::ids::*;
use crate::model::*;
use crate::params::Params;
use crate::rules::Rule;

/// The service-linked role created when sharing is enabled (RD-7).
pub const SHARING_ROLE: &str = "AliyunServiceRoleForResourceSharing";

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
    let name = params.opt_parse("AccountName", AccountName::parse)?;
    let display = params.opt_parse("DisplayName", DisplayName::parse)?;
    let enterprise = params.opt_str("EnterpriseId")?.map(str::to_string);
    let can_pay = params.opt_bool("CanPay")?.unwrap_or(true);
    params.finish()?;
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
    ok.state.accounts.insert(
        id.clone(),
        Account { id: id.clone(), name, display_name: display, enterprise_id: enterprise, can_pay },
    );
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
    let enterprise = params.str("EnterpriseId")?.to_string();
    let dir_id = params.opt_parse("DirectoryId", DirectoryId::parse)?;
    let root_id = params.opt_parse("RootFolderId", FolderId::parse)?;
    let mut limits = Limits::default();
    if let Some(n) = params.opt_u64("MaxFolders")? {
        limits.max_folders = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if let Some(n) = params.opt_u64("MaxDepth")? {
        limits.max_depth = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if let Some(n) = params.opt_u64("MaxMembers")? {
        limits.max_members = Some(u32::try_from(n).unwrap_or(u32::MAX));
    }
    params.finish()?;
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
    let dir_id = match dir_id {
        Some(d) => d,
        None => DirectoryId::parse(&ok.new_id("rd-")?)?,
    };
    let root_id = match root_id {
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
    Ok(ok.reply(obj!("ResourceDirectoryId": dir_id, "RootFolderId": root_id, "MasterAccountId": acct)))
}

fn parent_folder(e: &Engine, params: &mut Params<'_>, name: &'static str) -> Result<FolderId> {
    let dir = e.directory()?;
    match params.opt_parse(name, FolderId::parse)? {
        Some(f) if dir.folders.contains_key(&f) => Ok(f),
        Some(f) => Err(Error::not_found("folder", f.as_str()).at_field(name)),
        None => Ok(dir.root_folder.clone()),
    }
}

/// CreateFolder (RD-1: at most `maxDepth` levels, `maxFolders` folders).
pub(super) fn create_folder(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let name = params.parse("FolderName", FolderName::parse)?;
    let parent = parent_folder(&p, params, "ParentFolderId")?;
    let fixed = params.opt_parse("FolderId", FolderId::parse)?;
    params.finish()?;
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
    let id = match fixed {
        Some(f) if dir.folders.contains_key(&f) => {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd6, format!("folder {f} already exists")))
        }
        Some(f) => f,
        None => FolderId::parse(&ok.new_id("fd-")?)?,
    };
    if let Some(d) = ok.state.directory.as_mut() {
        d.folders.insert(id.clone(), Folder { id: id.clone(), name, parent: Some(parent), depth });
    }
    let arn = management_arn(&ok, &format!("folder/{id}"));
    ok.created(AuditRef::resource(arn));
    ok.state.rebuild_access();
    Ok(ok.reply(obj!("FolderId": id)))
}

/// Who pays for a new member (RD-5).
enum Billing {
    Management(AccountId),
    Itself,
    Member(AccountId),
}

fn billing_account(e: &Engine, params: &mut Params<'_>, new: Option<&AccountId>, new_can_pay: bool) -> Result<Billing> {
    let dir = e.directory()?;
    match params.opt_str("BillingAccount")? {
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

/// CreateResourceAccount: the management account creates a member (RD-2, RD-3, RD-4, RD-5).
pub(super) fn create_member(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let name = params.parse("AccountName", AccountName::parse)?;
    let display = params.parse("DisplayName", DisplayName::parse)?;
    let folder = parent_folder(&p, params, "ParentFolderId")?;
    let fixed = params.opt_parse("AccountId", AccountId::parse)?;
    let can_pay = params.opt_bool("CanPay")?.unwrap_or(true);
    let tags = params.opt_map("Tags")?.unwrap_or_default();
    let billing = billing_account(&p, params, fixed.as_ref(), can_pay)?;
    params.finish()?;
    let ask = by_management(&p, Action::CreateResourceAccount, management_arn(&p, "account/*"))?;
    let mut ok = p.decide(ask)?;
    let id = match fixed {
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
    if dir.members.keys().any(|m| ok.state.accounts.get(m).and_then(|a| a.name.as_ref()) == Some(&name)) {
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
    add_member(&mut ok, &id, folder.clone(), billing.clone(), JoinMethod::Created, tags);
    let arn = management_arn(&ok, &format!("account/{id}"));
    ok.created(AuditRef::resource(arn));
    ok.state.rebuild_access();
    Ok(ok.reply(obj!("AccountId": id, "FolderId": folder, "BillingAccountId": billing)))
}

/// InviteAccountToResourceDirectory: one or several account ids, comma-separated (RD-4).
pub(super) fn invite(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let targets = params.opt_list("TargetEntity", true)?.ok_or_else(|| params.missing("TargetEntity"))?;
    let remark = params.opt_str("Note")?.unwrap_or("").to_string();
    let tags = params.opt_map("Tags")?.unwrap_or_default();
    let folder = parent_folder(&p, params, "ParentFolderId")?;
    params.finish()?;
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
    let mut out = Vec::new();
    for id in ids {
        let h = ok.new_id("h-")?;
        let inv = Invitation {
            id: h.clone(),
            account: id.clone(),
            remark: remark.clone(),
            tags: tags.clone(),
            parent_folder: folder.clone(),
            status: InvitationStatus::Pending,
        };
        if let Some(d) = ok.state.directory.as_mut() {
            d.invitations.insert(h.clone(), inv);
        }
        out.push(obj!("HandshakeId": h, "TargetEntity": id, "Status": "Pending"));
    }
    Ok(ok.reply(obj!("Handshakes": out)))
}

/// AcceptHandshake / DeclineHandshake, by the invited account's root (RD-4).
pub(super) fn answer_invitation(mut p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let h = params.str("HandshakeId")?.to_string();
    let enterprise = params.opt_str("EnterpriseId")?.map(str::to_string);
    let name = params.opt_parse("AccountName", AccountName::parse)?;
    let can_pay = params.opt_bool("CanPay")?.unwrap_or(true);
    params.finish()?;
    let call = p.call();
    let action = Action::parse(&call.action).unwrap_or(Action::AcceptHandshake);
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
        let name_taken = name.as_ref().is_some_and(|n| member_names(&ok).contains(n));
        if name_taken {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                Rule::Rd2,
                "the account name is already used in the resource directory",
            ));
        }
        ensure_account(&mut ok, &inv.account, Some(enterprise.unwrap_or(dir_enterprise)), name, can_pay);
        add_member(
            &mut ok,
            &inv.account,
            inv.parent_folder.clone(),
            inv.account.clone(),
            JoinMethod::Invited,
            inv.tags.clone(),
        );
    }
    if let Some(d) = ok.state.directory.as_mut() {
        if let Some(i) = d.invitations.get_mut(&h) {
            i.status = if accept { InvitationStatus::Accepted } else { InvitationStatus::Declined };
        }
    }
    ok.state.rebuild_access();
    Ok(ok.reply(obj!("HandshakeId": h, "Status": if accept { "Accepted" } else { "Declined" })))
}

/// MoveAccount between folders (RD-6). Refused when the move would take away an
/// account's access to an instance where it still has keys or secrets (RS-7).
pub(super) fn move_account(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    let acct = params.parse("AccountId", AccountId::parse)?;
    let dest = params.parse("DestinationFolderId", FolderId::parse)?;
    params.finish()?;
    let ask = by_management(&p, Action::MoveAccount, management_arn(&p, &format!("account/{acct}")))?;
    let mut ok = p.decide(ask)?;
    let dir = ok.directory()?;
    if !dir.folders.contains_key(&dest) {
        return Err(Error::not_found("folder", dest.as_str()).at_field("DestinationFolderId"));
    }
    let from =
        dir.members.get(&acct).map(|m| m.folder.clone()).ok_or_else(|| Error::not_found("member", acct.as_str()))?;
    ok.with_access_guard(|e| {
        if let Some(m) = e.state.directory.as_mut().and_then(|d| d.members.get_mut(&acct)) {
            m.folder = dest.clone();
        }
        Ok(())
    })?;
    Ok(ok.reply(obj!("AccountId": acct, "SourceFolderId": from, "DestinationFolderId": dest)))
}

/// EnableSharingWithResourceDirectory (RD-7).
pub(super) fn enable_sharing(p: Pending<'_>, params: &mut Params<'_>) -> Result<Reply> {
    params.finish()?;
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
    Ok(ok.reply(obj!("SharingEnabled": true, "ServiceLinkedRole": SHARING_ROLE)))
}

fn member_names(e: &Engine) -> BTreeSet<AccountName> {
    e.state
        .directory
        .as_ref()
        .map(|d| d.members.keys().filter_map(|m| e.state.accounts.get(m).and_then(|a| a.name.clone())).collect())
        .unwrap_or_default()
}
