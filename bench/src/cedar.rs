//! Part 1 of the issue: the same sharing model in Cedar, the same 100,000 requests through
//! both engines, agreement first (effect and denying check on every request, and the
//! engine's effect-only `authz::denied_by` against its explained `authz::decide`; any
//! disagreement stops the suite), then time: `denied_by` vs Cedar's decision (of record,
//! an effect on both sides), then `decide` and `Engine::explain` vs Cedar.
//!
//! Encoding (read from the engine's plain data and the generator's RAM templates, never
//! from the engine's derived indexes, so that the two can disagree):
//! - principals: `Account` entities whose parents are their folder and the `Directory`;
//!   `Folder` parents are the parent folder; `Root`, `User`, `Role` entities have their
//!   account as parent. A principal of an Active share (association `Associated`) gets the
//!   `Share` entity as a parent, so `X in Share::"rs-1"` means "X is reached by share rs-1"
//!   (folders cover their sub-folders, RS-2).
//! - resources: `Key` and `Secret` entities with `creator`, `owner` (the instance's owner),
//!   `instance` and `mode`; `Instance` entities with `enabled`, `shares` (Active shares
//!   holding it), `workingShares` (those with a working KMS permission, RS-4) and
//!   `overQuota` (accounts a principal reaches but that did not fit in the quota, KI-4,
//!   computed here with the documented admission order).
//! - policies: each check is a `forbid ... unless` (sharing, share permission, one per
//!   matrix row generated from `matrix::MATRIX`, unknown actions), RAM grants are `permit`s
//!   (root: RAM-1; per account: its users' and roles' policies, an explicit RAM Deny is a
//!   `forbid`). Cedar evaluates every policy of the set it is given, so the per-account RAM
//!   policies are sliced by the caller's account (a policy store keyed by account); the
//!   unsliced cost is measured on a sample too.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hint::black_box;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision as CDecision, Entities, Entity, EntityId, EntityTypeName, EntityUid, Policy,
    PolicyId, PolicySet, Request as CRequest, RestrictedExpression,
};
use kms_share_core::authz::{decide, denied_by, CheckName};
use kms_share_core::ids::AccountId;
use kms_share_core::matrix::{Grant, ResourceKind, MATRIX};
use kms_share_core::model::*;
use kms_share_core::policy::Context as KContext;
use kms_share_core::state::State;
use serde_json::{json, Value};

use crate::org::{self, Org, Req};
use crate::stats::{self, Summary};
use crate::{log, Args};

fn uid(ty: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(EntityTypeName::from_str(ty).expect("type"), EntityId::new(id))
}
fn e(u: EntityUid) -> RestrictedExpression {
    RestrictedExpression::new_entity_uid(u)
}

/// The Cedar side: entities, the common policies, the per-account slices.
pub struct CedarOrg {
    pub entities: Entities,
    pub common: PolicySet,
    pub by_account: HashMap<String, PolicySet>,
    /// Permits only (common + per account), to tell "no RAM grant" apart (agreement only).
    pub permits_common: PolicySet,
    pub permits_by_account: HashMap<String, PolicySet>,
    pub all: PolicySet,
    pub policy_count: usize,
    pub entity_count: usize,
}

fn grant_cond(g: Grant) -> &'static str {
    match g {
        Grant::Yes => "true",
        Grant::No => "false",
        Grant::OwnOnly => "principal in resource.creator",
        Grant::AllWhenJoint => "(principal in resource.creator || resource.mode != \"Independent\")",
    }
}

fn actions_list(actions: &[&str]) -> String {
    let v: Vec<String> = actions.iter().map(|a| format!("Action::\"{a}\"")).collect();
    format!("[{}]", v.join(", "))
}

