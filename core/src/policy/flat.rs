//! An account's RAM policies laid out for decisions (RAM-2).
//!
//! Read as the data is kept, a RAM check walks from the account's RAM (found by its
//! text) to the identity's small map, its set of attached policy names, each policy (found
//! by its name), its statements and each pattern: about seven dependent reads through
//! separate allocations, the largest part of an effect-only decision in a large
//! organization. [`Rules`] holds an account's identities, each followed by the
//! statements of its attached policies, in one array, and their resource patterns in one
//! text: a decision reads the one array and the one text.
//!
//! The answer is the one [`super::deciding`] gives: each identity's statements are laid
//! out with explicit Denies first, then Allows, each group in the order `deciding` reads
//! them (policies in name order, statements in document order), so the first statement
//! that matches decides (an explicit Deny wins, RAM-2) and is the one an explanation
//! names.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::glob::{Case, PatternText, Stars};
use super::{ActionSet, Condition, Context, Effect, Policy, Statement};
use crate::action::Action;
use crate::ids::RamName;
use crate::model::RamAccount;

/// One account's identities and the statements each may use, in one array (see the
/// module documentation).
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    items: Box<[Item]>,
    /// The resource patterns' texts and the policies' names, one after the other.
    text: Box<str>,
    /// The conditions of the statements that have some, each statement's in one entry.
    conditions: Box<[Vec<Condition>]>,
}

#[derive(Debug, Clone)]
enum Item {
    /// A user (`role` false) or a role, whose statements are the next `len` items.
    Identity { role: bool, name: RamName, len: u32 },
    /// A statement, its further resource patterns in the next `more` items.
    Rule(Rule),
    /// A further resource pattern of the statement before.
    Pattern(Span),
}

#[derive(Debug, Clone)]
struct Rule {
    deny: bool,
    /// `NotResource`.
    not_resource: bool,
    known: ActionSet,
    /// The first resource pattern (none in a statement that has none).
    first: Option<Span>,
    more: u16,
    /// Its conditions, all of which must hold (AND): 0 for none (most statements), else
    /// one past their entry in [`Rules::conditions`].
    conditions: u16,
    /// Where its policy's name is in [`Rules::text`].
    policy: (u16, u16),
    /// Its index in its policy, from 0.
    statement: u16,
}

/// A pattern in [`Rules::text`], in 16-bit offsets (an account whose patterns and
/// policy names take more than 64 KiB is not laid out: the text path reads its RAM).
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u16,
    end: u16,
    stars: Stars,
}

impl Rules {
    /// `ram`'s users and roles with their attached policies' statements (a name attached
    /// but not among the account's policies grants nothing, as in the text path). `None`
    /// when an offset or a count would not fit.
    pub(crate) fn of(ram: &RamAccount) -> Option<Rules> {
        let mut items = Vec::new();
        let mut text = String::new();
        let mut conditions = Vec::new();
        // By the policy's slot in `ram.policies`.
        let mut placed: Vec<Option<Placed>> = Vec::new();
        placed.resize_with(ram.policies.len(), || None);
        for (role, identities) in [(false, &ram.users), (true, &ram.roles)] {
            for (name, attached) in identities.iter() {
                let at = items.len();
                items.push(Item::Identity { role, name: name.clone(), len: 0 });
                for deny in [true, false] {
                    let found = attached.iter().filter_map(|p| Some((p, ram.policies.get_at(p)?)));
                    for (policy, (slot, document)) in found {
                        let placement = match placed.get_mut(slot)? {
                            Some(placement) => placement,
                            none => none.insert(Placed::of(&mut text, &mut conditions, policy, document)?),
                        };
                        let statements = document.statements.iter().zip(&placement.statements);
                        for (i, (statement, spots)) in statements.enumerate() {
                            if (statement.effect == Effect::Deny) == deny {
                                push_rule(&mut items, statement, spots, (placement.name, u16::try_from(i).ok()?))?;
                            }
                        }
                    }
                }
                let len = u32::try_from(items.len() - at - 1).ok()?;
                if let Some(Item::Identity { len: l, .. }) = items.get_mut(at) {
                    *l = len;
                }
            }
        }
        let conditions = conditions.into_boxed_slice();
        Some(Rules { items: items.into_boxed_slice(), text: text.into_boxed_str(), conditions })
    }

