//! The review of an organization: per instance, who can use and manage each key and
//! secret (the access matrix, summed up per identity), and what is misconfigured or about
//! to go wrong, each finding with its rule id and a fix. `kms-share review` and
//! `python -m kms_share review` print it as JSON and write [`html`]: one self-contained
//! page (inline style, inline SVG charts, no script) a reviewer can mail around.
//!
//! Findings: principals whose association failed and the quota they need (KI-4), shares
//! still on the deprecated permission (RS-4), revocations that would be refused and by
//! which keys and secrets (RS-7), quotas above 80 % (KI-3), disabled instances still
//! shared (KI-2), and RAM users or roles of a principal account whose policies grant
//! instance management on the owner's instance (PM: the permission matrix denies it to
//! principals today; the grant is wider than anything the identity can use, and takes
//! effect if the instance changes hands).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Serialize;

use crate::decision::Effect;
use crate::engine::Engine;
use crate::error::Result;
use crate::idmap::{IdMap, IdSet};
use crate::ids::{AccountId, Region};
use crate::matrix::Feature;
use crate::model::{
    AssociationState, GapPart, InstanceState, Principal, ShareState, SharingMode, DEPRECATED_PERMISSION,
};
use crate::query::AccessMatrix;
use crate::rules::Rule;
use crate::state::QuotaUsage;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Something is refused or lost now.
    Error,
    /// Something will go wrong, or goes against the vendor's advice.
    Warning,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The rule behind it.
    pub rule: Rule,
    /// How much it matters.
    pub severity: Severity,
    /// The instance it is about.
    pub instance: String,
    /// What it is about: a share, a principal, the instance.
    pub subject: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

/// One identity's access to one instance's resources, summed up from the matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityAccess {
    /// The identity.
    pub identity: String,
    /// Its relation to the instance (owner, principal, …), as the matrix says.
    pub role: String,
    /// Resources it may use (cryptography, secret values), of the instance's.
    pub can_use: usize,
    /// Resources it may manage (keys, secrets, the instance), of the instance's.
    pub can_manage: usize,
    /// Resources whose use or management by it is undetermined (the instance's sharing
    /// mode is unknown, SM-1): it may or may not reach them.
    #[serde(skip_serializing_if = "is_zero")]
    pub undetermined: usize,
    /// Whether it may create keys and secrets in the instance.
    pub can_create: bool,
    /// The shares through which its account reaches the instance.
    pub via_shares: Vec<String>,
}

/// One instance's review.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceReview {
    /// The instance.
    pub instance: String,
    /// Its owner.
    pub owner: String,
    /// Its region.
    pub region: String,
    /// `Enabled` or `Disabled`.
    pub state: String,
    /// Joint, Independent, or none yet.
    pub sharing_mode: Option<String>,
    /// Its access management quota (KI-3).
    pub quota: QuotaUsage,
    /// Keys and secrets in it.
    pub resources: usize,
    /// Who can do what, per identity.
    pub access: Vec<IdentityAccess>,
}

/// The whole review.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// Per instance.
    pub instances: Vec<InstanceReview>,
    /// Every finding, errors first.
    pub findings: Vec<Finding>,
}