/// The policies every account shares: the four checks and root's RAM-1 grant.
pub fn common_policies() -> Vec<(String, String)> {
    let mut v = vec![
        ("ram-root".to_string(), "permit (principal is Root, action, resource);".to_string()),
        (
            "sharing".to_string(),
            "forbid (principal, action, resource) unless {
               principal in resource.owner ||
               ((!(context has region) || context.region == resource.instance.region) &&
                resource.instance.enabled &&
                principal in resource.instance.shares &&
                !(principal in resource.instance.overQuota))
             };"
            .to_string(),
        ),
        (
            "share-permission".to_string(),
            "forbid (principal, action, resource) unless {
               principal in resource.owner || principal in resource.instance.workingShares
             };"
            .to_string(),
        ),
    ];
    for (kind, ty) in [(ResourceKind::Key, "Key"), (ResourceKind::Secret, "Secret")] {
        let mut known: BTreeSet<&str> = BTreeSet::new();
        for (i, row) in MATRIX.iter().enumerate().filter(|(_, r)| r.resource == kind) {
            known.extend(row.actions.iter().map(|a| a.ram()));
            v.push((
                format!("ownership-{ty}-{i}-{:?}", row.feature),
                format!(
                    "forbid (principal, action in {}, resource is {ty}) unless {{
                       (principal in resource.owner && {}) || (!(principal in resource.owner) && {})
                     }};",
                    actions_list(&row.actions.iter().map(|a| a.ram()).collect::<Vec<_>>()),
                    grant_cond(row.owner),
                    grant_cond(row.principal)
                ),
            ));
        }
        let known: Vec<&str> = known.into_iter().collect();
        v.push((
            format!("ownership-{ty}-unknown-action"),
            format!("forbid (principal, action, resource is {ty}) unless {{ action in {} }};", actions_list(&known)),
        ));
    }
    v
}

/// The RAM policies of account `i` (the generator's templates, RAM-2 semantics).
pub fn account_policies(i: usize) -> Vec<(String, String)> {
    let a = org::acct_str(i);
    let p = org::ram_profile(i);
    let mut v = vec![
        (
            format!("ram-{a}-app-crypto"),
            format!(
                "permit (principal == User::\"{a}/app\", action in [Action::\"kms:Encrypt\", Action::\"kms:Decrypt\", Action::\"kms:GenerateDataKey\"], resource is Key) when {{ resource.creator == Account::\"{a}\" }};"
            ),
        ),
        (
            format!("ram-{a}-app-secret"),
            format!(
                "permit (principal == User::\"{a}/app\", action == Action::\"kms:GetSecretValue\", resource is Secret) when {{ resource.creator == Account::\"{a}\" }};"
            ),
        ),
    ];
    if p.deny_decrypt {
        v.push((
            format!("ram-{a}-app-no-decrypt"),
            format!("forbid (principal == User::\"{a}/app\", action == Action::\"kms:Decrypt\", resource);"),
        ));
    }
    if p.ops_role {
        v.push((format!("ram-{a}-ops"), format!("permit (principal == Role::\"{a}/ops\", action, resource);")));
    }
    if p.auditor {
        v.push((
            format!("ram-{a}-auditor"),
            format!(
                "permit (principal == User::\"{a}/auditor\", action in [Action::\"kms:DescribeKey\", Action::\"kms:DescribeSecret\"], resource);"
            ),
        ));
    }
    v
}

fn parse(id: &str, text: &str) -> Policy {
    Policy::parse(Some(PolicyId::new(id)), text).unwrap_or_else(|e| panic!("policy {id}: {e:?}\n{text}"))
}

/// The accounts a principal resolves to, in join order (RS-2; enterprise filter RS-3).
fn resolve<'a>(
    st: &'a State,
    children: &BTreeMap<&str, Vec<&str>>,
    members: &BTreeMap<&str, Vec<(u64, &'a AccountId)>>,
    p: &Principal,
) -> Vec<&'a AccountId> {
    let Some(dir) = &st.directory else { return Vec::new() };
    let mut out: Vec<(u64, &AccountId)> = Vec::new();
    match p {
        Principal::Account(a) => {
            if let Some(m) = dir.members.get(a) {
                out.push((m.seq, &m.account));
            }
        }
        Principal::Directory(d) => {
            if *d == dir.id {
                out.extend(dir.members.values().map(|m| (m.seq, &m.account)));
            }
        }
        Principal::Folder(f) => {
            let mut stack = vec![f.as_str()];
            while let Some(cur) = stack.pop() {
                if let Some(ms) = members.get(cur) {
                    out.extend(ms.iter().copied());
                }
                if let Some(ch) = children.get(cur) {
                    stack.extend(ch.iter().copied());
                }
            }
        }
    }
    out.retain(|(_, a)| {
        st.accounts.get(*a).and_then(|x| x.enterprise_id.as_deref()) == Some(dir.enterprise_id.as_str())
    });
    out.sort();
    out.into_iter().map(|(_, a)| a).collect()
}