    /// The deciding statement of the policies attached to `name` (a role when `role`)
    /// for `action` on `resource`, as [`super::deciding`] gives it (effect, policy name,
    /// statement index): `None` when the account has no such identity, `Some(None)` when
    /// no statement matches.
    pub(crate) fn deciding(
        &self,
        role: bool,
        name: &RamName,
        action: Action,
        resource: &str,
        context: &Context,
    ) -> Option<Option<(Effect, &str, usize)>> {
        let mut items = &self.items[..];
        while let Some((Item::Identity { role: r, name: n, len }, rest)) = items.split_first() {
            let (mine, after) = rest.split_at_checked(usize::try_from(*len).ok()?)?;
            if *r == role && n == name {
                return Some(self.first_match(mine, action, resource, context));
            }
            items = after;
        }
        None
    }

    /// The first statement of `items` that matches: Denies come first.
    fn first_match(
        &self,
        items: &[Item],
        action: Action,
        resource: &str,
        context: &Context,
    ) -> Option<(Effect, &str, usize)> {
        let mut i = 0;
        while let Some(item) = items.get(i) {
            i += 1;
            let Item::Rule(rule) = item else { continue };
            let more = items.get(i..).unwrap_or_default();
            let more = more.get(..usize::from(rule.more)).unwrap_or(more);
            i += more.len();
            if !rule.known.contains(action) {
                continue;
            }
            let hit = |s: &Span| {
                let pattern = self.text.get(usize::from(s.start)..usize::from(s.end));
                pattern.is_some_and(|p| s.stars.matches(p, resource, Case::Sensitive))
            };
            let any =
                rule.first.as_ref().is_some_and(hit) || more.iter().any(|m| matches!(m, Item::Pattern(s) if hit(s)));
            let holds = |i: usize| self.conditions.get(i).is_some_and(|c| c.iter().all(|c| c.holds(context)));
            if any != rule.not_resource && usize::from(rule.conditions).checked_sub(1).is_none_or(holds) {
                let effect = if rule.deny { Effect::Deny } else { Effect::Allow };
                let policy = self.text.get(usize::from(rule.policy.0)..usize::from(rule.policy.1)).unwrap_or("");
                return Some((effect, policy, usize::from(rule.statement)));
            }
        }
        None
    }
}

/// Where `s` is in `text`, once added to its end.
fn push_text(text: &mut String, s: &str) -> Option<(u16, u16)> {
    let start = u16::try_from(text.len()).ok()?;
    text.push_str(s);
    Some((start, u16::try_from(text.len()).ok()?))
}

/// Where a policy's name, and each of its statements' resource patterns and conditions,
/// are in a [`Rules`]: placed once for the account, however many of its identities the
/// policy is attached to.
struct Placed {
    name: (u16, u16),
    statements: Vec<StatementAt>,
}

/// Where a statement's resource patterns and conditions are ([`Rule::conditions`]).
struct StatementAt {
    first: Option<Span>,
    more: Vec<Span>,
    conditions: u16,
}

impl Placed {
    /// `policy`, named `name`, placed at the ends of `text` and `conditions`.
    fn of(text: &mut String, conditions: &mut Vec<Vec<Condition>>, name: &RamName, policy: &Policy) -> Option<Placed> {
        let name = push_text(text, name.as_str())?;
        let mut statements = Vec::with_capacity(policy.statements.len());
        for statement in &policy.statements {
            let mut spans = statement.resource.items.iter().map(|p| {
                let (start, end) = push_text(text, p.text())?;
                Some(Span { start, end, stars: p.stars() })
            });
            let first = match spans.next() {
                Some(span) => Some(span?),
                None => None,
            };
            let more = spans.collect::<Option<_>>()?;
            let mut at = 0;
            if !statement.conditions.is_empty() {
                conditions.push(statement.conditions.clone());
                at = u16::try_from(conditions.len()).ok()?;
            }
            statements.push(StatementAt { first, more, conditions: at });
        }
        Some(Placed { name, statements })
    }
}