fn suffix(subject: &str) -> String {
    if subject.is_empty() {
        String::new()
    } else {
        format!(" ({subject})")
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn uses(f: Feature) -> bool {
    matches!(f, Feature::CryptoOperations | Feature::SecretValue)
}

fn manages(f: Feature) -> bool {
    matches!(f, Feature::KeyManagement | Feature::SecretManagement | Feature::InstanceManagement)
}

fn summarize(engine: &Engine, m: &AccessMatrix) -> Vec<IdentityAccess> {
    let state = engine.state();
    // Each identity's cells, gathered in one pass over the matrix.
    let mut cells_of: Vec<Vec<&crate::query::MatrixCell>> = m.identities.iter().map(|_| Vec::new()).collect();
    for c in &m.cells {
        if let Some(v) = cells_of.get_mut(c.identity) {
            v.push(c);
        }
    }
    m.identities
        .iter()
        .zip(&cells_of)
        .map(|(id, cells)| {
            let count = |effect: Effect, want: fn(Feature) -> bool| {
                let mut res: Vec<usize> =
                    cells.iter().filter(|c| c.effect == effect && want(c.feature)).map(|c| c.resource).collect();
                res.sort_unstable();
                res.dedup();
                res.len()
            };
            IdentityAccess {
                identity: id.identity.clone(),
                role: id.role.clone(),
                can_use: count(Effect::Allow, uses),
                can_manage: count(Effect::Allow, manages),
                undetermined: count(Effect::Undetermined, |f| uses(f) || manages(f)),
                can_create: cells.iter().any(|c| c.effect == Effect::Allow && c.feature == Feature::CreateResources),
                via_shares: state
                    .shares_granting(&m.instance_id, &id.account)
                    .iter()
                    .map(|s| s.as_str().to_string())
                    .collect(),
            }
        })
        .collect()
}

/// Review the engine's organization.
///
/// # Errors
/// Never in practice: every instance of the state has a matrix.
pub fn review(engine: &Engine) -> Result<Review> {
    let state = engine.state();
    let mut instances = Vec::new();
    let mut findings = Vec::new();
    // The regions each account has something in: the instances it owns, those it
    // created keys or secrets in. A principal's calls come from where its resources are.
    let mut presence: IdMap<AccountId, IdSet<Region>> = IdMap::new();
    for inst in state.instances.values() {
        presence.entry(inst.owner.clone()).or_default().insert(inst.region.clone());
    }
    let created = state.keys.values().map(|k| (&k.creator, &k.instance));
    for (creator, inst) in created.chain(state.secrets.values().map(|s| (&s.creator, &s.instance))) {
        if let Some(i) = state.instances.get(inst) {
            presence.entry(creator.clone()).or_default().insert(i.region.clone());
        }
    }
    for (id, inst) in state.instances.iter() {
        let m = engine.access_matrix(id)?;
        let q = &m.quota;
        let shares: Vec<_> = state.shares_naming(id).filter(|s| s.state == ShareState::Active).collect();
        let resources = state.keys_in(id).count() + state.secrets_in(id).count();
        // SM-1: a mode the engine was not told leaves the owner's and principals' reach
        // over each other's keys and secrets undetermined.
        if inst.sharing_mode == Some(SharingMode::Unknown) {
            let open = m.cells.iter().filter(|c| c.effect == Effect::Undetermined).count();
            findings.push(Finding {
                rule: Rule::Sm1,
                severity: Severity::Warning,
                instance: id.to_string(),
                subject: id.to_string(),
                message: format!(
                    "the sharing mode of instance {id} is unknown (the vendor's API does not report it): {open} access decision(s) over it are undetermined"
                ),
                fix: format!(
                    "set the mode the console shows for {id}: `sharingMode` (Joint or Independent) in the state document, or the import's --sharing-mode {id}=Joint"
                ),
            });
        }
        // KI-2: a disabled instance still named by active shares.
        if inst.state == InstanceState::Disabled && !shares.is_empty() {
            findings.push(Finding {
                rule: Rule::Ki2,
                severity: Severity::Warning,
                instance: id.to_string(),
                subject: id.to_string(),
                message: format!(
                    "instance {id} is disabled but still in {} active share(s): its principals cannot use it, and it takes no new principal",
                    shares.len()
                ),
                fix: format!("enable {id} again, or remove it from its shares"),
            });
        }
        // KI-6: principals whose resources all live in other regions.
        for acct in state.index.access.get(id).into_iter().flat_map(IdMap::keys) {
            let Some(regions) = presence.get(acct) else { continue };
            if regions.contains(&inst.region) {
                continue;
            }
            let elsewhere = regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
            findings.push(Finding {
                rule: Rule::Ki6,
                severity: Severity::Warning,
                instance: id.to_string(),
                subject: acct.to_string(),
                message: format!(
                    "principal account {acct} reaches instance {id} in {}, but everything it has is in {elsewhere}: a call it makes from there is refused (KI-6)",
                    inst.region
                ),
                fix: format!(
                    "have account {acct} call the {} endpoint for {id}, or share it an instance of {elsewhere}",
                    inst.region
                ),
            });
        }
        // KI-3: quota nearly spent.
        if q.quota > 0 && q.used * 100 > q.quota * 80 {
            findings.push(Finding {
                rule: Rule::Ki3,
                severity: Severity::Warning,
                instance: id.to_string(),
                subject: id.to_string(),
                message: format!(
                    "instance {id} uses {} of its {} access management quota ({} account(s) + {} VPC(s))",
                    q.used, q.quota, q.accounts, q.vpcs
                ),
                fix: format!("raise the quota of {id} before sharing it with more accounts or attaching more VPCs"),
            });
        }
        // KI-4: accounts waiting for room in the quota.
        if !q.over_quota_accounts.is_empty() {
            let need = q.over_quota_accounts.len();
            findings.push(Finding {
                rule: Rule::Ki4,
                severity: Severity::Error,
                instance: id.to_string(),
                subject: q.over_quota_accounts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                message: format!(
                    "{need} account(s) reached by shares of {id} cannot use it: the quota ({}) is spent",
                    q.quota
                ),
                fix: format!(
                    "raise the quota of {id} to at least {} (used {} + {need} waiting)",
                    q.used + need as u32,
                    q.used
                ),
            });
        }
        // What each account created in the instance, gathered once (RS-7 below).
        let mut owned_by: alloc::collections::BTreeMap<&crate::ids::AccountId, Vec<String>> =
            alloc::collections::BTreeMap::new();
        for k in state.keys_in(id) {
            owned_by.entry(&k.creator).or_default().push(format!("key {}", k.id));
        }
        for (_, sec) in state.secrets_in(id) {
            owned_by.entry(&sec.creator).or_default().push(format!("secret {}", sec.name));
        }
        for share in &shares {
            // KI-4 (and others): failed associations, with their reasons.
            for (p, a) in share.principals.iter() {
                if a.state == AssociationState::Failed {
                    findings.push(Finding {
                        rule: Rule::Ki4,
                        severity: Severity::Error,
                        instance: id.to_string(),
                        subject: format!("{} in {}", p.id(), share.id),
                        message: format!(
                            "the association of {} with share {} failed: {}",
                            p.id(),
                            share.id,
                            a.reason.as_deref().unwrap_or("no reason recorded")
                        ),
                        fix: format!(
                            "make room in the quota of {id}, then associate {} with {} again",
                            p.id(),
                            share.id
                        ),
                    });
                }
            }
            // RS-4: the deprecated permission.
            if share.permissions.iter().any(|perm| perm.name == DEPRECATED_PERMISSION) {
                findings.push(Finding {
                    rule: Rule::Rs4,
                    severity: Severity::Warning,
                    instance: id.to_string(),
                    subject: share.id.to_string(),
                    message: format!("share {} still uses the deprecated permission {DEPRECATED_PERMISSION}", share.id),
                    fix: format!(
                        "associate AliyunRSDefaultPermissionKMSInstance with {}, then disassociate {DEPRECATED_PERMISSION}",
                        share.id
                    ),
                });
            }
            // RS-7: revocations that would be refused.
            for (p, a) in share.principals.iter() {
                if a.state != AssociationState::Associated {
                    continue;
                }
                let accounts = match p {
                    Principal::Account(acct) => alloc::vec![acct.clone()],
                    other => state.resolve_principal(other),
                };
                let owned: Vec<&String> = accounts.iter().filter_map(|a| owned_by.get(a)).flatten().collect();
                if !owned.is_empty() {
                    let shown: Vec<&str> = owned.iter().take(5).map(|s| s.as_str()).collect();
                    let more = owned.len().saturating_sub(shown.len());
                    findings.push(Finding {
                        rule: Rule::Rs7,
                        severity: Severity::Warning,
                        instance: id.to_string(),
                        subject: format!("{} in {}", p.id(), share.id),
                        message: format!(
                            "removing {} from share {} would be refused: it still owns {}{} in {id}",
                            p.id(),
                            share.id,
                            shown.join(", "),
                            if more > 0 { format!(" and {more} more") } else { String::new() }
                        ),
                        fix: format!(
                            "before revoking, have {} delete or move its {} key(s) and secret(s) in {id}",
                            p.id(),
                            owned.len()
                        ),
                    });
                }
            }
        }
        // PM: principals' identities granted what only the owner may do to the instance.
        let arn = crate::state::instance_arn(inst);
        let management: Vec<&'static str> = crate::matrix::MATRIX
            .iter()
            .filter(|row| row.feature == Feature::InstanceManagement)
            .flat_map(|row| row.actions.iter().map(|a| a.ram()))
            .filter(|a| !a.is_empty())
            .collect();
        for id in m.identities.iter().filter(|i| i.account != inst.owner) {
            let Ok(identity) = crate::ids::Identity::parse(&id.identity) else { continue };
            let granted: Vec<&str> = management
                .iter()
                .copied()
                .filter(|action| state.attached_policies(&identity).any(|(_, pol)| pol.grants(action, &arn)))
                .collect();
            if !granted.is_empty() {
                findings.push(Finding {
                    rule: Rule::Pm,
                    severity: Severity::Warning,
                    instance: inst.id.to_string(),
                    subject: id.identity.clone(),
                    message: format!(
                        "{} of principal account {} holds grants only an owner may use on {id} ({}): the permission matrix denies them to principals",
                        id.identity,
                        identity.account,
                        if granted.len() > 3 {
                            format!("{} and {} more", granted.iter().take(3).copied().collect::<Vec<_>>().join(", "), granted.len() - 3)
                        } else {
                            granted.join(", ")
                        },
                        id = inst.id
                    ),
                    fix: format!("narrow the policies of {} to its own keys and secrets (least privilege)", id.identity),
                });
            }
        }
        instances.push(InstanceReview {
            instance: id.to_string(),
            owner: inst.owner.to_string(),
            region: inst.region.to_string(),
            state: match inst.state {
                InstanceState::Enabled => "Enabled".to_string(),
                InstanceState::Disabled => "Disabled".to_string(),
            },
            sharing_mode: m.sharing_mode.map(|s| format!("{s:?}")),
            quota: q.clone(),
            resources,
            access: summarize(engine, &m),
        });
    }
    // What an import could not read (README Semantics 32): the decisions it hides are
    // undetermined, so the review says which and how to read them.
    for g in &state.gaps {
        let whose = g.account.as_ref().map(|a| format!("account {a}")).unwrap_or_else(|| "the directory".to_string());
        let (severity, what) = match g.part {
            GapPart::Directory => (Severity::Error, "the directory's folders or accounts".to_string()),
            GapPart::Account => (Severity::Error, format!("{whose} at all (it could not be reached)")),
            GapPart::Ram if g.subject.is_empty() => (Severity::Error, format!("the RAM identities of {whose}")),
            GapPart::Ram => (Severity::Warning, format!("the attached policies of {} in {whose}", g.subject)),
            GapPart::Policy => (Severity::Warning, format!("policy {} of {whose}", g.subject)),
            GapPart::Kms => (Severity::Warning, format!("KMS resources of {whose}{}", suffix(&g.subject))),
            GapPart::Sharing => (Severity::Warning, format!("resource shares of {whose}{}", suffix(&g.subject))),
        };
        findings.push(Finding {
            rule: Rule::Az3,
            severity,
            instance: String::new(),
            subject: g.account.as_ref().map(ToString::to_string).unwrap_or_else(|| g.subject.clone()),
            message: format!(
                "the import could not read {what}: {} answered {}{}; decisions that depend on it are undetermined",
                g.call,
                g.code,
                if g.message.is_empty() { String::new() } else { format!(" ({})", g.message) }
            ),
            fix: match g.part {
                GapPart::Account => format!(
                    "create the directory access role in {whose} (trusting the management account) or pass --role-name, then import again"
                ),
                _ => format!("grant the importing identity {} in {whose}, then import again", g.call),
            },
        });
    }
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then_with(|| a.instance.cmp(&b.instance)));
    Ok(Review { instances, findings })
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Per account, the keys and secrets its identities may use and manage, summed over the
/// instances (an account counts the most any one of its identities may): two bars each.
fn access_chart(h: &mut String, r: &Review) {
    let mut per: alloc::collections::BTreeMap<&str, (usize, usize)> = alloc::collections::BTreeMap::new();
    for inst in &r.instances {
        let mut best: alloc::collections::BTreeMap<&str, (usize, usize)> = alloc::collections::BTreeMap::new();
        for a in &inst.access {
            let account = a.identity.split(':').nth(3).unwrap_or("");
            let e = best.entry(account).or_default();
            e.0 = e.0.max(a.can_use);
            e.1 = e.1.max(a.can_manage);
        }
        for (account, (u, m)) in best {
            let e = per.entry(account).or_default();
            e.0 += u;
            e.1 += m;
        }
    }
    let most = per.values().map(|(u, m)| (*u).max(*m)).max().unwrap_or(0).max(1);
    let width = 360usize;
    let row = 30usize;
    h.push_str("<h2>Access per account</h2>\n<p>Keys and secrets each account may use (green) and manage (blue), over every instance.</p>\n");
    h.push_str(&format!(
        "<svg data-testid=\"access-chart\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"keys and secrets each account may use and manage\">\n",
        width + 320,
        per.len().max(1) * row + 8
    ));
    for (i, (account, (u, m))) in per.iter().enumerate() {
        let y = 8 + i * row;
        h.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"12\" font-family=\"monospace\">{}</text>\
<rect data-account=\"{account}\" x=\"170\" y=\"{y}\" width=\"{}\" height=\"10\" fill=\"#2a7f62\"/>\
<rect x=\"170\" y=\"{}\" width=\"{}\" height=\"10\" fill=\"#3b6fb6\"/>\
<text x=\"{}\" y=\"{}\" font-size=\"12\">use {u} · manage {m}</text>\n",
            y + 14,
            esc(account),
            u * width / most,
            y + 11,
            m * width / most,
            176 + width,
            y + 14,
        ));
    }
    h.push_str("</svg>\n");
}