pub fn encode(st: &State) -> CedarOrg {
    let dir = st.directory.as_ref().expect("directory");
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in dir.folders.values() {
        if let Some(p) = &f.parent {
            children.entry(p.as_str()).or_default().push(f.id.as_str());
        }
    }
    let mut members: BTreeMap<&str, Vec<(u64, &AccountId)>> = BTreeMap::new();
    for m in dir.members.values() {
        members.entry(m.folder.as_str()).or_default().push((m.seq, &m.account));
    }
    // Share parents of principals (Active shares, Associated principals).
    let mut share_parents: HashMap<String, HashSet<EntityUid>> = HashMap::new();
    let mut inst_shares: HashMap<String, (Vec<EntityUid>, Vec<EntityUid>)> = HashMap::new();
    let mut shares: Vec<&Share> = st.shares.values().filter(|s| s.state == ShareState::Active).collect();
    shares.sort_by_key(|s| s.seq);
    for s in &shares {
        let su = uid("Share", s.id.as_str());
        for (p, a) in &s.principals {
            if a.state != AssociationState::Associated {
                continue;
            }
            let key = match p {
                Principal::Account(x) => format!("Account::{x}"),
                Principal::Folder(x) => format!("Folder::{x}"),
                Principal::Directory(x) => format!("Directory::{x}"),
            };
            share_parents.entry(key).or_default().insert(su.clone());
        }
        let working = s.permissions.iter().any(|p| p.grants_kms_instance());
        for (inst, a) in &s.resources {
            if a.state != AssociationState::Associated {
                continue;
            }
            let e = inst_shares.entry(inst.to_string()).or_default();
            e.0.push(su.clone());
            if working {
                e.1.push(su.clone());
            }
        }
    }
    // Quota admission per instance (KI-3, KI-4): shares in creation order, principals in
    // association order, members in join order; the owner never counts.
    let mut over_quota: HashMap<String, Vec<String>> = HashMap::new();
    for inst in st.instances.values() {
        let mut admitted: BTreeSet<&AccountId> = BTreeSet::new();
        let mut over: BTreeSet<&AccountId> = BTreeSet::new();
        for s in &shares {
            if s.resources.get(&inst.id).map(|a| a.state) != Some(AssociationState::Associated) {
                continue;
            }
            let mut ps: Vec<(&Principal, &Association)> =
                s.principals.iter().filter(|(_, a)| a.state == AssociationState::Associated).collect();
            ps.sort_by_key(|(_, a)| a.seq);
            for (p, _) in ps {
                for a in resolve(st, &children, &members, p) {
                    if *a == inst.owner {
                        continue;
                    }
                    if admitted.contains(a) || admitted.len() + inst.vpcs.len() < inst.quota as usize {
                        over.remove(a);
                        admitted.insert(a);
                    } else {
                        over.insert(a);
                    }
                }
            }
        }
        over_quota.insert(inst.id.to_string(), over.into_iter().map(|a| a.to_string()).collect());
    }

    let mut ents: Vec<Entity> = Vec::new();
    let parents_of = |key: String, mut base: HashSet<EntityUid>| {
        if let Some(s) = share_parents.get(&key) {
            base.extend(s.iter().cloned());
        }
        base
    };
    let dir_uid = uid("Directory", dir.id.as_str());
    ents.push(Entity::new_no_attrs(dir_uid.clone(), parents_of(format!("Directory::{}", dir.id), HashSet::new())));
    for f in dir.folders.values() {
        let mut ps = HashSet::new();
        if let Some(p) = &f.parent {
            ps.insert(uid("Folder", p.as_str()));
        }
        ents.push(Entity::new_no_attrs(uid("Folder", f.id.as_str()), parents_of(format!("Folder::{}", f.id), ps)));
    }
    for s in st.shares.values() {
        ents.push(Entity::new_no_attrs(uid("Share", s.id.as_str()), HashSet::new()));
    }
    for (id, acc) in &st.accounts {
        let mut ps = HashSet::new();
        if let Some(m) = dir.members.get(id) {
            if acc.enterprise_id.as_deref() == Some(dir.enterprise_id.as_str()) {
                ps.insert(uid("Folder", m.folder.as_str()));
                ps.insert(dir_uid.clone());
            }
        }
        let au = uid("Account", id.as_str());
        ents.push(Entity::new_no_attrs(au.clone(), parents_of(format!("Account::{id}"), ps)));
        ents.push(Entity::new_no_attrs(uid("Root", id.as_str()), [au.clone()].into_iter().collect()));
        if let Some(r) = st.ram.get(id) {
            for u in r.users.keys() {
                ents.push(Entity::new_no_attrs(uid("User", &format!("{id}/{u}")), [au.clone()].into_iter().collect()));
            }
            for u in r.roles.keys() {
                ents.push(Entity::new_no_attrs(uid("Role", &format!("{id}/{u}")), [au.clone()].into_iter().collect()));
            }
        }
    }
    for inst in st.instances.values() {
        let (sh, working) = inst_shares.get(inst.id.as_str()).cloned().unwrap_or_default();
        let over = over_quota.get(inst.id.as_str()).cloned().unwrap_or_default();
        let attrs: HashMap<String, RestrictedExpression> = [
            ("enabled".to_string(), RestrictedExpression::new_bool(inst.state == InstanceState::Enabled)),
            ("region".to_string(), RestrictedExpression::new_string(inst.region.to_string())),
            ("shares".to_string(), RestrictedExpression::new_set(sh.into_iter().map(e))),
            ("workingShares".to_string(), RestrictedExpression::new_set(working.into_iter().map(e))),
            ("overQuota".to_string(), RestrictedExpression::new_set(over.iter().map(|a| e(uid("Account", a))))),
        ]
        .into_iter()
        .collect();
        ents.push(Entity::new(uid("Instance", inst.id.as_str()), attrs, HashSet::new()).expect("instance entity"));
    }
    let mode = |m: Option<SharingMode>| match m {
        Some(SharingMode::Joint) => "Joint",
        Some(SharingMode::Independent) => "Independent",
        // Imported states only (README Semantics 31): the generated organizations never
        // hold one, and Cedar's policies here have no undetermined outcome to give it.
        Some(SharingMode::Unknown) => "Unknown",
        None => "None",
    };
    let res_attrs = |inst_id: &kms_share_core::ids::InstanceId, creator: &str| {
        let inst = st.instances.get(inst_id).expect("instance");
        let attrs: HashMap<String, RestrictedExpression> = [
            ("creator".to_string(), e(uid("Account", creator))),
            ("owner".to_string(), e(uid("Account", inst.owner.as_str()))),
            ("instance".to_string(), e(uid("Instance", inst.id.as_str()))),
            ("mode".to_string(), RestrictedExpression::new_string(mode(inst.sharing_mode).to_string())),
        ]
        .into_iter()
        .collect();
        attrs
    };
    for k in st.keys.values() {
        ents.push(
            Entity::new(uid("Key", k.id.as_str()), res_attrs(&k.instance, k.creator.as_str()), HashSet::new())
                .expect("key entity"),
        );
    }
    for (arn, s) in &st.secrets {
        ents.push(
            Entity::new(uid("Secret", arn), res_attrs(&s.instance, s.creator.as_str()), HashSet::new())
                .expect("secret entity"),
        );
    }
    let entity_count = ents.len();
    let entities = Entities::from_entities(ents, None).expect("entities");

    let common_src = common_policies();
    let mut common = PolicySet::new();
    let mut permits_common = PolicySet::new();
    for (id, text) in &common_src {
        let p = parse(id, text);
        if text.trim_start().starts_with("permit") {
            permits_common.add(p.clone()).expect("add");
        }
        common.add(p).expect("add");
    }
    let mut all = common.clone();
    let mut by_account = HashMap::new();
    let mut permits_by_account = HashMap::new();
    let mut policy_count = common_src.len();
    for (i, id) in st.accounts.keys().enumerate() {
        debug_assert_eq!(id.as_str(), org::acct_str(i));
        let mut set = common.clone();
        let mut permits = permits_common.clone();
        for (pid, text) in account_policies(i) {
            let p = parse(&pid, &text);
            if text.starts_with("permit") {
                permits.add(p.clone()).expect("add");
            }
            all.add(p.clone()).expect("add");
            set.add(p).expect("add");
            policy_count += 1;
        }
        by_account.insert(id.to_string(), set);
        permits_by_account.insert(id.to_string(), permits);
    }
    CedarOrg { entities, common, by_account, permits_common, permits_by_account, all, policy_count, entity_count }
}

