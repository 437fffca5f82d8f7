//! A prototype of an effect-only decision: the four checks of `authz::decide` in the
//! same order, through the same public pieces of the core (`State::shares_granting`,
//! `SharePermission::grants_kms_instance`, `Policy::evaluate`, `matrix::row_for`,
//! `Grant::allows`), but building no explanation strings. It is not used by any figure
//! of record: it measures what an allocation-free fast path in the engine (for
//! `is_allowed`, `allowed_batch`, the access matrix's cells, `who_can`) would give, and
//! is checked against `decide` (effect and denying check) on every request it is timed on.

use kms_share_core::authz::{decide, CheckName, Request, Target};
use kms_share_core::ids::IdentityKind;
use kms_share_core::matrix::row_for;
use kms_share_core::model::InstanceState;
use kms_share_core::policy::{self, Verdict};
use kms_share_core::state::State;

/// `None` for Allow, else the first failing check.
pub fn decide_fast(st: &State, req: &Request<'_>) -> Option<CheckName> {
    let account = &req.caller.account;
    if !st.accounts.contains_key(account) {
        return Some(CheckName::Sharing);
    }
    let Target::Kms { instance, kind, creator, arn, tags } = req.target else {
        return decide(st, req).denied_by;
    };
    let Some(inst) = st.instances.get(instance) else { return Some(CheckName::Sharing) };
    let is_owner = inst.owner == *account;
    if !is_owner {
        if req.region.is_some_and(|r| *r != inst.region) || inst.state != InstanceState::Enabled {
            return Some(CheckName::Sharing);
        }
        let shares = st.shares_granting(instance, account);
        if shares.is_empty() {
            return Some(CheckName::Sharing);
        }
        let working = shares
            .iter()
            .any(|s| st.shares.get(s).is_some_and(|sh| sh.permissions.iter().any(|p| p.grants_kms_instance())));
        if !working {
            return Some(CheckName::SharePermission);
        }
    }
    if !ram_allows(st, req, arn, tags) {
        return Some(CheckName::RamPolicy);
    }
    let Some(row) = row_for(req.action, *kind) else { return Some(CheckName::Ownership) };
    let own = creator.as_ref().is_none_or(|c| c == account);
    let grant = if is_owner { row.owner } else { row.principal };
    if grant.allows(inst.sharing_mode, own) {
        None
    } else {
        Some(CheckName::Ownership)
    }
}

fn ram_allows(st: &State, req: &Request<'_>, arn: &str, tags: &[(String, String)]) -> bool {
    let (user, name) = match &req.caller.kind {
        IdentityKind::Root => return true,
        IdentityKind::User(n) => (true, n),
        IdentityKind::Role(n) => (false, n),
    };
    let Some(ram) = st.ram.get(&req.caller.account) else { return false };
    let Some(attached) = (if user { ram.users.get(name) } else { ram.roles.get(name) }) else { return false };
    let with_tags;
    let mut ctx = req.context;
    if !tags.is_empty() {
        let mut c = req.context.clone();
        for (k, v) in tags {
            c.insert(&format!("kms:tag/{k}"), v);
        }
        with_tags = c;
        ctx = &with_tags;
    }
    let preq = policy::Request { action: req.action, resource: arn, context: ctx };
    let mut allowed = false;
    for p in attached.iter().filter_map(|p| ram.policies.get(p)) {
        match p.evaluate(&preq) {
            Verdict::ExplicitDeny { .. } => return false,
            Verdict::Allow { .. } => allowed = true,
            Verdict::NoMatch => {}
        }
    }
    allowed
}
