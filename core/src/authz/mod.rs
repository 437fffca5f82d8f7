//! The authorization decision (AZ-1..AZ-3): four checks, in the vendor's order,
//! returned as a value with explanations and a concrete fix.
//!
//! 1. sharing: the caller's account owns the instance or reaches it through an
//!    Active share (KI-2, KI-6, RS-2, RS-3, RS-8, KI-4);
//! 2. share permission: that share carries a working KMS instance permission (RS-4);
//! 3. RAM policy: the caller's policies allow the action on the resource (RAM-1, RAM-2);
//! 4. ownership: the permission matrix allows the account's role in the instance's mode.
//!
//! Management calls (directory, shares, RAM) use the same shape: checks 1 and 2 are
//! `notApplicable`, check 4 is the role the call needs (management account, share owner).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::action::Action;
use crate::idmap::{IdMap, KeyText};
use crate::ids::{AccountId, Identity, IdentityKind, InstanceId, Region};
use crate::matrix::{row_for, Grant, ResourceKind};
use crate::model::{AssociationState, Gap, GapPart, InstanceState, SharingMode};
use crate::policy::{self, Context};
use crate::state::{instance_arn, Membership, Reached, State};
use crate::text::{cat, decimal};
use core::borrow::Borrow;

mod sink;
use sink::{Explained, FirstFailure, Sink};

pub use crate::decision::{Check, CheckName, Decision, Effect, Outcome};
use crate::rules::Rule;

/// What a call acts on, for the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A resource of a KMS instance (or the instance itself).
    Kms {
        /// The instance.
        instance: InstanceId,
        /// Instance, key or secret.
        kind: ResourceKind,
        /// The creator of the key or secret (`None` for the instance).
        creator: Option<AccountId>,
        /// The resource ARN.
        arn: String,
        /// Tags of the resource, for `kms:tag/<key>` condition keys.
        tags: Vec<(String, String)>,
    },
    /// A resource that does not exist (AZ-3: the decision is Deny).
    Unknown {
        /// What was named.
        arn: String,
        /// Why it is unknown.
        why: String,
    },
    /// A management call outside an instance's matrix.
    Management {
        /// The resource ARN.
        arn: String,
        /// The account role the call needs.
        role: Role,
    },
}

/// The role a management call needs (check 4 for management calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Any known account.
    AnyAccount,
    /// The management account of the directory (RD-1, RD-7).
    ManagementAccount(AccountId),
    /// A specific account (share owner, instance owner, invitee).
    Account(AccountId, &'static str, Rule),
    /// An account's root acting for itself, known to the simulation or not yet: signing
    /// up, enabling a resource directory, answering its own invitation (RAM-1).
    NewAccount,
}

/// A request to decide.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The caller.
    pub caller: &'a Identity,
    /// The action, e.g. `kms:Encrypt` or `resourcesharing:CreateResourceShare`.
    pub action: Action,
    /// What it acts on.
    pub target: &'a Target,
    /// The region the call is made in, if known (KI-6).
    pub region: Option<&'a Region>,
    /// Condition keys of the request.
    pub context: &'a Context,
}

fn target_arn(t: &Target) -> &str {
    match t {
        Target::Kms { arn, .. } | Target::Management { arn, .. } | Target::Unknown { arn, .. } => arn.as_str(),
    }
}

/// Decide a request against the state (AZ-1). Fails closed (AZ-3): anything
/// unknown is a Deny with its reason, never an Allow.
pub fn decide(state: &State, req: &Request<'_>) -> Decision {
    let mut b = Explained::new();
    run(state, req, &mut b);
    b.finish(req, target_arn(req.target))
}

/// The effect of [`decide`] without its explanations: `None` for Allow, else the
/// first failing check (the `deniedBy` of the full decision). The same checks run in
/// the same order; only the texts are never built. For in-page checks, batches, the
/// access matrix's cells and who-can's filter.
///
/// An undetermined decision counts as denied here, by its undecided check (fails
/// closed, AZ-3); [`effect_of`] tells the two apart.
pub fn denied_by(state: &State, req: &Request<'_>) -> Option<CheckName> {
    let mut s = FirstFailure::default();
    run(state, req, &mut s);
    s.denied.or(s.undetermined)
}