/// The Cedar request of one of our requests.
pub fn cedar_request(org: &Org, r: &Req) -> CRequest {
    let principal = match r.who {
        "root" => uid("Root", &r.account_str),
        "ops" => uid("Role", &format!("{}/ops", r.account_str)),
        u => uid("User", &format!("{}/{u}", r.account_str)),
    };
    let res = &org.resources[r.res];
    let resource = match res.kind {
        ResourceKind::Key => uid("Key", &res.name),
        _ => uid("Secret", &res.name),
    };
    let context = match &r.region {
        Some(reg) => Context::from_pairs([("region".to_string(), RestrictedExpression::new_string(reg.to_string()))])
            .expect("context"),
        None => Context::empty(),
    };
    CRequest::new(principal, uid("Action", r.action), resource, context, None).expect("request")
}

impl CedarOrg {
    fn set_for(&self, account: &str) -> &PolicySet {
        self.by_account.get(account).unwrap_or(&self.common)
    }

    /// Cedar's decision and the first failing check, in the order of AZ-1.
    fn decide_explained(&self, az: &Authorizer, r: &Req, q: &CRequest) -> (bool, Option<CheckName>, usize) {
        let resp = az.is_authorized(q, self.set_for(&r.account_str), &self.entities);
        let errors = resp.diagnostics().errors().count();
        if resp.decision() == CDecision::Allow {
            return (true, None, errors);
        }
        let mut failing: BTreeSet<CheckName> = BTreeSet::new();
        for id in resp.diagnostics().reason() {
            let id = id.to_string();
            failing.insert(if id == "sharing" {
                CheckName::Sharing
            } else if id == "share-permission" {
                CheckName::SharePermission
            } else if id.starts_with("ram-") {
                CheckName::RamPolicy
            } else {
                CheckName::Ownership
            });
        }
        let permits = self.permits_by_account.get(&r.account_str).unwrap_or(&self.permits_common);
        if az.is_authorized(q, permits, &self.entities).decision() == CDecision::Deny {
            failing.insert(CheckName::RamPolicy);
        }
        (false, failing.into_iter().next(), errors)
    }
}

