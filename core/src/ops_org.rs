//! Operations on the organization: accounts, the resource directory (RD-1..RD-7)
//! and RAM identities and policies (RAM-1, RAM-2).

use crate::idmap::{IdMap, IdSet};
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

use crate::authz::Role;
use crate::engine::{Call, Engine, Response};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::*;
use crate::model::*;
use crate::params::Params;
use crate::policy::Policy;
use crate::rules::Rule;

/// The service-linked role created when sharing is enabled (RD-7).
pub const SHARING_ROLE: &str = "AliyunServiceRoleForResourceSharing";

fn ok(result: Value) -> Result<Response> {
    Ok(Response { result, decision: None })
}

impl Engine {
    /// RegisterAccount: an Alibaba Cloud account signs up (a simulator action).
    pub(crate) fn register_account(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let name = p.opt_parse("AccountName", AccountName::parse)?;
        let display = p.opt_parse("DisplayName", DisplayName::parse)?;
        let enterprise = p.opt_str("EnterpriseId")?.map(str::to_string);
        let can_pay = p.opt_bool("CanPay")?.unwrap_or(true);
        p.finish()?;
        if !call.caller.is_root() {
            return Err(Error::invalid(
                "caller",
                Rule::Ram1,
                "RegisterAccount is made by the new account's root identity",
            ));
        }
        let id = call.caller.account.clone();
        if self.state.accounts.contains_key(&id) {
            return Err(Error::new(ErrorCode::AlreadyExists, None, format!("account {id} is already registered")));
        }
        self.state.accounts.insert(
            id.clone(),
            Account { id: id.clone(), name, display_name: display, enterprise_id: enterprise, can_pay },
        );
        ok(obj!("AccountId": id))
    }