/// The `effect` of [`decide`] without its explanations, with the check that denied it
/// (`deniedBy`) or left it undetermined (`undeterminedBy`).
pub fn effect_of(state: &State, req: &Request<'_>) -> (Effect, Option<CheckName>) {
    let mut s = FirstFailure::default();
    run(state, req, &mut s);
    match (s.denied, s.undetermined) {
        (Some(c), _) => (Effect::Deny, Some(c)),
        (None, Some(c)) => (Effect::Undetermined, Some(c)),
        (None, None) => (Effect::Allow, None),
    }
}

/// Whether [`decide`] would allow the request (fails closed, AZ-3).
pub fn allows(state: &State, req: &Request<'_>) -> bool {
    denied_by(state, req).is_none()
}

/// The value of `key` in `map` with its slot, for [`State::reached`]. The whole-engine
/// WebAssembly module keeps no table by slots (its size is held under a ceiling, see
/// `state::Reach`): there the slot is `usize::MAX`, which no table is asked about.
#[inline(always)]
fn with_slot<'a, K: KeyText + Borrow<Q>, V, Q: KeyText + ?Sized>(
    map: &'a IdMap<K, V>,
    key: &Q,
) -> Option<(usize, &'a V)> {
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    return map.get_at(key);
    #[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
    return map.get(key).map(|v| (usize::MAX, v));
}