/// The review as one self-contained HTML page: findings first (rule, what, fix), then per
/// instance its quota as a bar and who can use and manage its keys and secrets.
pub fn html(r: &Review) -> String {
    let mut h = String::new();
    h.push_str(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kms-share review</title>\n<style>\
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2430}h1{font-size:22px}h2{font-size:18px;margin-top:28px}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d5dae1;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f2f4f7}.error{color:#b3261e;font-weight:600}.warning{color:#8a5a00;font-weight:600}.rule{font-family:monospace}\
.fix{color:#1b5e20}.none{color:#1b5e20}.mono{font-family:monospace}.rule,.mono,.error,.warning{white-space:nowrap}\
</style></head><body>\n<h1>kms-share review</h1>\n",
    );
    let errors = r.findings.iter().filter(|f| f.severity == Severity::Error).count();
    h.push_str(&format!(
        "<p data-testid=\"summary\">{} instance(s), {} finding(s): {errors} error(s), {} warning(s).</p>\n<h2>Findings</h2>\n",
        r.instances.len(),
        r.findings.len(),
        r.findings.len() - errors
    ));
    if r.findings.is_empty() {
        h.push_str("<p class=\"none\">Nothing to fix.</p>\n");
    } else {
        h.push_str("<table data-testid=\"findings\"><tr><th>severity</th><th>rule</th><th>instance</th><th>what</th><th>fix</th></tr>\n");
        for f in &r.findings {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            h.push_str(&format!(
                "<tr data-rule=\"{rule}\"><td class=\"{sev}\">{sev}</td><td class=\"rule\">{rule}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"fix\">{}</td></tr>\n",
                esc(&f.instance),
                esc(&f.message),
                esc(&f.fix),
                rule = f.rule,
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Quota per instance</h2>\n");
    let width = 420u32;
    let bar = 22u32;
    let height = (r.instances.len() as u32).max(1) * (bar + 8) + 8;
    h.push_str(&format!(
        "<svg data-testid=\"quota-chart\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"access management quota used per instance\">\n",
        width + 260
    ));
    for (i, inst) in r.instances.iter().enumerate() {
        let y = 8 + i as u32 * (bar + 8);
        let q = &inst.quota;
        let full = (q.used.min(q.quota) * width).checked_div(q.quota).unwrap_or(0);
        let color = if q.quota > 0 && q.used * 100 > q.quota * 80 { "#c77700" } else { "#2a7f62" };
        h.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"12\" font-family=\"monospace\">{}</text>\
<rect x=\"170\" y=\"{y}\" width=\"{width}\" height=\"{bar}\" fill=\"#e6e9ee\"/><rect x=\"170\" y=\"{y}\" width=\"{full}\" height=\"{bar}\" fill=\"{color}\"/>\
<text x=\"{}\" y=\"{}\" font-size=\"12\">{} of {}</text>\n",
            y + 15,
            esc(&inst.instance),
            176 + width,
            y + 15,
            q.used,
            q.quota
        ));
    }
    h.push_str("</svg>\n");
    access_chart(&mut h, r);
    for inst in &r.instances {
        h.push_str(&format!(
            "<h2 data-testid=\"instance\">{} <small>owner {} · {} · {} · {}</small></h2>\n",
            esc(&inst.instance),
            esc(&inst.owner),
            esc(&inst.region),
            esc(&inst.state),
            esc(inst.sharing_mode.as_deref().unwrap_or("not shared"))
        ));
        h.push_str(&format!(
            "<p>{} key(s) and secret(s). Who can use (cryptography, secret values), manage and create them:</p>\n\
<table><tr><th>identity</th><th>relation</th><th>can use</th><th>can manage</th><th>can create</th><th>through</th></tr>\n",
            inst.resources
        ));
        for a in inst.access.iter().filter(|a| a.can_use + a.can_manage + a.undetermined > 0 || a.can_create) {
            let maybe = if a.undetermined > 0 {
                format!(" <span class=\"undetermined\">+ {} undetermined</span>", a.undetermined)
            } else {
                String::new()
            };
            h.push_str(&format!(
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}{maybe}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>\n",
                esc(&a.identity),
                esc(&a.role),
                a.can_use,
                a.can_manage,
                if a.can_create { "yes" } else { "no" },
                esc(&a.via_shares.join(", "))
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("<p>Rule ids are those of docs/rules.md. Made by kms-share review.</p>\n</body></html>\n");
    h
}