    fn ensure_account(&mut self, id: &AccountId, enterprise: Option<String>, name: Option<AccountName>, can_pay: bool) {
        let a = self.state.accounts.entry(id.clone()).or_insert_with(|| Account {
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
    pub(crate) fn enable_directory(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let enterprise = p.str("EnterpriseId")?.to_string();
        let dir_id = p.opt_parse("DirectoryId", DirectoryId::parse)?;
        let root_id = p.opt_parse("RootFolderId", FolderId::parse)?;
        let mut limits = Limits::default();
        if let Some(n) = p.opt_u64("MaxFolders")? {
            limits.max_folders = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(n) = p.opt_u64("MaxDepth")? {
            limits.max_depth = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(n) = p.opt_u64("MaxMembers")? {
            limits.max_members = Some(u32::try_from(n).unwrap_or(u32::MAX));
        }
        p.finish()?;
        if enterprise.is_empty() || enterprise.len() > 64 {
            return Err(Error::invalid(
                "EnterpriseId",
                Rule::Rd1,
                "EnterpriseId must be 1 to 64 characters (a verified enterprise id)",
            ));
        }
        if !call.caller.is_root() {
            return Err(Error::invalid(
                "caller",
                Rule::Rd1,
                "the resource directory is enabled by an account's root identity",
            ));
        }
        if self.state.directory.is_some() {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd1, "the resource directory is already enabled"));
        }
        let acct = call.caller.account.clone();
        if let Some(a) = self.state.accounts.get(&acct) {
            if a.enterprise_id.as_deref().is_some_and(|e| e != enterprise) {
                return Err(Error::new(
                    ErrorCode::NotSameDirectory,
                    Rule::Rd1,
                    format!("account {acct} belongs to another enterprise than `{}`", shorten(&enterprise)),
                ));
            }
        }
        let dir_id = match dir_id {
            Some(d) => d,
            None => DirectoryId::parse(&self.new_id("rd-")?)?,
        };
        let root_id = match root_id {
            Some(r) => r,
            None => FolderId::parse(&self.new_id("fd-")?)?,
        };
        self.ensure_account(&acct, Some(enterprise.clone()), None, true);
        let mut folders = IdMap::new();
        folders.insert(
            root_id.clone(),
            Folder { id: root_id.clone(), name: FolderName::parse("Root")?, parent: None, depth: 0 },
        );
        let seq = self.state.next_seq();
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
        self.state.directory = Some(Directory {
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
        self.trace.resource = format!("acs:resourcemanager::{acct}:resourcedirectory/{dir_id}");
        self.state.rebuild_access();
        ok(obj!("ResourceDirectoryId": dir_id, "RootFolderId": root_id, "MasterAccountId": acct))
    }

    fn mgmt_role(&self) -> Result<Role> {
        Ok(Role::ManagementAccount(self.directory()?.management_account.clone()))
    }

    fn folder_arn(&self, f: &str) -> String {
        let m = self.state.directory.as_ref().map(|d| d.management_account.to_string()).unwrap_or_default();
        format!("acs:resourcemanager::{m}:folder/{f}")
    }

    fn parent_folder(&self, p: &mut Params<'_>, name: &'static str) -> Result<FolderId> {
        let dir = self.directory()?;
        match p.opt_parse(name, FolderId::parse)? {
            Some(f) if dir.folders.contains_key(&f) => Ok(f),
            Some(f) => Err(Error::not_found("folder", f.as_str()).at_field(name)),
            None => Ok(dir.root_folder.clone()),
        }
    }

    /// CreateFolder (RD-1: at most `maxDepth` levels, `maxFolders` folders).
    pub(crate) fn create_folder(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let name = p.parse("FolderName", FolderName::parse)?;
        let parent = self.parent_folder(p, "ParentFolderId")?;
        let fixed = p.opt_parse("FolderId", FolderId::parse)?;
        p.finish()?;
        let role = self.mgmt_role()?;
        self.authorize_mgmt(call, "resourcemanager:CreateFolder", self.folder_arn("*"), role)?;
        let dir = self.directory()?;
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
            None => FolderId::parse(&self.new_id("fd-")?)?,
        };
        if let Some(d) = self.state.directory.as_mut() {
            d.folders.insert(id.clone(), Folder { id: id.clone(), name, parent: Some(parent), depth });
        }
        self.trace.resource = self.folder_arn(id.as_str());
        self.state.rebuild_access();
        ok(obj!("FolderId": id))
    }

    fn billing_account(&self, p: &mut Params<'_>, new: &AccountId, new_can_pay: bool) -> Result<AccountId> {
        let dir = self.directory()?;
        match p.opt_str("BillingAccount")? {
            None | Some("Management") => Ok(dir.management_account.clone()),
            Some("Self") if new_can_pay => Ok(new.clone()),
            Some("Self") => Err(Error::invalid(
                "BillingAccount",
                Rule::Rd5,
                format!("account {new} cannot make payments and cannot be its own billing account"),
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
                if !self.state.accounts.get(&id).map(|a| a.can_pay).unwrap_or(false) {
                    return Err(Error::invalid(
                        "BillingAccount",
                        Rule::Rd5,
                        format!("account {id} cannot make payments and cannot be chosen as billing account"),
                    ));
                }
                Ok(id)
            }
        }
    }

    fn check_member_limit(&self) -> Result<()> {
        let dir = self.directory()?;
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
        &mut self,
        account: &AccountId,
        folder: FolderId,
        billing: AccountId,
        how: JoinMethod,
        tags: IdMap<String, String>,
    ) {
        let seq = self.state.next_seq();
        if let Some(d) = self.state.directory.as_mut() {
            d.members.insert(
                account.clone(),
                Member { account: account.clone(), folder, billing_account: billing, joined_by: how, tags, seq },
            );
        }
    }

    /// CreateResourceAccount: the management account creates a member (RD-2, RD-3, RD-4, RD-5).
    pub(crate) fn create_member(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let name = p.parse("AccountName", AccountName::parse)?;
        let display = p.parse("DisplayName", DisplayName::parse)?;
        let folder = self.parent_folder(p, "ParentFolderId")?;
        let fixed = p.opt_parse("AccountId", AccountId::parse)?;
        let can_pay = p.opt_bool("CanPay")?.unwrap_or(true);
        let tags = p.opt_map("Tags")?.unwrap_or_default();
        // Read BillingAccount after the id is known (it may be `Self`).
        let id = match fixed {
            Some(id) => id,
            None => self.new_account_id()?,
        };
        let billing = self.billing_account(p, &id, can_pay)?;
        p.finish()?;
        let role = self.mgmt_role()?;
        let mgmt = self.directory()?.management_account.clone();
        self.authorize_mgmt(
            call,
            "resourcemanager:CreateResourceAccount",
            format!("acs:resourcemanager::{mgmt}:account/*"),
            role,
        )?;
        self.check_member_limit()?;
        if self.state.accounts.contains_key(&id) {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd6, format!("account {id} already exists")));
        }
        let dir = self.directory()?;
        let enterprise = dir.enterprise_id.clone();
        if dir.members.keys().any(|m| self.state.accounts.get(m).and_then(|a| a.name.as_ref()) == Some(&name)) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                Rule::Rd2,
                format!("account name `{name}` is already used in the resource directory"),
            ));
        }
        self.state.accounts.insert(
            id.clone(),
            Account {
                id: id.clone(),
                name: Some(name),
                display_name: Some(display),
                enterprise_id: Some(enterprise),
                can_pay,
            },
        );
        self.add_member(&id, folder.clone(), billing.clone(), JoinMethod::Created, tags);
        self.trace.resource = format!("acs:resourcemanager::{mgmt}:account/{id}");
        self.state.rebuild_access();
        ok(obj!("AccountId": id, "FolderId": folder, "BillingAccountId": billing))
    }