pub fn run(args: &Args) -> Value {
    let n = args.usize("accounts", 10_000);
    let count = args.usize("requests", 100_000);
    let rounds = args.usize("rounds", 50);
    log(format!("cedar: generating {n} accounts"));
    let org = org::generate(n, 10);
    let reqs = org::requests(&org, count, 0xced4);
    let st = org.engine.state();
    log("cedar: encoding the organization in Cedar");
    let t = std::time::Instant::now();
    let cedar = encode(st);
    let encode_s = t.elapsed().as_secs_f64();
    let creqs: Vec<CRequest> = reqs.iter().map(|r| cedar_request(&org, r)).collect();
    let az = Authorizer::new();
    let ctx = KContext::default();

    // 1. Agreement on every request: effect, and the first failing check, between Cedar
    // and `decide`, and between the engine's two paths (`denied_by` must be exactly
    // `decide(..).denied_by`). Any disagreement stops the suite: a time is only worth
    // comparing for answers that agree.
    log("cedar: agreement");
    let mut effect_mismatch = Vec::new();
    let mut check_mismatch = Vec::new();
    let mut path_mismatch = Vec::new();
    let mut cedar_errors = 0usize;
    let (mut allow, mut deny) = (0usize, 0usize);
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for (r, q) in reqs.iter().zip(&creqs) {
        let d = decide(st, &r.request(&ctx));
        let effect_only = denied_by(st, &r.request(&ctx));
        let (c_allow, c_check, errs) = cedar.decide_explained(&az, r, q);
        cedar_errors += errs;
        if d.allowed() {
            allow += 1;
        } else {
            deny += 1;
            *by.entry(format!("{:?}", d.denied_by.expect("denied by"))).or_default() += 1;
        }
        let example = || {
            json!({"caller": r.caller_str, "action": r.action, "resource": org.resources[r.res].name,
                   "ours": format!("{:?} {:?}", d.effect, d.denied_by), "ourMessage": d.message,
                   "oursEffectOnly": format!("{effect_only:?}"),
                   "cedar": format!("{} {:?}", if c_allow {"Allow"} else {"Deny"}, c_check)})
        };
        if effect_only != d.denied_by {
            path_mismatch.push(example());
        }
        if d.allowed() != c_allow {
            effect_mismatch.push(example());
        } else if d.denied_by != c_check {
            check_mismatch.push(example());
        }
    }
    log(format!(
        "cedar: {} effect mismatches, {} denying-check mismatches, {} denied_by/decide mismatches, \
         {cedar_errors} Cedar evaluation errors",
        effect_mismatch.len(),
        check_mismatch.len(),
        path_mismatch.len()
    ));
    for (what, v) in [
        ("authz::denied_by and authz::decide(..).denied_by differ", &path_mismatch),
        ("Cedar and authz::decide differ on the effect", &effect_mismatch),
        ("Cedar and authz::decide differ on the first failing check", &check_mismatch),
    ] {
        if !v.is_empty() {
            eprintln!("error: {what} on {} of {} requests; first examples:", v.len(), reqs.len());
            for x in v.iter().take(10) {
                eprintln!("  {x}");
            }
        }
    }
    if !(path_mismatch.is_empty() && effect_mismatch.is_empty() && check_mismatch.is_empty()) {
        eprintln!("error: the engines disagree (see above); nothing is timed");
        std::process::exit(1);
    }
    let agreement = json!({
        "requests": reqs.len(),
        "allow": allow, "deny": deny, "deniedBy": by,
        "effectMismatches": effect_mismatch.len(),
        "checkMismatches": check_mismatch.len(),
        "effectOnlyMismatches": path_mismatch.len(),
        "cedarEvaluationErrors": cedar_errors,
    });

    // 2. Time, interleaved chunk by chunk, with the policy slice looked up by account inside
    // Cedar's loop. Of record: the engine's effect-only decision against Cedar's decision,
    // both an effect and nothing more; then the explained `decide` against the same.
    let chunk = count / rounds.max(1);
    let cedar_chunk = |round: usize| {
        let start = (round * chunk) % (reqs.len() - chunk + 1);
        for (r, q) in reqs[start..start + chunk].iter().zip(&creqs[start..start + chunk]) {
            black_box(az.is_authorized(q, cedar.set_for(&r.account_str), &cedar.entities).decision());
        }
    };
    log("cedar: timing denied_by (effect only) vs is_authorized");
    let (effect_ours, effect_theirs, effect_ratio) = stats::interleaved(
        rounds,
        chunk,
        |round| {
            let start = (round * chunk) % (reqs.len() - chunk + 1);
            for r in &reqs[start..start + chunk] {
                black_box(denied_by(st, &r.request(&ctx)));
            }
        },
        cedar_chunk,
    );
    log("cedar: timing decide (explained) vs is_authorized");
    let (ours, theirs, ratio) = stats::interleaved(
        rounds / 2,
        chunk,
        |round| {
            let start = (round * chunk) % (reqs.len() - chunk + 1);
            for r in &reqs[start..start + chunk] {
                black_box(decide(st, &r.request(&ctx)));
            }
        },
        cedar_chunk,
    );
    // From names: our Engine::explain (resolves the key id or secret ARN) vs Cedar with the
    // request built from the same strings.
    log("cedar: timing explain vs request-from-strings + is_authorized");
    let (ours_names, theirs_names, ratio_names) = stats::interleaved(
        rounds / 2,
        chunk,
        |round| {
            let start = (round * chunk) % (reqs.len() - chunk + 1);
            for r in &reqs[start..start + chunk] {
                black_box(
                    org.engine
                        .explain(&r.caller, r.action, &org.resources[r.res].name, r.region.as_ref(), &ctx)
                        .is_ok(),
                );
            }
        },
        |round| {
            let start = (round * chunk) % (reqs.len() - chunk + 1);
            for r in &reqs[start..start + chunk] {
                let q = cedar_request(&org, r);
                black_box(az.is_authorized(&q, cedar.set_for(&r.account_str), &cedar.entities).decision());
            }
        },
    );
    // Unsliced: every account's RAM policies in one set, on a sample.
    log("cedar: unsliced policy set (sample)");
    let sample = 200.min(reqs.len());
    let unsliced: Summary = stats::rounds(3, sample, || {
        for q in &creqs[..sample] {
            black_box(az.is_authorized(q, &cedar.all, &cedar.entities).decision());
        }
    });
    json!({
        "accounts": n,
        "keys": org.keys,
        "secrets": org.secrets,
        "instances": org.instances,
        "folders": org.folders,
        "cedarVersion": "4.14",
        "cedarEntities": cedar.entity_count,
        "cedarPolicies": cedar.policy_count,
        "cedarPoliciesPerSlice": cedar.common.policies().count(),
        "encodeSeconds": encode_s,
        "agreement": agreement,
        "effectOnly": {"ours": effect_ours, "cedar": effect_theirs, "ratioCedarOverOurs": effect_ratio},
        "decide": {"ours": ours, "cedar": theirs, "ratioCedarOverOurs": ratio},
        "fromNames": {"ours": ours_names, "cedar": theirs_names, "ratioCedarOverOurs": ratio_names},
        "cedarUnsliced": unsliced,
    })
}