/// The four checks, written once for every sink.
fn run(state: &State, req: &Request<'_>, b: &mut impl Sink) {
    let account = &req.caller.account;
    let new_account = matches!(req.target, Target::Management { role: Role::NewAccount, .. });
    let known = state.account_slot(account);
    if !new_account && known.is_none() {
        b.fail(CheckName::Sharing, || {
            (
                Rule::Az3,
                format!("account {account} is unknown"),
                format!("register account {account} (RegisterAccount) or have it join the resource directory"),
            )
        });
        return;
    }
    match req.target {
        Target::Kms { instance, kind, creator, tags, arn } => {
            decide_kms(state, req, b, known, instance, *kind, creator.as_ref(), arn, tags);
        }
        Target::Unknown { why, .. } => {
            b.fail(CheckName::Sharing, || (Rule::Az3, why.clone(), "check the resource name or id".to_string()));
        }
        Target::Management { role, arn } => {
            b.na(CheckName::Sharing, "a management call: no shared instance involved");
            b.na(CheckName::SharePermission, "a management call: no share permission involved");
            check_ram(state, req, b, known, arn, &[]);
            if !b.failed() {
                check_role(req, b, role);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn decide_kms<B: Sink>(
    state: &State,
    req: &Request<'_>,
    b: &mut B,
    account_slot: Option<usize>,
    instance: &InstanceId,
    kind: ResourceKind,
    creator: Option<&AccountId>,
    arn: &str,
    tags: &[(String, String)],
) {
    let account = &req.caller.account;
    let Some((instance_slot, inst)) = with_slot(&state.instances, instance) else {
        b.fail(CheckName::Sharing, || {
            (Rule::Az3, format!("instance {instance} does not exist"), "check the instance id".to_string())
        });
        return;
    };
    let is_owner = inst.owner == *account;
    // 1. sharing
    if is_owner {
        b.pass(CheckName::Sharing, Rule::Az1, || {
            cat(&["account ", account.as_str(), " owns instance ", instance.as_str()])
        });
        b.na(CheckName::SharePermission, "the owner needs no share permission");
    } else {
        if let Some(r) = req.region.filter(|r| **r != inst.region) {
            b.fail(CheckName::Sharing, || {
                (
                    Rule::Ki6,
                    format!("instance {instance} is in region {}, the call was made in {r}", inst.region),
                    format!(
                        "call the {} endpoint: a principal cannot use a shared instance from another region",
                        inst.region
                    ),
                )
            });
            return;
        }
        if inst.state != InstanceState::Enabled {
            b.fail(CheckName::Sharing, || {
                (
                    Rule::Ki2,
                    format!("instance {instance} is not enabled"),
                    format!(
                        "the owner {} must enable instance {instance} ({})",
                        inst.owner,
                        Action::EnableInstance.ram()
                    ),
                )
            });
            return;
        }
        // Whether the account is reached, and whether a share permission works there,
        // come from the slots the decision holds (`Reach`). One that explains names the
        // shares: the one that alone admits the account by its slot, several from
        // `access`. (`shares` stays empty for a decision by effect alone, whose messages
        // are never written.)
        let reached = account_slot.and_then(|a| state.reached(instance_slot, a, B::EXPLAINS));
        let one = match reached {
            Some(Reached::Yes { share: Some(slot), .. }) if B::EXPLAINS => state.reaching_share(slot),
            _ => None,
        };
        let shares = match (reached, one) {
            (_, Some((id, _))) => core::slice::from_ref(id),
            (Some(Reached::No), _) => &[][..],
            (Some(_), _) if !B::EXPLAINS => &[][..],
            _ => state.shares_granting(instance, account),
        };
        let is_reached = reached.map_or(!shares.is_empty(), |r| r != Reached::No);
        if !is_reached {
            b.fail(CheckName::Sharing, || {
                why_not_shared(state, instance, &inst.owner, account, (Some(instance_slot), account_slot))
            });
            return;
        }
        let names = || shares.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        b.pass(CheckName::Sharing, Rule::Rs2, || match shares {
            [one] => cat(&["account ", account.as_str(), " is an associated principal of active share ", one.as_str()]),
            _ => format!("account {account} is an associated principal of active share {}", names()),
        });
        // 2. share permission: the first share (in creation order) whose permission still
        // works. Whether one does is in the index; the shares are read only to explain.
        let lacks_permission = match reached {
            Some(Reached::Yes { lacks_permission, .. }) => lacks_permission,
            _ => !state.any_share_permits(shares),
        };
        if lacks_permission {
            b.fail(CheckName::SharePermission, || {
                let first = shares.first().map(|s| s.as_str()).unwrap_or("");
                (
                    Rule::Rs4,
                    format!("share {} carries no working KMS instance permission", names()),
                    format!("attach AliyunRSDefaultPermissionKMSInstance v2 to share {first} (AssociateResourceSharePermission)"),
                )
            });
            return;
        }
        // A decision by effect alone has its answer already.
        if B::EXPLAINS {
            // (The share found by its slot, else each share by its id.)
            let by_id = shares.iter().filter(|_| one.is_none()).filter_map(|s| Some((s, state.shares.get(s)?)));
            let working = one
                .into_iter()
                .chain(by_id)
                .find_map(|(s, sh)| sh.permissions.iter().find(|p| p.grants_kms_instance()).map(|p| (s, p)));
            if let Some((s, p)) = working {
                b.via_share(s);
                b.pass(CheckName::SharePermission, Rule::Rs4, || match &p.version {
                    Some(v) => cat(&["share ", s.as_str(), " carries ", &p.name, " ", v]),
                    None => cat(&["share ", s.as_str(), " carries ", &p.name]),
                });
            }
        }
    }
    // 3. RAM policy
    check_ram(state, req, b, account_slot, arn, tags);
    if b.failed() {
        return;
    }
    // 4. ownership (the permission matrix)
    let Some(row) = row_for(req.action, kind) else {
        b.fail(CheckName::Ownership, || {
            (
                Rule::Az3,
                format!("`{}` is not an action on a {} in the permission matrix", req.action.ram(), kind.name()),
                "use a KMS action of the permission matrix on this kind of resource".to_string(),
            )
        });
        return;
    };
    let own = creator.map(|c| c == account).unwrap_or(true);
    let grant = if is_owner { row.owner } else { row.principal };
    let role = if is_owner { "owner" } else { "principal" };
    let mode_label = || match inst.sharing_mode {
        Some(SharingMode::Joint) => "Joint ownership",
        Some(SharingMode::Independent) => "Independent ownership",
        Some(SharingMode::Unknown) => "an unknown sharing mode",
        None => "an instance not yet shared",
    };
    let Some(allowed) = grant.allows(inst.sharing_mode, own) else {
        b.undetermined(CheckName::Ownership, || {
            (
                Rule::Sm1,
                format!(
                    "the {role} {account} may use this {} created by {} only if instance {instance} is in Joint ownership, and its sharing mode is unknown (the vendor's API does not report it)",
                    if kind == ResourceKind::Secret { "secret" } else { "key" },
                    creator.map(|c| c.to_string()).unwrap_or_default()
                ),
                format!(
                    "tell the engine the mode the console shows for instance {instance}: `sharingMode` in the state document, or {} (Joint or Independent)",
                    Action::SetInstanceSharingMode.ram()
                ),
            )
        });
        return;
    };
    if allowed {
        b.pass(CheckName::Ownership, Rule::Sm3, || match (grant, own) {
            (Grant::Yes, _) => cat(&["the ", role, " may use `", row.label, "` (", mode_label(), ")"]),
            (_, true) => cat(&["account ", account.as_str(), " created this resource"]),
            (_, false) => cat(&["in ", mode_label(), " the owner manages and uses every key and secret"]),
        });
        return;
    }
    b.fail(CheckName::Ownership, || {
        let creator_txt = creator.map(|c| c.to_string()).unwrap_or_default();
        let rule = if grant == Grant::No { Rule::Az1 } else { Rule::Sm3 };
        let (detail, fix) = match grant {
            Grant::No if is_owner => (
                format!("no account may perform `{}` here", row.label),
                "no change of policy allows this".to_string(),
            ),
            Grant::No => (
                format!("a principal may not perform `{}`; only the owner {} may", row.label, inst.owner),
                format!("ask the instance owner {} to do it", inst.owner),
            ),
            _ if is_owner => (
                format!(
                    "in Independent ownership the owner may only use the keys and secrets it created; this one was created by {creator_txt}"
                ),
                format!("ask account {creator_txt}, which created it, to do it (Independent never changes back to Joint, SM-2)"),
            ),
            _ => (
                cat(&["a principal may only use the keys and secrets it created; this one was created by ", &creator_txt]),
                cat(&["create your own key or secret in instance ", instance.as_str(), ", or ask account ", &creator_txt]),
            ),
        };
        (rule, detail, fix)
    });
}

/// Why `account` does not reach `instance` (owned by `owner`), in the order a reader
/// would look: the quota, a failed association or a deleted share that covered it, the
/// directory's membership and enterprise. With the instance's and the account's slots
/// (in `state.instances` and `state.accounts`, where known), what the index's table by
/// slots holds (whether the instance is plain, the account's place in the directory)
/// spares the searches of the quota, of the shares naming the instance and of the
/// directory, each a likely cache miss in a large organization; where the table cannot
/// say, the state answers, the same.
fn why_not_shared(
    state: &State,
    instance: &InstanceId,
    owner: &AccountId,
    account: &AccountId,
    (instance_slot, account_slot): (Option<usize>, Option<usize>),
) -> (Rule, String, String) {
    let (plain, membership) = match (instance_slot, account_slot) {
        (Some(i), Some(a)) => state.unreached_hints(i, a),
        _ => (None, None),
    };
    if plain != Some(true) {
        if let Some(why) = failed_or_left_out(state, instance, owner, account) {
            return why;
        }
    }
    let membership =
        membership.unwrap_or_else(|| Membership::of(state, account, state.account_record(account, account_slot)));
    match membership {
        Membership::Outside => (
            Rule::Rs3,
            format!("account {account} is not a member of the owner's resource directory"),
            format!("invite account {account} to the resource directory, then add it to a share of {instance}"),
        ),
        Membership::OtherEnterprise => (
            Rule::Rs3,
            format!(
                "account {account} does not belong to the verified enterprise `{}` of the resource directory",
                state.directory.as_ref().map(|d| d.enterprise_id.as_str()).unwrap_or("")
            ),
            "only accounts of the same verified enterprise can use a shared instance".to_string(),
        ),
        Membership::Enterprise => {
            let (account, instance) = (account.as_str(), instance.as_str());
            (
                Rule::Rs2,
                cat(&[
                    "account ",
                    account,
                    " is not an associated principal of any active share that holds instance ",
                    instance,
                ]),
                cat(&[
                    "ask the owner ",
                    owner.as_str(),
                    " to add account ",
                    account,
                    " (or a folder containing it) to a resource share that holds ",
                    instance,
                ]),
            )
        }
    }
}

/// Why `account` is not admitted to `instance` when the quota left it out (KI-4), or a
/// failed association or a deleted share whose principal covers it does (KI-4, RS-7).
fn failed_or_left_out(
    state: &State,
    instance: &InstanceId,
    owner: &AccountId,
    account: &AccountId,
) -> Option<(Rule, String, String)> {
    if state.is_over_quota(instance, account) {
        return Some((
            Rule::Ki4,
            format!("account {account} is covered by a principal but did not fit in the access management quota of {instance}"),
            format!(
                "raise the quota of {instance} ({}), then remove the principal and add it again: a failed principal is not retried",
                Action::UpgradeInstance.ram()
            ),
        ));
    }
    // A failed association or a deleted share whose principal covers the account. Only
    // those are asked whether they cover it (the account's place in the directory: a
    // search of its members and a walk up its folders), not every principal.
    for share in state.shares_naming(instance) {
        for (p, a) in &share.principals {
            if !crate::state::leaves_out(share, a) || !crate::state::covers(state, p, account) {
                continue;
            }
            if a.state == AssociationState::Failed {
                return Some((
                    Rule::Ki4,
                    format!(
                        "the association of principal {} with share {} failed: {}",
                        p.id(),
                        share.id,
                        a.reason.as_deref().unwrap_or("unknown reason")
                    ),
                    format!(
                        "raise the quota of {instance} if needed ({}), then remove principal {} from share {} and add it again: a failed principal is not retried",
                        Action::UpgradeInstance.ram(),
                        p.id(),
                        share.id
                    ),
                ));
            }
            return Some((
                Rule::Rs7,
                format!("share {} that covered account {account} was deleted", share.id),
                format!("ask the owner {owner} to share instance {instance} again"),
            ));
        }
    }
    None
}

fn check_ram<B: Sink>(
    state: &State,
    req: &Request<'_>,
    b: &mut B,
    account_slot: Option<usize>,
    arn: &str,
    tags: &[(String, String)],
) {
    let account = &req.caller.account;
    let (kind, name) = match &req.caller.kind {
        IdentityKind::Root => {
            b.pass(CheckName::RamPolicy, Rule::Ram1, || {
                cat(&["the root identity holds every permission in account ", account.as_str()])
            });
            return;
        }
        IdentityKind::User(n) => ("user", n),
        IdentityKind::Role(n) => ("role", n),
    };
    let missing = |b: &mut B| {
        b.fail(CheckName::RamPolicy, || {
            let (name, account) = (name.as_str(), account.as_str());
            (
                Rule::Az3,
                cat(&[kind, " ", name, " does not exist in account ", account]),
                cat(&[
                    "create ",
                    kind,
                    " ",
                    name,
                    " in account ",
                    account,
                    if kind == "user" { " (CreateUser)" } else { " (CreateRole)" },
                ]),
            )
        })
    };
    let mut ctx_with_tags;
    let mut ctx = req.context;
    if !tags.is_empty() {
        ctx_with_tags = req.context.clone();
        for (k, v) in tags {
            ctx_with_tags.insert(&format!("kms:tag/{k}"), v);
        }
        ctx = &ctx_with_tags;
    }
    // The account's RAM laid out by its slot (`state::RamRules`) gives the deciding
    // statement in one walk of one array, unless an import left gaps, which only the
    // text path reads.
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    if state.gaps.is_empty() {
        if let Some(rules) = account_slot.and_then(|slot| state.ram_rules(slot, account)) {
            match rules.deciding(kind == "role", name, req.action, arn, ctx) {
                None => missing(b),
                Some(verdict) => ram_verdict(req, b, kind, name, arn, verdict),
            }
            return;
        }
    }
    #[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
    let _ = account_slot;
    let ram = state.ram.get(account);
    let attached = ram.and_then(|r| if kind == "user" { r.users.get(name) } else { r.roles.get(name) });
    let Some(attached) = attached else {
        if let Some(g) = ram_gap(state, account, kind, name, None) {
            b.undetermined(CheckName::RamPolicy, || {
                (
                    Rule::Ram1,
                    format!(
                        "{kind} {name} is not in the imported organization, whose RAM identities of account {account} could not be read ({}: {})",
                        g.call, g.code
                    ),
                    format!("let the import read RAM in account {account} ({}), then import again", g.call),
                )
            });
            return;
        }
        missing(b);
        return;
    };
    let preq = policy::Request::of(req.action, arn, ctx);
    let policies = ram.map(|r| &r.policies);
    // An effect does not depend on the order the policies are read in (an explicit Deny
    // wins, RAM-2); only an explanation names the first that allows, in name order.
    let verdict = if B::EXPLAINS || !crate::idmap::FAST {
        policy::deciding(attached.iter().filter_map(|p| Some((p.as_str(), policies?.get(p)?))), &preq)
    } else {
        // (No name: an effect names no policy, and reading a name checks its UTF-8.)
        policy::deciding(attached.iter_unordered().filter_map(|p| Some(("", policies?.get(p)?))), &preq)
    };
    // An explicit Deny decides whatever else may be attached; anything else could be
    // overturned by a policy the import could not read.
    if !matches!(verdict, Some((policy::Effect::Deny, ..))) {
        if let Some(g) = ram_gap(state, account, kind, name, Some(attached)) {
            b.undetermined(CheckName::RamPolicy, || {
                let what = match g.part {
                    GapPart::Policy => format!("policy {} attached to {kind} {name}", g.subject),
                    _ => format!("the policies attached to {kind} {name}"),
                };
                (
                    Rule::Ram2,
                    format!(
                        "{what} could not be read ({}: {}), so whether its policies allow {} on {arn} is unknown",
                        g.call,
                        g.code,
                        req.action.ram()
                    ),
                    format!("let the import read {what} ({}), then import again", g.call),
                )
            });
            return;
        }
    }
    ram_verdict(req, b, kind, name, arn, verdict);
}

/// The RAM check's pass or fail from the deciding statement, if any (RAM-2).
fn ram_verdict(
    req: &Request<'_>,
    b: &mut impl Sink,
    kind: &str,
    name: &crate::ids::RamName,
    arn: &str,
    verdict: Option<(policy::Effect, &str, usize)>,
) {
    match verdict {
        Some((policy::Effect::Allow, policy, statement)) => b.pass(CheckName::RamPolicy, Rule::Ram2, || {
            let mut digits = [0u8; 20];
            let statement = decimal(statement as u64, &mut digits);
            cat(&["policy ", policy, " statement ", statement, " allows ", req.action.ram(), " on ", arn])
        }),
        Some((policy::Effect::Deny, policy, statement)) => b.fail(CheckName::RamPolicy, || {
            let mut digits = [0u8; 20];
            let statement = decimal(statement as u64, &mut digits);
            let (action, name) = (req.action.ram(), name.as_str());
            (
                Rule::Ram2,
                cat(&[
                    "policy ",
                    policy,
                    " statement ",
                    statement,
                    " explicitly denies ",
                    action,
                    " on ",
                    arn,
                    "; an explicit Deny wins",
                ]),
                cat(&[
                    "remove or narrow the Deny statement ",
                    statement,
                    " of policy ",
                    policy,
                    " attached to ",
                    kind,
                    " ",
                    name,
                ]),
            )
        }),
        None => b.fail(CheckName::RamPolicy, || {
            let (action, name) = (req.action.ram(), name.as_str());
            (
                Rule::Ram2,
                cat(&["no policy attached to ", kind, " ", name, " allows ", action, " on ", arn]),
                cat(&["grant ", action, " on ", arn, " to ", kind, " ", name]),
            )
        }),
    }
}

/// What an import could not read that hides what `kind name` of `account` may do
/// (README Semantics 32). Nothing for an organization the engine built itself, at the
/// cost of one index lookup.
fn ram_gap<'a>(
    state: &'a State,
    account: &AccountId,
    kind: &str,
    name: &crate::ids::RamName,
    attached: Option<&crate::idmap::IdSet<crate::ids::RamName>>,
) -> Option<&'a Gap> {
    state.gaps_of(account).find(|g| g.hides_ram_of(kind, name.as_str(), attached))
}

fn check_role(req: &Request<'_>, b: &mut impl Sink, role: &Role) {
    let account = &req.caller.account;
    match role {
        Role::NewAccount if req.caller.is_root() => b.pass(CheckName::Ownership, Rule::Ram1, || {
            format!("the root identity of account {account} acts for itself")
        }),
        Role::NewAccount => b.fail(CheckName::Ownership, || {
            (
                Rule::Ram1,
                format!("only the root identity of account {account} may make this call"),
                format!("make this call as acs:ram::{account}:root"),
            )
        }),
        Role::AnyAccount => b.pass(CheckName::Ownership, Rule::Az1, || "any account may make this call".to_string()),
        Role::ManagementAccount(m) if m == account => {
            b.pass(CheckName::Ownership, Rule::Rd1, || format!("account {account} is the management account"));
        }
        Role::ManagementAccount(m) => b.fail(CheckName::Ownership, || {
            (
                Rule::Rd1,
                format!("only the management account {m} may manage the resource directory"),
                format!("make this call as the management account {m}"),
            )
        }),
        Role::Account(a, what, rule) if a == account => {
            b.pass(CheckName::Ownership, *rule, || format!("account {account} is the {what}"));
        }
        Role::Account(a, what, rule) => b.fail(CheckName::Ownership, || {
            (
                *rule,
                format!("only the {what}, account {a}, may make this call"),
                format!("make this call as account {a}"),
            )
        }),
    }
}

/// The ARN used for instance-level calls.
pub fn instance_target(state: &State, instance: &InstanceId) -> Target {
    let arn =
        state.instances.get(instance).map(instance_arn).unwrap_or_else(|| format!("acs:kms:*:*:instance/{instance}"));
    Target::Kms { instance: instance.clone(), kind: ResourceKind::Instance, creator: None, arn, tags: Vec::new() }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    extern crate std;

    use super::*;
    use crate::crypto::SeededRng;
    use crate::scenario::{self, RunOptions, Runner};
    use alloc::boxed::Box;

    /// A Deny by sharing explained from what the index's table holds (whether the
    /// instance is plain, the account's place in the directory) is the one the state
    /// gives by searching: for every instance and account, after every step of every
    /// scenario of the corpus (RS-2, RS-3, RS-7, KI-4).
    #[test]
    fn the_table_explains_an_account_not_admitted_as_the_state_does_rs2_rs3() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
        let (mut hinted, mut rules) = (0usize, alloc::collections::BTreeSet::new());
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let sc = scenario::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let mut runner = Runner::new(&sc, Box::new(SeededRng::new(1))).unwrap();
            for (i, step) in sc.steps.iter().enumerate() {
                runner.run_step(i, step, RunOptions::default());
                let st = runner.engine().state();
                for (instance, inst) in st.instances.iter() {
                    let Some((i_slot, _)) = st.instances.get_at(instance) else { continue };
                    for account in st.accounts.keys() {
                        let a_slot = st.account_slot(account);
                        let (plain, member) = a_slot.map_or((None, None), |a| st.unreached_hints(i_slot, a));
                        hinted += usize::from(plain.is_some() && member.is_some());
                        let by_table = why_not_shared(st, instance, &inst.owner, account, (Some(i_slot), a_slot));
                        let by_state = why_not_shared(st, instance, &inst.owner, account, (None, None));
                        assert_eq!(by_table, by_state, "{}: step {i}, {instance}, {account}", path.display());
                        rules.insert(by_state.0);
                    }
                }
            }
        }
        assert!(hinted > 1000, "the table answered {hinted} times");
        for rule in [Rule::Rs2, Rule::Rs3, Rule::Rs7, Rule::Ki4] {
            assert!(rules.contains(&rule), "no pair explained by {rule:?}");
        }
    }
}