    /// InviteAccountToResourceDirectory: one or several account ids, comma-separated (RD-4).
    pub(crate) fn invite(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let targets = p.opt_list("TargetEntity", true)?.ok_or_else(|| p.missing("TargetEntity"))?;
        let remark = p.opt_str("Note")?.unwrap_or("").to_string();
        let tags = p.opt_map("Tags")?.unwrap_or_default();
        let folder = self.parent_folder(p, "ParentFolderId")?;
        p.finish()?;
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
        let role = self.mgmt_role()?;
        let mgmt = self.directory()?.management_account.clone();
        self.authorize_mgmt(
            call,
            "resourcemanager:InviteAccountToResourceDirectory",
            format!("acs:resourcemanager::{mgmt}:handshake/*"),
            role,
        )?;
        let dir = self.directory()?;
        for id in &ids {
            if dir.members.contains_key(id) {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    Rule::Rd4,
                    format!("account {id} is already a member"),
                ));
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
            let h = self.new_id("h-")?;
            let inv = Invitation {
                id: h.clone(),
                account: id.clone(),
                remark: remark.clone(),
                tags: tags.clone(),
                parent_folder: folder.clone(),
                status: InvitationStatus::Pending,
            };
            if let Some(d) = self.state.directory.as_mut() {
                d.invitations.insert(h.clone(), inv);
            }
            out.push(obj!("HandshakeId": h, "TargetEntity": id, "Status": "Pending"));
        }
        ok(obj!("Handshakes": out))
    }

    /// AcceptHandshake / DeclineHandshake, by the invited account's root (RD-4).
    pub(crate) fn answer_invitation(&mut self, call: &Call, p: &mut Params<'_>, accept: bool) -> Result<Response> {
        let h = p.str("HandshakeId")?.to_string();
        let enterprise = p.opt_str("EnterpriseId")?.map(str::to_string);
        let name = p.opt_parse("AccountName", AccountName::parse)?;
        let can_pay = p.opt_bool("CanPay")?.unwrap_or(true);
        p.finish()?;
        let dir = self.directory()?;
        let inv = dir
            .invitations
            .get(&h)
            .cloned()
            .ok_or_else(|| Error::not_found("handshake", &h).at_field("HandshakeId"))?;
        let dir_enterprise = dir.enterprise_id.clone();
        let mgmt = dir.management_account.clone();
        self.trace.resource = format!("acs:resourcemanager::{mgmt}:handshake/{h}");
        if inv.status != InvitationStatus::Pending {
            return Err(Error::new(ErrorCode::InvalidState, Rule::Rd4, format!("handshake {h} is no longer pending")));
        }
        // Only the invited account answers: its root, or (once it is known) a RAM
        // identity of it that its policies allow. The decision says why otherwise.
        let unknown_invitee_root = call.caller.is_root()
            && call.caller.account == inv.account
            && !self.state.accounts.contains_key(&inv.account);
        if !unknown_invitee_root {
            let arn = self.trace.resource.clone();
            self.authorize_mgmt(
                call,
                "resourcemanager:AcceptHandshake",
                arn,
                Role::Account(inv.account.clone(), "invited account", Rule::Rd4),
            )?;
        }
        if accept {
            self.check_member_limit()?;
            let name_taken = name.as_ref().is_some_and(|n| dir_members_names(self).contains(n));
            if name_taken {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    Rule::Rd2,
                    "the account name is already used in the resource directory",
                ));
            }
            self.ensure_account(&inv.account, Some(enterprise.unwrap_or(dir_enterprise)), name, can_pay);
            self.add_member(
                &inv.account,
                inv.parent_folder.clone(),
                inv.account.clone(),
                JoinMethod::Invited,
                inv.tags.clone(),
            );
        }
        if let Some(d) = self.state.directory.as_mut() {
            if let Some(i) = d.invitations.get_mut(&h) {
                i.status = if accept { InvitationStatus::Accepted } else { InvitationStatus::Declined };
            }
        }
        self.state.rebuild_access();
        ok(obj!("HandshakeId": h, "Status": if accept { "Accepted" } else { "Declined" }))
    }

    /// MoveAccount between folders (RD-6). Refused when the move would take away
    /// an account's access to an instance where it still has keys or secrets (RS-7).
    pub(crate) fn move_account(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let acct = p.parse("AccountId", AccountId::parse)?;
        let dest = p.parse("DestinationFolderId", FolderId::parse)?;
        p.finish()?;
        let role = self.mgmt_role()?;
        let mgmt = self.directory()?.management_account.clone();
        self.authorize_mgmt(
            call,
            "resourcemanager:MoveAccount",
            format!("acs:resourcemanager::{mgmt}:account/{acct}"),
            role,
        )?;
        let dir = self.directory()?;
        if !dir.folders.contains_key(&dest) {
            return Err(Error::not_found("folder", dest.as_str()).at_field("DestinationFolderId"));
        }
        let from = dir
            .members
            .get(&acct)
            .map(|m| m.folder.clone())
            .ok_or_else(|| Error::not_found("member", acct.as_str()))?;
        self.with_access_guard(|e| {
            if let Some(m) = e.state.directory.as_mut().and_then(|d| d.members.get_mut(&acct)) {
                m.folder = dest.clone();
            }
            Ok(())
        })?;
        ok(obj!("AccountId": acct, "SourceFolderId": from, "DestinationFolderId": dest))
    }

    /// EnableSharingWithResourceDirectory (RD-7).
    pub(crate) fn enable_sharing(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        p.finish()?;
        let role = self.mgmt_role()?;
        let mgmt = self.directory()?.management_account.clone();
        self.authorize_mgmt(
            call,
            "resourcesharing:EnableSharingWithResourceDirectory",
            format!("acs:resourcesharing::{mgmt}:*"),
            role,
        )?;
        if self.directory()?.sharing_enabled {
            return Err(Error::new(ErrorCode::AlreadyExists, Rule::Rd7, "resource sharing is already enabled"));
        }
        if let Some(d) = self.state.directory.as_mut() {
            d.sharing_enabled = true;
            d.service_linked_roles.insert(SHARING_ROLE.to_string());
        }
        ok(obj!("SharingEnabled": true, "ServiceLinkedRole": SHARING_ROLE))
    }

    /// RAM: users, roles, policies and attachments in the caller's own account (RAM-1, RAM-2).
    pub(crate) fn ram_op(&mut self, call: &Call, p: &mut Params<'_>) -> Result<Response> {
        let acct = call.caller.account.clone();
        let a = call.action.as_str();
        let (name_param, kind) = match a {
            "CreateUser" => ("UserName", "user"),
            "CreateRole" => ("RoleName", "role"),
            "CreatePolicy" => ("PolicyName", "policy"),
            "AttachPolicyToUser" | "DetachPolicyFromUser" => ("UserName", "user"),
            _ => ("RoleName", "role"),
        };
        let name = p.parse(name_param, RamName::parse)?;
        let policy_name = if a.starts_with("Attach") || a.starts_with("Detach") {
            Some(p.parse("PolicyName", RamName::parse)?)
        } else {
            None
        };
        let document = if a == "CreatePolicy" {
            let v = p.opt_value("PolicyDocument").ok_or_else(|| p.missing("PolicyDocument"))?;
            Some(Policy::parse(v).map_err(|e| if e.field.is_none() { e.at_field("PolicyDocument") } else { e })?)
        } else {
            None
        };
        p.finish()?;
        let arn = format!("acs:ram::{acct}:{kind}/{name}");
        self.authorize_mgmt(call, &format!("ram:{a}"), arn, Role::Account(acct.clone(), "account itself", Rule::Ram1))?;
        let ram = self.state.ram.entry(acct.clone()).or_default();
        match a {
            "CreateUser" | "CreateRole" => {
                let set = if a == "CreateUser" { &mut ram.users } else { &mut ram.roles };
                if set.contains_key(&name) {
                    return Err(Error::new(
                        ErrorCode::AlreadyExists,
                        Rule::Ram1,
                        format!("{kind} `{name}` already exists in account {acct}"),
                    ));
                }
                set.insert(name.clone(), IdSet::new());
            }
            "CreatePolicy" => {
                if ram.policies.contains_key(&name) {
                    return Err(Error::new(
                        ErrorCode::AlreadyExists,
                        Rule::Ram2,
                        format!("policy `{name}` already exists in account {acct}"),
                    ));
                }
                if let Some(doc) = document {
                    ram.policies.insert(name.clone(), doc);
                }
            }
            _ => {
                let pol =
                    policy_name.ok_or_else(|| Error::invalid("PolicyName", Rule::Ram2, "PolicyName is required"))?;
                if !ram.policies.contains_key(&pol) {
                    return Err(Error::not_found("policy", pol.as_str()).at_field("PolicyName"));
                }
                let set = if kind == "user" { &mut ram.users } else { &mut ram.roles };
                let attached = set.get_mut(&name).ok_or_else(|| Error::not_found(kind, name.as_str()))?;
                if a.starts_with("Attach") {
                    attached.insert(pol);
                } else if !attached.remove(&pol) {
                    return Err(Error::not_found("attachment of policy", pol.as_str()));
                }
            }
        }
        ok(obj!("Account": acct, "Name": name))
    }

    /// Apply `change`, then refuse it (restoring the state) if any account would lose
    /// access to an instance where it still has keys or secrets (RS-7).
    pub(crate) fn with_access_guard(&mut self, change: impl FnOnce(&mut Engine) -> Result<()>) -> Result<()> {
        let before_state = self.state.clone();
        let before = self.state.index.access.clone();
        let outcome = change(self);
        if let Err(e) = outcome {
            self.state = before_state;
            return Err(e);
        }
        self.state.rebuild_access();
        let pairs = before.iter().flat_map(|(inst, accts)| accts.keys().map(move |acct| (inst, acct)));
        for (inst, acct) in pairs {
            if self.state.shares_granting(inst, acct).is_empty() {
                let n = self.state.owned_count(inst, acct);
                if n > 0 {
                    self.state = before_state;
                    return Err(Error::new(
                        ErrorCode::PrincipalResourcesRemain,
                        Rule::Rs7,
                        format!(
                            "account {acct} still has {n} key(s) or secret(s) in instance {inst} (keys pending deletion count); it must delete them before losing access"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn dir_members_names(e: &Engine) -> BTreeSet<AccountName> {
    e.state
        .directory
        .as_ref()
        .map(|d| d.members.keys().filter_map(|m| e.state.accounts.get(m).and_then(|a| a.name.clone())).collect())
        .unwrap_or_default()
}