/// `statement`, its patterns and conditions placed at `at` (of the policy named at
/// `policy.0` in the text, its index `policy.1`), as a rule and its further patterns at
/// the end of `items`.
fn push_rule(items: &mut Vec<Item>, statement: &Statement, at: &StatementAt, policy: ((u16, u16), u16)) -> Option<()> {
    items.push(Item::Rule(Rule {
        deny: statement.effect == Effect::Deny,
        not_resource: statement.resource.not,
        known: statement.known,
        first: at.first,
        more: u16::try_from(at.more.len()).ok()?,
        conditions: at.conditions,
        policy: policy.0,
        statement: policy.1,
    }));
    items.extend(at.more.iter().copied().map(Item::Pattern));
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idmap::IdSet;
    use crate::policy::{deciding, Policy, Request};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/key-1";
    const SECRET: &str = "acs:kms:cn-hangzhou:1234567890123456:secret/db";
    const OTHER: &str = "acs:kms:cn-shanghai:2234567890123456:key/key-22";

    fn name(s: &str) -> RamName {
        RamName::parse(s).unwrap()
    }

    /// A statement from its choices: effect, action, resources, negations, condition.
    fn statement(choice: (bool, usize, usize, usize, u8, usize)) -> Value {
        let (deny, action, first, second, not, condition) = choice;
        let actions =
            [json!("kms:*"), json!("kms:Encrypt"), json!("kms:Get*"), json!("*"), json!(["kms:Decrypt", "kms:List*"])];
        let resources = [
            "*",
            "acs:kms:*:*:key/*",
            KEY,
            "acs:kms:*:1234567890123456:secret/*",
            "acs:kms:*:*:*",
            "acs:kms:cn-*:*:key/key-?",
            "acs:kms:cn-hangzhou:*",
        ];
        let conditions = [
            Value::Null,
            json!({"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}),
            json!({"StringEquals": {"kms:tag/env": "prod"}}),
            json!({"StringNotLike": {"kms:tag/env": "dev*"}}),
        ];
        let resource = if first == second {
            json!(resources[first % resources.len()])
        } else {
            json!([resources[first % resources.len()], resources[second % resources.len()]])
        };
        let mut s = json!({"Effect": if deny { "Deny" } else { "Allow" }});
        s[if not & 1 == 0 { "Action" } else { "NotAction" }] = actions[action % actions.len()].clone();
        s[if not & 2 == 0 { "Resource" } else { "NotResource" }] = resource;
        if !conditions[condition % conditions.len()].is_null() {
            s["Condition"] = conditions[condition % conditions.len()].clone();
        }
        s
    }

    fn contexts() -> [Context; 3] {
        let mut ip = Context::new();
        ip.insert("acs:SourceIp", "10.1.2.3");
        let mut tagged = Context::new();
        tagged.insert("kms:tag/env", "prod");
        [Context::new(), ip, tagged]
    }

    /// What the text path gives: `deciding` over the identity's attached policies.
    fn by_text<'a>(
        ram: &'a RamAccount,
        role: bool,
        who: &RamName,
        req: &Request<'_>,
    ) -> Option<Option<(Effect, &'a str, usize)>> {
        let attached = if role { ram.roles.get(who) } else { ram.users.get(who) }?;
        let policies = attached.iter().filter_map(|p| Some((p.as_str(), ram.policies.get(p)?)));
        Some(deciding(policies, req))
    }

    /// Every identity (and one the account lacks), action of the table, resource and
    /// context gets the effect, policy and statement the text path gives.
    fn agree(ram: &RamAccount) -> [usize; 3] {
        let rules = Rules::of(ram).unwrap();
        let mut seen = [0; 3];
        let identities =
            ram.users.keys().map(|n| (false, n.clone())).chain(ram.roles.keys().map(|n| (true, n.clone())));
        for (role, who) in identities.chain([(false, name("nobody")), (true, name("u0"))]) {
            for spec in crate::action::SPECS {
                for resource in [KEY, SECRET, OTHER] {
                    for context in &contexts() {
                        let want = by_text(ram, role, &who, &Request::of(spec.action, resource, context));
                        let got = rules.deciding(role, &who, spec.action, resource, context);
                        assert_eq!(got, want, "{who} (role {role}) {} on {resource} with {context:?}", spec.ram);
                        seen[match got {
                            Some(Some((Effect::Allow, ..))) => 0,
                            Some(Some((Effect::Deny, ..))) => 1,
                            _ => 2,
                        }] += 1;
                    }
                }
            }
        }
        seen
    }

    /// An explicit Deny wins wherever its policy sorts, and is the statement named; a
    /// name attached but not among the account's policies grants nothing; an identity the
    /// account lacks is not there (RAM-2, AZ-3).
    #[test]
    fn laid_out_rules_give_the_effect_of_the_policies_ram2() {
        let mut ram = RamAccount::default();
        let allow_all =
            Policy::parse(&json!({"Version": "1", "Statement": [statement((false, 0, 0, 0, 0, 0))]})).unwrap();
        let deny_encrypt =
            Policy::parse(&json!({"Version": "1", "Statement": [statement((true, 1, 2, 2, 0, 0))]})).unwrap();
        ram.policies.insert(name("a-allow"), allow_all);
        ram.policies.insert(name("z-deny"), deny_encrypt);
        ram.users.insert(name("u0"), [name("a-allow"), name("z-deny")].into_iter().collect());
        ram.users.insert(name("u1"), [name("ghost")].into_iter().collect());
        ram.roles.insert(name("r0"), [name("a-allow")].into_iter().collect());
        let rules = Rules::of(&ram).unwrap();
        let none = Context::new();
        let effect = |role, who: &str, action, resource| rules.deciding(role, &name(who), action, resource, &none);
        assert_eq!(effect(false, "u0", Action::Encrypt, KEY), Some(Some((Effect::Deny, "z-deny", 0))));
        assert_eq!(effect(false, "u0", Action::Decrypt, KEY), Some(Some((Effect::Allow, "a-allow", 0))));
        assert_eq!(effect(false, "u0", Action::Encrypt, OTHER), Some(Some((Effect::Allow, "a-allow", 0))));
        assert_eq!(effect(true, "r0", Action::Encrypt, KEY), Some(Some((Effect::Allow, "a-allow", 0))));
        assert_eq!(effect(false, "u1", Action::Encrypt, KEY), Some(None));
        assert_eq!(effect(false, "r0", Action::Encrypt, KEY), None);
        assert_eq!(effect(true, "u0", Action::Encrypt, KEY), None);
        let seen = agree(&ram);
        assert!(seen.iter().all(|n| *n > 0), "{seen:?}");
    }

    /// A policy attached to many identities is placed once in the account's text:
    /// 3,000 users sharing one policy are laid out (placed per user, its pattern alone
    /// would take 180 KB, past the 16-bit offsets). Distinct patterns past 64 KiB are not
    /// laid out: the text path reads that account's RAM.
    #[test]
    fn a_policy_is_placed_once_per_account() {
        let pattern = "acs:kms:*:1234567890123456:key/key-with-a-long-name-*";
        let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": pattern}]});
        let mut ram = RamAccount::default();
        ram.policies.insert(name("shared"), Policy::parse(&doc).unwrap());
        for i in 0..3000 {
            ram.users.insert(name(&alloc::format!("u{i}")), [name("shared")].into_iter().collect());
        }
        let rules = Rules::of(&ram).unwrap();
        assert_eq!(&*rules.text, alloc::format!("shared{pattern}"));
        let key = "acs:kms:cn-hangzhou:1234567890123456:key/key-with-a-long-name-7";
        let none = Context::new();
        assert_eq!(
            rules.deciding(false, &name("u2999"), Action::Encrypt, key, &none),
            Some(Some((Effect::Allow, "shared", 0)))
        );
        assert_eq!(rules.deciding(false, &name("u2999"), Action::Encrypt, KEY, &none), Some(None));

        let mut big = RamAccount::default();
        let mut all = IdSet::new();
        for i in 0..2000 {
            let resource = alloc::format!("acs:kms:*:*:key/{i:0>30}");
            let doc =
                json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": resource}]});
            big.policies.insert(name(&alloc::format!("p{i}")), Policy::parse(&doc).unwrap());
            all.insert(name(&alloc::format!("p{i}")));
        }
        big.users.insert(name("u0"), all);
        assert!(Rules::of(&big).is_none());
    }

    proptest! {
        /// Random accounts: up to four policies of up to three statements each (Allow and
        /// Deny, `Action`/`NotAction`, one or two `Resource`/`NotResource` patterns,
        /// conditions), attached in any combination to two users and a role, with a name
        /// the account lacks. Every effect is the text path's (RAM-2).
        #[test]
        fn laid_out_rules_agree_with_the_text_path_ram2(
            policies in prop::collection::vec(
                prop::collection::vec((any::<bool>(), 0..5usize, 0..7usize, 0..7usize, 0..4u8, 0..4usize), 1..4),
                1..5,
            ),
            attach in prop::collection::vec(0..64u8, 3),
        ) {
            let mut ram = RamAccount::default();
            for (i, statements) in policies.iter().enumerate() {
                let statements: Vec<Value> = statements.iter().map(|c| statement(*c)).collect();
                let doc = json!({"Version": "1", "Statement": statements});
                ram.policies.insert(name(&alloc::format!("p{i}")), Policy::parse(&doc).unwrap());
            }
            for (i, bits) in attach.iter().enumerate() {
                let mut set: IdSet<RamName> = (0..5).filter(|p| bits & (1 << p) != 0).map(|p| name(&alloc::format!("p{p}"))).collect();
                if bits & 32 != 0 {
                    set.insert(name("ghost"));
                }
                match i {
                    2 => ram.roles.insert(name("r0"), set),
                    _ => ram.users.insert(name(&alloc::format!("u{i}")), set),
                };
            }
            agree(&ram);
        }
    }
}
