//! The whole state of a simulated organization, and its derived indexes.
//!
//! [`State`] is plain serde data. `Index` is derived from it (never serialized)
//! so that every lookup on the decision path is a map lookup: which shares give
//! an account access to an instance, which accounts count against a quota, which
//! names are taken in which scope.

use crate::idmap::{IdMap, IdSet, KeyText};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::audit::AuditLog;
use crate::ids::*;
use crate::json::Mode;
use crate::model::*;
use crate::text::cat;

/// Everything the engine knows. Serializes to the snapshot's `state` part; read by the
/// `Deserialize` below.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Accounts known to the simulation.
    pub accounts: IdMap<AccountId, Account>,
    /// The resource directory, once enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<Directory>,
    /// KMS instances.
    pub instances: IdMap<InstanceId, Instance>,
    /// Resource shares.
    pub shares: IdMap<ShareId, Share>,
    /// Keys.
    pub keys: IdMap<KeyId, Key>,
    /// Aliases, by ARN.
    pub aliases: IdMap<String, Alias>,
    /// Secrets, by ARN.
    pub secrets: IdMap<String, Secret>,
    /// Application access points, by ARN.
    pub access_points: IdMap<String, AccessPoint>,
    /// Backups, by id.
    pub backups: IdMap<String, Backup>,
    /// RAM users, roles and policies per account. Decisions read them laid out in the
    /// index: after changing them directly, call [`State::rebuild_index`].
    pub ram: IdMap<AccountId, RamAccount>,
    /// The audit trail (AT-1, AT-2).
    pub audit: AuditLog,
    /// A counter for creation order.
    pub seq: u64,
    /// Per instance, the accounts (owner aside) its shares reach, in the order each
    /// became reachable (KI-3, KI-4; README Semantics 3): the first `quota − VPCs` are
    /// admitted, the rest wait. It is history, so it is data, not a derived index: an
    /// account keeps its place while it stays reachable, and one that joins later never
    /// takes the place of one already in. A state written without it (an older export)
    /// gets the order [`State::rebuild_index`] gives newly reachable accounts.
    #[serde(skip_serializing_if = "IdMap::is_empty")]
    pub admission: IdMap<InstanceId, Vec<AccountId>>,
    /// What an import could not read (README Semantics 32): empty for an organization
    /// the engine built itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
    /// Derived indexes.
    #[serde(skip)]
    pub(crate) index: Index,
}

/// What kind of name a uniqueness scope holds (SM-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NameKind {
    Alias,
    Secret,
}

/// Derived lookups, rebuilt from [`State`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Index {
    /// instance -> account -> Active shares through which the account reaches the instance.
    pub access: IdMap<InstanceId, IdMap<AccountId, Vec<ShareId>>>,
    /// instance -> accounts (other than the owner) counted against its quota (KI-3).
    pub admitted: IdMap<InstanceId, IdSet<AccountId>>,
    /// instance -> accounts reached by a principal but left out for want of quota (KI-4).
    pub over_quota: IdMap<InstanceId, IdSet<AccountId>>,
    /// `access` again, by the slots of instances and accounts, with whether a share
    /// permission works, and the accounts' slots by id.
    pub reach: Reach,
    /// Each account's RAM laid out for decisions, by the account's slot.
    pub rules: RamRules,
    /// instance -> every share (any state) that names it, for explaining denials.
    pub instance_shares: IdMap<InstanceId, Vec<ShareId>>,
    /// folder -> direct child folders.
    pub children: IdMap<FolderId, IdSet<FolderId>>,
    /// folder -> direct members.
    pub folder_members: IdMap<FolderId, IdSet<AccountId>>,
    /// instance -> alias name -> accounts holding that alias name there.
    pub alias_names: IdMap<InstanceId, IdMap<String, IdSet<AccountId>>>,
    /// instance -> secret name -> accounts holding that secret name there.
    pub secret_names: IdMap<InstanceId, IdMap<String, IdSet<AccountId>>>,
    /// alias name -> alias ARNs; secret name -> secret ARNs (name resolution).
    pub alias_arns: IdMap<AliasName, IdSet<String>>,
    /// Secret name -> secret ARNs.
    pub secret_arns: IdMap<SecretName, IdSet<String>>,
    /// key -> alias ARNs naming it.
    pub key_aliases: IdMap<KeyId, IdSet<String>>,
    /// instance -> account -> number of keys and secrets the account created there (RS-7).
    pub owned: IdMap<InstanceId, IdMap<AccountId, u32>>,
    /// instance -> its keys (the access matrix lists them without a scan).
    pub instance_keys: IdMap<InstanceId, KeySet>,
    /// instance -> the ARNs of its secrets.
    pub instance_secrets: IdMap<InstanceId, IdSet<String>>,
    /// account -> positions in [`State::gaps`] of what an import could not read about it.
    pub gaps: IdMap<AccountId, Vec<u32>>,
    /// What falls due when: deletions and automatic rotations, driven by call times. In
    /// (time, item) order: the key is [`due_key`]'s text.
    pub due: IdMap<String, (Timestamp, Due)>,
}

#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
impl Index {
    /// Take the parts [`State::index_names`] and the RAM layout fill from `names` (the
    /// other parts are this index's own). Every part is named, so that a new one is
    /// placed here on purpose.
    fn take_names(&mut self, names: Index) {
        let Index {
            access: _,
            admitted: _,
            over_quota: _,
            reach: _,
            rules,
            instance_shares: _,
            children: _,
            folder_members: _,
            alias_names,
            secret_names,
            alias_arns,
            secret_arns,
            key_aliases,
            owned,
            instance_keys,
            instance_secrets,
            gaps: _,
            due,
        } = names;
        self.rules = rules;
        self.alias_names = alias_names;
        self.secret_names = secret_names;
        self.alias_arns = alias_arns;
        self.secret_arns = secret_arns;
        self.key_aliases = key_aliases;
        self.owned = owned;
        self.instance_keys = instance_keys;
        self.instance_secrets = instance_secrets;
        self.due = due;
    }
}

/// The keys of one instance ([`Index::instance_keys`]): natively an ordered set and no
/// more. They are listed, and looked up only to be removed, so an `IdSet`'s slots and
/// hash index beside its tree (about 90 bytes per key in all, against 30) bought
/// nothing. WebAssembly keeps the `IdSet` (a `BTreeSet` of ids would be a tree compiled
/// anew into a module whose size is budgeted).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type KeySet = alloc::collections::BTreeSet<KeyId>;
/// See the native `KeySet`.
#[cfg(target_arch = "wasm32")]
pub(crate) type KeySet = IdSet<KeyId>;

/// The entries (accounts, keys, secrets) from which [`State::rebuild_index`] builds its
/// parts on two threads: below, starting a thread costs more than it saves.
pub const PARALLEL_ENTRIES: usize = 10_000;

/// [`Index::access`] by slots: for each instance and account that reaches it, whether
/// none of the account's shares carries a working KMS instance permission (RS-2, RS-4).
/// A decision that needs only its effect has the instance's and the account's slots in
/// hand (from looking both up), and answers its first two checks from one probe of one
/// array: through `access` it searched a map of the instance's accounts by text, read
/// the account's shares, then looked for it in the unpermitted set, each a likely cache
/// miss at 100,000 accounts. An explained decision names the shares: the table gives
/// the slot of the share when only one admits the account (most do), else it reads
/// `access`. The account's slot itself comes from the table's own index of the
/// accounts by id, whose entries hold the ids ([`State::account_slot`]).
///
/// A slot names the same entry only while no entry is removed from its map. No
/// operation removes an account, an instance or a share, but a state changed behind
/// the engine (through [`Engine::state_mut`](crate::engine::Engine::state_mut),
/// without [`State::rebuild_index`]) may move one into another's slot, so the table
/// keeps the layout of each map it was built from ([`IdMap::layout`]: a number and a
/// length) and answers only while the map has that number, for a slot below that
/// length: two numbers compared in the maps' headers, where comparing the id each slot
/// had was one more likely cache miss per decision. Otherwise `access` answers: for
/// accounts, instances and shares added since the build, after a removal, and in a copy
/// of the state until its index is rebuilt (a copied map has a number of its own).
///
/// Not in the whole-engine WebAssembly module, whose size is held under a ceiling (as
/// for the maps' hash index): there a decision reads `access` and the shares, with the
/// same answer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reach(#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))] Option<ReachTable>);

/// The table of [`Reach`] and the layouts of the maps whose slots it holds, as they
/// were when it was built.
#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
#[derive(Debug, Clone)]
pub(crate) struct ReachTable {
    pairs: crate::idhash::PairTable,
    instances: Layout,
    accounts: Layout,
    shares: Layout,
    /// The accounts' slots by id, for [`State::account_slot`] (kept from one table to
    /// the next while the accounts keep their layout and length).
    account_slots: crate::idmap::KeySlots,
    /// By the instances' slots: whether no account is left out of the instance for want
    /// of quota and no share naming it is deleted or has a failed association, so that
    /// an account it does not admit is explained by the directory alone (RS-2, RS-3).
    plain: Vec<bool>,
    /// By the accounts' slots: each account's place in the resource directory (RS-3).
    membership: Vec<Membership>,
}

/// An account's place in the resource directory, as a Deny by sharing explains it (RS-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Membership {
    /// Not a member (or no directory).
    Outside,
    /// A member, of the directory's verified enterprise.
    Enterprise,
    /// A member, of another enterprise or of none.
    OtherEnterprise,
}

impl Membership {
    /// `account`'s place in `state`'s directory, its record `record`.
    pub(crate) fn of(state: &State, account: &AccountId, record: Option<&Account>) -> Membership {
        let Some(dir) = state.directory.as_ref().filter(|d| d.members.contains_key(account)) else {
            return Membership::Outside;
        };
        if dir.of_enterprise(record) {
            Membership::Enterprise
        } else {
            Membership::OtherEnterprise
        }
    }
}

/// A map's [`IdMap::layout`] number and its length, when a table by its slots was built.
#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    number: u64,
    len: usize,
}

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
impl Layout {
    fn of<K: KeyText, V>(map: &IdMap<K, V>) -> Layout {
        Layout { number: map.layout(), len: map.len() }
    }

    /// Whether `map` still has this layout's number: each slot below its length holds
    /// the key it held when the layout was taken.
    #[inline]
    fn current<K: KeyText, V>(self, map: &IdMap<K, V>) -> bool {
        map.layout() == self.number
    }

    /// Whether `slot` of `map` holds the key it held when the layout was taken.
    #[inline]
    fn holds<K: KeyText, V>(self, map: &IdMap<K, V>, slot: usize) -> bool {
        self.current(map) && slot < self.len
    }
}

/// Whether an account reaches an instance (see [`Reach`]; never made in the whole-engine
/// WebAssembly module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(all(target_arch = "wasm32", not(feature = "hash-index")), allow(dead_code))]
pub(crate) enum Reached {
    /// No active share admits the account.
    No,
    /// An active share admits the account, and `lacks_permission` if none of its shares
    /// carries a working KMS instance permission. `share`: when a single share admits
    /// it, that share's slot in [`State::shares`], for [`State::reaching_share`] (an
    /// explanation names it).
    Yes { lacks_permission: bool, share: Option<u32> },
}

impl PartialEq for Reach {
    /// Two states with the same data number their entries' slots in the order each was
    /// built or read, so their tables differ; what the tables say is `access`, which
    /// [`Index`]'s equality compares.
    fn eq(&self, _: &Reach) -> bool {
        true
    }
}

impl Reach {
    /// The table of `index.access` in `state`'s slots; none where a slot does not fit.
    /// The accounts' slots by id are `previous`'s if the accounts kept their layout, and
    /// so are their places in the directory when `shares_only` changed since (a rebuild
    /// of some instances' access after a change to their shares, which leaves the
    /// directory and the accounts as they were).
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    fn of(state: &State, index: &Index, previous: Reach, shares_only: bool) -> Reach {
        let access = &index.access;
        let accounts = Layout::of(&state.accounts);
        let (account_slots, kept_membership) = match previous.0 {
            Some(t) if t.accounts == accounts => (t.account_slots, Some(t.membership).filter(|_| shares_only)),
            _ => (crate::idmap::KeySlots::of(&state.accounts), None),
        };
        let mut pairs = Vec::new();
        for (instance, accounts) in access {
            let Some(i) = state.instances.get_at(instance).and_then(|(i, _)| u32::try_from(i).ok()) else {
                continue;
            };
            for (account, via) in accounts {
                // An account that reaches the instance but is not (yet) known: a decision
                // for it stops at its first check; once registered it is past the table.
                let Some(a) = account_slots.get(account).and_then(|a| u32::try_from(a).ok()) else {
                    continue;
                };
                // The number: the slot (plus one) of the only share that admits the
                // account, 0 for several.
                let (lacks_permission, share) = match via.as_slice() {
                    [one] => match state.shares.get_at(one) {
                        Some((slot, sh)) => (
                            !sh.permissions.iter().any(SharePermission::grants_kms_instance),
                            u32::try_from(slot + 1).unwrap_or(0),
                        ),
                        None => (true, 0),
                    },
                    _ => (!state.any_share_permits(via), 0),
                };
                pairs.push((i, a, lacks_permission, share));
            }
        }
        let plain = (0..state.instances.len())
            .map(|slot| {
                let Some((id, _)) = state.instances.at_slot(slot) else { return false };
                let mut shares =
                    index.instance_shares.get(id).into_iter().flatten().filter_map(|s| state.shares.get(s));
                !index.over_quota.contains_key(id)
                    && shares.all(|sh| !sh.principals.values().any(|a| leaves_out(sh, a)))
            })
            .collect();
        let membership = kept_membership.unwrap_or_else(|| {
            (0..state.accounts.len())
                .map(|slot| match state.accounts.at_slot(slot) {
                    Some((id, record)) => Membership::of(state, id, Some(record)),
                    None => Membership::Outside,
                })
                .collect()
        });
        Reach(crate::idhash::PairTable::of(&pairs).map(|pairs| ReachTable {
            pairs,
            instances: Layout::of(&state.instances),
            accounts,
            shares: Layout::of(&state.shares),
            account_slots,
            plain,
            membership,
        }))
    }

    /// Whether the instance of slot `instance_slot` is plain ([`ReachTable::plain`]) and
    /// the place in the directory of the account of slot `account_slot`, each where the
    /// table can say.
    fn hints(&self, state: &State, instance_slot: usize, account_slot: usize) -> (Option<bool>, Option<Membership>) {
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        if let Some(t) = self.0.as_ref() {
            let plain =
                t.plain.get(instance_slot).copied().filter(|_| t.instances.holds(&state.instances, instance_slot));
            let member =
                t.membership.get(account_slot).copied().filter(|_| t.accounts.holds(&state.accounts, account_slot));
            return (plain, member);
        }
        let _ = (state, instance_slot, account_slot);
        (None, None)
    }

    /// Whether the account of slot `account_slot` in `state.accounts` reaches the
    /// instance of slot `instance_slot` in `state.instances`, with the share that admits
    /// it if `share` is asked for and only one does; `None` where the table cannot say
    /// (see [`Reach`]), and `access` answers.
    fn get(&self, state: &State, instance_slot: usize, account_slot: usize, share: bool) -> Option<Reached> {
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        {
            let t = self.0.as_ref()?;
            if !t.instances.holds(&state.instances, instance_slot) || !t.accounts.holds(&state.accounts, account_slot) {
                return None;
            }
            let (i, a) = (u32::try_from(instance_slot).ok()?, u32::try_from(account_slot).ok()?);
            let found = if share { t.pairs.get_with_number(i, a) } else { t.pairs.get(i, a).map(|flag| (flag, 0)) };
            Some(found.map_or(Reached::No, |(lacks_permission, number)| Reached::Yes {
                lacks_permission,
                share: number.checked_sub(1),
            }))
        }
        #[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
        {
            let _ = (state, instance_slot, account_slot, share);
            None
        }
    }
}

/// Each account's RAM laid out for decisions ([`crate::policy::flat::Rules`]: its
/// identities and their statements in one array), by the account's slot in
/// [`State::accounts`], with the id the slot held when the entry was made. A decision's
/// RAM check reads the entry of the slot it has in hand; through [`State::ram`] it finds
/// the account's RAM by text, then the identity, its attached names, each policy by
/// name, its statements and their patterns (as it still does where an import left gaps,
/// which only that path reads).
///
/// Built with every index, and again for one account whenever an operation changes its
/// RAM. A state whose `ram` is changed directly must be rebuilt
/// ([`State::rebuild_index`]), as one whose shares are. Answers only for a slot that
/// still holds its id (see [`Reach`]); accounts added since have no entry, and `ram`
/// answers. Not in the whole-engine WebAssembly module, whose size is held under a
/// ceiling: there decisions read `ram`, with the same answers and explanations.
#[derive(Debug, Clone, Default)]
pub(crate) struct RamRules(
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    Vec<Option<(AccountId, crate::policy::flat::Rules)>>,
);

impl PartialEq for RamRules {
    /// What the entries say is `ram`, which [`State`]'s equality compares (the entries'
    /// slots differ between equal states, as [`Reach`]'s do).
    fn eq(&self, _: &RamRules) -> bool {
        true
    }
}

#[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
impl RamRules {
    /// The entries of every account of `state`.
    fn of(state: &State) -> RamRules {
        let ids = state.accounts.keys_by_slot();
        RamRules(ids.map(|id| RamRules::entry(state, id)).collect())
    }

    /// `account`'s entry: its id and its RAM laid out (none where it does not fit, and
    /// `ram` answers for it).
    fn entry(state: &State, account: &AccountId) -> Option<(AccountId, crate::policy::flat::Rules)> {
        let empty = RamAccount::default();
        let rules = crate::policy::flat::Rules::of(state.ram.get(account).unwrap_or(&empty))?;
        Some((account.clone(), rules))
    }

    /// The entry of `account`, at `slot` in `accounts`, if it is current.
    fn get(&self, slot: usize, account: &AccountId) -> Option<&crate::policy::flat::Rules> {
        match self.0.get(slot) {
            Some(Some((id, rules))) if id == account => Some(rules),
            _ => None,
        }
    }
}

/// See [`State::checkpoint`].
#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct Checkpoint {
    seq: u64,
    directory: Option<Directory>,
    instances: IdMap<InstanceId, Instance>,
    shares: IdMap<ShareId, Share>,
    admission: IdMap<InstanceId, Vec<AccountId>>,
}

/// See [`State::checkpoint`].
#[cfg(target_arch = "wasm32")]
pub(crate) type Checkpoint = State;

/// Something that happens at a time (CR-1 rotation, CR-3 and CR-4 deletion).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Due {
    /// Destroy a key whose deletion window ended.
    DeleteKey(KeyId),
    /// Remove a secret whose recovery window ended.
    DeleteSecret(String),
    /// Rotate a key automatically.
    RotateKey(KeyId),
}

/// The ARN of a key (RAM-3). (ARNs are made for every decision on a resource: joined
/// in one allocation, not formatted.)
pub fn key_arn(region: &Region, creator: &AccountId, key: &KeyId) -> String {
    cat(&["acs:kms:", region.as_str(), ":", creator.as_str(), ":key/", key.as_str()])
}

/// The ARN of a secret (RAM-3).
pub fn secret_arn(region: &Region, creator: &AccountId, name: &SecretName) -> String {
    cat(&["acs:kms:", region.as_str(), ":", creator.as_str(), ":secret/", name.as_str()])
}

/// The ARN of an alias (RAM-3).
pub fn alias_arn(region: &Region, creator: &AccountId, name: &AliasName) -> String {
    let short = name.as_str().strip_prefix("alias/").unwrap_or(name.as_str());
    cat(&["acs:kms:", region.as_str(), ":", creator.as_str(), ":alias/", short])
}

/// The ARN of an instance.
pub fn instance_arn(i: &Instance) -> String {
    cat(&["acs:kms:", i.region.as_str(), ":", i.owner.as_str(), ":instance/", i.id.as_str()])
}

impl State {
    /// The custom policies attached to a RAM user or role, with their names (none for an
    /// account's root, which needs none: RAM-1).
    pub fn attached_policies<'a>(
        &'a self,
        identity: &Identity,
    ) -> impl Iterator<Item = (&'a str, &'a crate::policy::Policy)> + 'a {
        let own = self.ram.get(&identity.account);
        let attached = match &identity.kind {
            IdentityKind::Root => None,
            IdentityKind::User(n) => own.and_then(|r| r.users.get(n)),
            IdentityKind::Role(n) => own.and_then(|r| r.roles.get(n)),
        };
        attached
            .into_iter()
            .flat_map(|set| set.iter())
            .filter_map(move |p| own.and_then(|r| r.policies.get(p)).map(|pol| (p.as_str(), pol)))
    }

    /// Whether `caller`'s own RAM policies grant `action` on `resource` (RAM-2): an
    /// account's root holds every permission in its account (RAM-1); a user or role needs
    /// an Allow and no explicit Deny among the policies attached to it. For the calls the
    /// action table does not decide (STS `AssumeRole`, RAM's AccessKey calls).
    pub fn ram_allows(&self, caller: &Identity, action: &str, resource: &str) -> bool {
        if caller.kind == IdentityKind::Root {
            return true;
        }
        let policies = self.attached_policies(caller);
        let context = crate::policy::Context::default();
        let req = crate::policy::Request { action, known: None, resource, context: &context };
        crate::policy::evaluate(policies, &req).is_allow()
    }

    /// An empty organization.
    pub fn new() -> Self {
        State::default()
    }

    /// Rebuild every derived index from the data (after loading, or after a
    /// change to the directory, instances, shares or RAM); from [`PARALLEL_ENTRIES`]
    /// entries, natively, on two threads (the same index).
    pub fn rebuild_index(&mut self) {
        self.rebuild_index_with(self.large());
    }

    /// Whether this state is large enough for [`State::rebuild_index`] to use two threads.
    fn large(&self) -> bool {
        self.accounts.len() + self.keys.len() + self.secrets.len() >= PARALLEL_ENTRIES
    }

    /// [`State::rebuild_index`], with `threads`: natively, with `std`, the names and the
    /// RAM layout are built on a second thread (`crate::par`) while the gaps, the
    /// directory and the access parts are built here. They read the state only and fill
    /// disjoint parts of the index. Without `threads`, every part is built here in turn.
    pub(crate) fn rebuild_index_with(&mut self, threads: bool) {
        self.rebuild_index_from(threads, None);
    }

    /// This state's RAM laid out for decisions, as the index holds it: made apart from
    /// the index by a load, while its key table is read (`crate::snapshot`). It reads
    /// the accounts and their RAM only.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn ram_layout(&self) -> RamRules {
        RamRules::of(self)
    }

    /// [`State::rebuild_index`], with this state's RAM layout made already
    /// ([`State::ram_layout`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn rebuild_index_laid_out(&mut self, rules: RamRules) {
        self.rebuild_index_from(self.large(), Some(rules));
    }

    /// [`State::rebuild_index_with`], taking the RAM layout from `rules` where given.
    fn rebuild_index_from(&mut self, threads: bool, rules: Option<RamRules>) {
        #[cfg(all(feature = "std", not(target_arch = "wasm32")))]
        if threads {
            let this = &*self;
            let laid_out = rules.is_some();
            let names = || {
                let mut names = Index::default();
                this.index_names(&mut names);
                if !laid_out {
                    names.rules = RamRules::of(this);
                }
                names
            };
            let (names, (mut index, admission)) = crate::par::join(names, || {
                let mut index = Index::default();
                this.index_gaps(&mut index);
                this.index_directory(&mut index);
                let admission = this.index_access(&mut index);
                (index, admission)
            });
            index.take_names(names);
            if let Some(rules) = rules {
                index.rules = rules;
            }
            self.admission = admission;
            self.index = index;
            return;
        }
        let _ = threads; // (a build without threads reads it nowhere else)
        let mut index = Index::default();
        self.index_gaps(&mut index);
        self.index_names(&mut index);
        self.index_directory(&mut index);
        self.admission = self.index_access(&mut index);
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        {
            index.rules = rules.unwrap_or_else(|| RamRules::of(self));
        }
        #[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
        let _ = rules; // (this build has no layout to take)
        self.index = index;
    }

    /// Where each account's import gaps are in [`State::gaps`].
    fn index_gaps(&self, index: &mut Index) {
        for (i, g) in self.gaps.iter().enumerate() {
            if let (Some(a), Ok(i)) = (&g.account, u32::try_from(i)) {
                index.gaps.entry(a.clone()).or_default().push(i);
            }
        }
    }

    /// Lay out `account`'s RAM again for decisions ([`RamRules`]), after an operation
    /// changed it.
    pub(crate) fn ram_changed(&mut self, account: &AccountId) {
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        if let Some((slot, _)) = self.accounts.get_at(account) {
            let entry = RamRules::entry(self, account);
            let rules = &mut self.index.rules.0;
            if rules.len() <= slot {
                rules.resize(slot + 1, None);
            }
            if let Some(e) = rules.get_mut(slot) {
                *e = entry;
            }
        }
        #[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
        let _ = account;
    }

    /// The RAM of `account`, of slot `slot` in `accounts`, laid out for decisions; `None`
    /// where [`RamRules`] has no current entry, and `ram` answers.
    #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
    pub(crate) fn ram_rules(&self, slot: usize, account: &AccountId) -> Option<&crate::policy::flat::Rules> {
        self.index.rules.get(slot, account)
    }

    /// Rebuild only the directory and access parts (cheap relative to names).
    pub(crate) fn rebuild_access(&mut self) {
        let mut index = core::mem::take(&mut self.index);
        index.children.clear();
        index.folder_members.clear();
        index.access.clear();
        index.admitted.clear();
        index.over_quota.clear();
        index.instance_shares.clear();
        self.index_directory(&mut index);
        self.admission = self.index_access(&mut index);
        self.index = index;
    }

    /// Rebuild only the access parts of `instances` (all with `None`), after a change to
    /// their shares, to the shares' permissions or to their quota or VPCs (not to the
    /// directory): each instance's reach and admission depend on its own shares only. At
    /// 100,000 accounts the whole rebuild took about 0.4 s of every such call.
    /// WebAssembly rebuilds them all (its module's size is budgeted; the same index).
    pub(crate) fn rebuild_access_of(&mut self, instances: Option<&[InstanceId]>) {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(instances) = instances {
            let only: IdSet<InstanceId> = instances.iter().cloned().collect();
            let mut index = core::mem::take(&mut self.index);
            index.instance_shares.clear();
            for i in &only {
                index.access.remove(i);
                index.admitted.remove(i);
                index.over_quota.remove(i);
            }
            let admission = self.index_access_of(&mut index, Some(&only));
            for i in &only {
                self.admission.remove(i);
            }
            self.admission.extend(admission);
            self.index = index;
            return;
        }
        #[cfg(target_arch = "wasm32")]
        let _ = instances;
        self.rebuild_access();
    }

    /// The access entries of `instances` (all with `None`).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn access_of(
        &self,
        instances: Option<&[InstanceId]>,
    ) -> IdMap<InstanceId, IdMap<AccountId, Vec<ShareId>>> {
        match instances {
            Some(only) => only.iter().filter_map(|i| Some((i.clone(), self.index.access.get(i)?.clone()))).collect(),
            None => self.index.access.clone(),
        }
    }

    /// Every access entry: WebAssembly rebuilds them all (see [`State::rebuild_access_of`]).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn access_of(&self, _: Option<&[InstanceId]>) -> IdMap<InstanceId, IdMap<AccountId, Vec<ShareId>>> {
        self.index.access.clone()
    }

    fn index_directory(&self, index: &mut Index) {
        let Some(dir) = &self.directory else { return };
        for f in dir.folders.values() {
            if let Some(p) = &f.parent {
                index.children.entry(p.clone()).or_default().insert(f.id.clone());
            }
        }
        for m in dir.members.values() {
            index.folder_members.entry(m.folder.clone()).or_default().insert(m.account.clone());
        }
    }

    fn index_names(&self, index: &mut Index) {
        for a in self.aliases.values() {
            index_alias(index, self, a, true);
        }
        // A large state's keys are most of it: natively each instance's key set and its
        // creators' counts are built once from its keys in id order (the order `keys`
        // iterates in), not key by key; the keys come before the secrets so that the
        // counts start empty and the secrets add theirs. Not in WebAssembly, whose
        // module's size is budgeted: there key by key (the same index).
        if cfg!(target_arch = "wasm32") {
            for k in self.keys.values() {
                index_key(index, k, true);
            }
        } else {
            // Each key's id and creator are copied as the keys are read in order: the
            // keys of one instance are spread over the whole map, and reading them
            // again per instance (a sort compared creators through each key) was a
            // likely cache miss per comparison.
            let mut by_instance: IdMap<InstanceId, (Vec<KeyId>, Vec<AccountId>)> = IdMap::new();
            for k in self.keys.values() {
                let (ids, creators) = by_instance.entry(k.instance.clone()).or_default();
                ids.push(k.id.clone());
                creators.push(k.creator.clone());
                schedule_key(index, k);
            }
            for (instance, (ids, creators)) in by_instance {
                index.owned.insert(instance.clone(), creator_counts(creators));
                index.instance_keys.insert(instance, ids.into_iter().collect());
            }
        }
        for (arn, s) in &self.secrets {
            index_secret(index, arn, s, true);
            if let Some(t) = s.delete_at {
                schedule_in(index, t, Due::DeleteSecret(arn.clone()));
            }
        }
    }

    /// Add a new key to the indexes.
    pub(crate) fn index_key(&mut self, k: &Key) {
        index_key(&mut self.index, k, true);
    }

    /// Remove a key from the indexes.
    pub(crate) fn unindex_key(&mut self, k: &Key) {
        index_key(&mut self.index, k, false);
    }

    /// Drop a scheduled item.
    pub(crate) fn unschedule(&mut self, item: &Due) {
        unschedule_in(&mut self.index, |d| d == item);
    }

    /// Schedule an item.
    pub(crate) fn schedule(&mut self, at: Timestamp, item: Due) {
        schedule_in(&mut self.index, at, item);
    }

    /// Take the first scheduled item if it falls due at or before `now`.
    pub(crate) fn take_due(&mut self, now: Timestamp) -> Option<(Timestamp, Due)> {
        let (key, (when, _)) = self.index.due.iter().next()?;
        if *when > now {
            return None;
        }
        let key = key.clone();
        self.index.due.remove(&key)
    }

    /// The member accounts a principal resolves to now, in join order (RS-2).
    pub fn resolve_principal(&self, p: &Principal) -> Vec<AccountId> {
        resolve(self, &self.index, p)
    }

    /// The access part of the index, and the admission order it rests on (KI-3, KI-4).
    ///
    /// An account is reachable from an instance when an `Associated` principal of an
    /// `Active` share that holds the instance (`Associated`) resolves to it, and it is
    /// not the owner. Reachable accounts keep their place in [`State::admission`];
    /// newly reachable ones join its end, several at once in the order the shares were
    /// created, then the order their principals were associated, then the members'
    /// join order. The first `quota − VPCs` of the order are admitted; the rest wait
    /// (`overQuotaAccounts`) until room appears. Returns each instance's accounts in that
    /// order: the state's next `admission`.
    #[cfg(not(target_arch = "wasm32"))]
    fn index_access(&self, index: &mut Index) -> IdMap<InstanceId, Vec<AccountId>> {
        self.index_access_of(index, None)
    }

    /// [`State::index_access`] of the instances in `only` (all with `None`), into an
    /// index that holds no access entry for them; returns their next `admission`.
    #[cfg(not(target_arch = "wasm32"))]
    fn index_access_of(
        &self,
        index: &mut Index,
        only: Option<&IdSet<InstanceId>>,
    ) -> IdMap<InstanceId, Vec<AccountId>> {
        for share in self.shares.values() {
            for inst in share.resources.keys() {
                index.instance_shares.entry(inst.clone()).or_default().push(share.id.clone());
            }
        }
        let (routes, mut found) = self.routes(index, only);
        let mut admission = IdMap::new();
        for (inst_id, reach) in routes {
            let Some(inst) = self.instances.get(&inst_id) else { continue };
            let mut order = self.kept_order(&inst_id, &reach);
            let placed = sorted_set(&order);
            order.extend(found.remove(&inst_id).unwrap_or_default().into_iter().filter(|a| !placed.contains(a)));
            let room = (inst.quota as usize).saturating_sub(inst.vpcs.len());
            // Each set built at once from its members sorted: a share with the whole
            // directory reaches every account, and inserting them one by one in admission
            // order searched and grew the sets at each.
            let (admitted, waiting) = order.split_at(room.min(order.len()));
            let admitted = sorted_set(admitted);
            let access: IdMap<AccountId, Vec<ShareId>> =
                reach.into_iter().filter(|(a, _)| admitted.contains(a)).collect();
            if !access.is_empty() {
                index.access.insert(inst_id.clone(), access);
            }
            if !admitted.is_empty() {
                index.admitted.insert(inst_id.clone(), admitted);
            }
            if !waiting.is_empty() {
                index.over_quota.insert(inst_id.clone(), sorted_set(waiting));
            }
            admission.insert(inst_id, order);
        }
        let previous = core::mem::take(&mut index.reach);
        index.reach = Reach::of(self, index, previous, only.is_some());
        admission
    }

    /// The accounts of `instance`'s admission order that `reach` still holds, in that
    /// order. INVARIANT: the places of accounts still reachable are kept; an account that
    /// stopped being reachable loses its place and joins the end if it is reached again.
    fn kept_order(&self, instance: &InstanceId, reach: &IdMap<AccountId, Vec<ShareId>>) -> Vec<AccountId> {
        let order = self.admission.get(instance).map(Vec::as_slice).unwrap_or_default();
        order.iter().filter(|a| reach.contains_key(*a)).cloned().collect()
    }

    /// [`State::index_access`] as WebAssembly builds it (the code the whole-engine
    /// module's size ceiling was measured with): the same index, each reached account
    /// inserted into the instance's maps in turn.
    #[cfg(target_arch = "wasm32")]
    fn index_access(&self, index: &mut Index) -> IdMap<InstanceId, Vec<AccountId>> {
        for share in self.shares.values() {
            for inst in share.resources.keys() {
                index.instance_shares.entry(inst.clone()).or_default().push(share.id.clone());
            }
        }
        // instance -> account -> the shares through which it is reachable, and per
        // instance the accounts in the order they were found.
        let mut routes: IdMap<InstanceId, IdMap<AccountId, Vec<ShareId>>> = IdMap::new();
        let mut found: IdMap<InstanceId, Vec<AccountId>> = IdMap::new();
        let mut shares: Vec<&Share> = self.shares.values().filter(|s| s.state == ShareState::Active).collect();
        crate::idmap::sort_by_seq(&mut shares, |s| s.seq);
        for share in shares {
            let mut principals: Vec<(&Principal, &Association)> =
                share.principals.iter().filter(|(_, a)| a.state == AssociationState::Associated).collect();
            crate::idmap::sort_by_seq(&mut principals, |(_, a)| a.seq);
            for (inst_id, ra) in &share.resources {
                if ra.state != AssociationState::Associated {
                    continue;
                }
                let Some(inst) = self.instances.get(inst_id) else { continue };
                let reach = routes.entry(inst_id.clone()).or_default();
                for (p, _) in &principals {
                    for acct in resolve(self, index, p) {
                        if acct == inst.owner {
                            continue;
                        }
                        match reach.get_mut(&acct) {
                            Some(via) if via.contains(&share.id) => {}
                            Some(via) => via.push(share.id.clone()),
                            None => {
                                reach.insert(acct.clone(), alloc::vec![share.id.clone()]);
                                found.entry(inst_id.clone()).or_default().push(acct);
                            }
                        }
                    }
                }
            }
        }
        let mut admission = IdMap::new();
        for (inst_id, mut reach) in routes {
            let Some(inst) = self.instances.get(&inst_id) else { continue };
            let mut order = self.kept_order(&inst_id, &reach);
            let placed: IdSet<AccountId> = order.iter().cloned().collect();
            order.extend(found.remove(&inst_id).unwrap_or_default().into_iter().filter(|a| !placed.contains(a)));
            let room = (inst.quota as usize).saturating_sub(inst.vpcs.len());
            for (place, acct) in order.iter().enumerate() {
                if place < room {
                    index.admitted.entry(inst_id.clone()).or_default().insert(acct.clone());
                    if let Some(via) = reach.remove(acct) {
                        index.access.entry(inst_id.clone()).or_default().insert(acct.clone(), via);
                    }
                } else {
                    index.over_quota.entry(inst_id.clone()).or_default().insert(acct.clone());
                }
            }
            admission.insert(inst_id, order);
        }
        #[cfg(feature = "hash-index")]
        {
            let previous = core::mem::take(&mut index.reach);
            index.reach = Reach::of(self, index, previous, false);
        }
        admission
    }

    /// Per instance that an active share names, each account it reaches (not its owner)
    /// with the shares it is reached through, in creation order; and per instance the
    /// accounts in the order they were found: shares in creation order, their principals
    /// in association order, a principal's accounts in membership order (RS-2, RS-3).
    /// With `only`, the instances in it alone.
    ///
    /// Each instance's accounts are listed with the order they were found in and their
    /// share, then sorted once by account: a share with the whole directory reaches every
    /// account, and a map insert per account (a search, and a slot and an index entry to
    /// grow), as WebAssembly's `index_access` still does, was most of an index build's
    /// access part. A share's principals are resolved once, whatever the number of its
    /// instances.
    #[cfg(not(target_arch = "wasm32"))]
    fn routes(&self, index: &Index, only: Option<&IdSet<InstanceId>>) -> Routes {
        let wanted = |i: &InstanceId| only.is_none_or(|o| o.contains(i));
        let mut shares = self.active_shares();
        shares.retain(|s| s.resources.keys().any(wanted));
        // Per instance: (account, when it was found, the share's place in `shares`).
        let mut listed: IdMap<InstanceId, Vec<(AccountId, u32, u32)>> = IdMap::new();
        let mut when: u32 = 0;
        for (place, share) in (0u32..).zip(&shares) {
            let mut accounts: Option<Vec<AccountId>> = None;
            for (inst_id, ra) in &share.resources {
                if ra.state != AssociationState::Associated || !wanted(inst_id) {
                    continue;
                }
                let Some(inst) = self.instances.get(inst_id) else { continue };
                let accounts = accounts.get_or_insert_with(|| {
                    associated_principals(share).into_iter().flat_map(|p| resolve(self, index, p)).collect()
                });
                let list = listed.entry(inst_id.clone()).or_default();
                for acct in accounts.iter().filter(|a| **a != inst.owner) {
                    list.push((acct.clone(), when, place));
                    when = when.saturating_add(1);
                }
            }
        }
        let mut routes = IdMap::new();
        let mut found = IdMap::new();
        for (inst_id, mut list) in listed {
            list.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut reach: Vec<(AccountId, Vec<ShareId>)> = Vec::new();
            let mut first: Vec<(u32, usize)> = Vec::new();
            for (acct, at, place) in list {
                let Some(share) = shares.get(place as usize) else { continue };
                match reach.last_mut() {
                    // An account's entries are in the order found, so its shares come in
                    // creation order, each share's together.
                    Some((last, via)) if *last == acct => {
                        if via.last() != Some(&share.id) {
                            via.push(share.id.clone());
                        }
                    }
                    _ => {
                        first.push((at, reach.len()));
                        reach.push((acct, alloc::vec![share.id.clone()]));
                    }
                }
            }
            first.sort_unstable();
            let order: Vec<AccountId> =
                first.iter().filter_map(|(_, i)| reach.get(*i).map(|(a, _)| a.clone())).collect();
            if !order.is_empty() {
                found.insert(inst_id.clone(), order);
            }
            routes.insert(inst_id, reach.into_iter().collect());
        }
        (routes, found)
    }

    /// The active shares, in creation order.
    #[cfg(not(target_arch = "wasm32"))]
    fn active_shares(&self) -> Vec<&Share> {
        let mut shares: Vec<&Share> = self.shares.values().filter(|s| s.state == ShareState::Active).collect();
        crate::idmap::sort_by_seq(&mut shares, |s| s.seq);
        shares
    }

    /// Used access management quota of an instance: accounts + VPCs (KI-3), with the
    /// admitted and the waiting accounts in their admission order.
    pub fn used_quota(&self, instance: &InstanceId) -> QuotaUsage {
        let order = self.admission.get(instance).map(Vec::as_slice).unwrap_or(&[]);
        let (admitted, waiting): (Vec<&AccountId>, Vec<&AccountId>) =
            order.iter().partition(|a| self.is_admitted(instance, a));
        let accounts = admitted.len() as u32;
        let vpcs = self.instances.get(instance).map(|i| i.vpcs.len()).unwrap_or(0) as u32;
        let quota = self.instances.get(instance).map(|i| i.quota).unwrap_or(0);
        QuotaUsage {
            quota,
            accounts,
            vpcs,
            used: accounts + vpcs,
            admitted_accounts: admitted.into_iter().cloned().collect(),
            over_quota_accounts: waiting.into_iter().cloned().collect(),
        }
    }

    /// The accounts (other than the owner) that count against an instance's quota, in
    /// admission order.
    pub fn admitted_accounts(&self, instance: &InstanceId) -> Vec<AccountId> {
        self.used_quota(instance).admitted_accounts
    }

    /// What an import could not read about `account` (README Semantics 32; index, no scan).
    pub fn gaps_of(&self, account: &AccountId) -> impl Iterator<Item = &Gap> + '_ {
        let at = self.index.gaps.get(account).map(Vec::as_slice).unwrap_or(&[]);
        at.iter().filter_map(|i| usize::try_from(*i).ok().and_then(|i| self.gaps.get(i)))
    }

    /// The Active shares through which `account` reaches `instance` (index, no scan).
    pub fn shares_granting(&self, instance: &InstanceId, account: &AccountId) -> &[ShareId] {
        self.index.access.get(instance).and_then(|m| m.get(account)).map(|v| v.as_slice()).unwrap_or(&[])
    }

    /// Whether an account reaches an instance, each given by its slot in `accounts`
    /// and `instances`, and whether a share permission works there, from [`Reach`]
    /// (with `share`, the share that admits it if only one does); `None` where it cannot
    /// say, and [`State::shares_granting`] and [`State::any_share_permits`] answer.
    pub(crate) fn reached(&self, instance_slot: usize, account_slot: usize, share: bool) -> Option<Reached> {
        self.index.reach.get(self, instance_slot, account_slot, share)
    }

    /// What explains that the account of slot `account_slot` is not admitted to the
    /// instance of slot `instance_slot`, as far as [`Reach`] holds it: whether the
    /// instance is plain (no account left out for want of quota, no deleted share or
    /// failed association naming it), and the account's place in the directory. Each
    /// `None` where the table cannot say: the state answers.
    pub(crate) fn unreached_hints(
        &self,
        instance_slot: usize,
        account_slot: usize,
    ) -> (Option<bool>, Option<Membership>) {
        self.index.reach.hints(self, instance_slot, account_slot)
    }

    /// The record of `account`: read at `slot` (from [`State::account_slot`]) while that
    /// slot still holds it, which spares a search of the accounts, else found by its id.
    pub(crate) fn account_record(&self, account: &AccountId, slot: Option<usize>) -> Option<&Account> {
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        if let Some((_, record)) = slot.and_then(|s| self.accounts.at_slot(s)).filter(|(id, _)| *id == account) {
            return Some(record);
        }
        #[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
        let _ = slot;
        self.accounts.get(account)
    }

    /// The slot of `account` in `accounts` (see [`IdMap::get_at`]): from the table of
    /// [`Reach`] while the accounts keep the layout it was built with (one probe that
    /// compares in place), else from the map. The whole-engine WebAssembly module keeps
    /// no table by slots: there it is `usize::MAX` for a known account.
    #[inline]
    pub(crate) fn account_slot(&self, account: &AccountId) -> Option<usize> {
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        {
            if let Some(t) = self.index.reach.0.as_ref().filter(|t| t.accounts.current(&self.accounts)) {
                match t.account_slots.get(account) {
                    Some(slot) => return Some(slot),
                    // No account added since: none to find in the map either.
                    None if t.accounts.len == self.accounts.len() => return None,
                    None => {}
                }
            }
            self.accounts.get_at(account).map(|(slot, _)| slot)
        }
        #[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
        self.accounts.get(account).map(|_| usize::MAX)
    }

    /// The share of [`Reached::Yes`]'s slot, if that slot still holds it.
    pub(crate) fn reaching_share(&self, slot: u32) -> Option<(&ShareId, &Share)> {
        #[cfg(any(not(target_arch = "wasm32"), feature = "hash-index"))]
        {
            let slot = usize::try_from(slot).ok()?;
            let t = self.index.reach.0.as_ref()?;
            self.shares.at_slot(slot).filter(|_| t.shares.holds(&self.shares, slot))
        }
        #[cfg(all(target_arch = "wasm32", not(feature = "hash-index")))]
        {
            let _ = slot;
            None
        }
    }

    /// Whether any of `shares` carries a working KMS instance permission (RS-4).
    pub(crate) fn any_share_permits(&self, shares: &[ShareId]) -> bool {
        shares
            .iter()
            .any(|s| self.shares.get(s).is_some_and(|s| s.permissions.iter().any(SharePermission::grants_kms_instance)))
    }

    /// The keys of an instance (index, no scan).
    pub fn keys_in<'a>(&'a self, instance: &InstanceId) -> impl Iterator<Item = &'a Key> + 'a {
        self.index.instance_keys.get(instance).into_iter().flatten().filter_map(|id| self.keys.get(id))
    }

    /// The secrets of an instance with their ARNs (index, no scan).
    pub fn secrets_in<'a>(&'a self, instance: &InstanceId) -> impl Iterator<Item = (&'a String, &'a Secret)> + 'a {
        self.index
            .instance_secrets
            .get(instance)
            .into_iter()
            .flatten()
            .filter_map(|arn| self.secrets.get_key_value(arn))
    }

    /// Every share (any state) that names `instance`.
    pub fn shares_naming(&self, instance: &InstanceId) -> impl Iterator<Item = &Share> + '_ {
        self.index.instance_shares.get(instance).into_iter().flatten().filter_map(|id| self.shares.get(id))
    }

    /// True if the account counts against the instance's quota (KI-3).
    pub fn is_admitted(&self, instance: &InstanceId, account: &AccountId) -> bool {
        self.index.admitted.get(instance).is_some_and(|s| s.contains(account))
    }

    /// True if the account was reached by a principal but left out for want of quota.
    pub fn is_over_quota(&self, instance: &InstanceId, account: &AccountId) -> bool {
        self.index.over_quota.get(instance).map(|s| s.contains(account)).unwrap_or(false)
    }

    /// Number of keys and secrets `account` created in `instance` (RS-7).
    pub fn owned_count(&self, instance: &InstanceId, account: &AccountId) -> u32 {
        self.index.owned.get(instance).and_then(|m| m.get(account)).copied().unwrap_or(0)
    }

    /// The accounts that hold `name` of `kind` in `instance`.
    pub(crate) fn name_holders(&self, instance: &InstanceId, kind: NameKind, name: &str) -> Option<&IdSet<AccountId>> {
        let names = match kind {
            NameKind::Alias => &self.index.alias_names,
            NameKind::Secret => &self.index.secret_names,
        };
        names.get(instance).and_then(|m| m.get(name))
    }

    /// What an operation on shares or on the directory's accounts may change, kept to be
    /// put back if the operation is refused. Cloning the whole state for that cost as
    /// much as the organization and its audit trail: at 100,000 accounts, half a second
    /// of every share operation.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            seq: self.seq,
            directory: self.directory.clone(),
            instances: self.instances.clone(),
            shares: self.shares.clone(),
            admission: self.admission.clone(),
        }
    }

    /// Put back what [`State::checkpoint`] kept, and the access parts of the index made
    /// from it (the rest of the state and of the index are what they were: the
    /// operations that take a checkpoint change nothing else; the scenario corpus checks
    /// that a refused step leaves the whole state as it was).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn restore(&mut self, kept: Checkpoint) {
        let Checkpoint { seq, directory, instances, shares, admission } = kept;
        self.seq = seq;
        self.directory = directory;
        self.instances = instances;
        self.shares = shares;
        self.admission = admission;
        self.rebuild_access();
    }

    /// WebAssembly keeps the whole state (the code it had: its module's size is held under
    /// a ceiling), with the same result.
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        self.clone()
    }

    /// See the other [`State::restore`].
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    pub(crate) fn restore(&mut self, kept: Checkpoint) {
        *self = kept;
    }

    /// Next creation-order number.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The aliases naming a key.
    pub fn aliases_of(&self, key: &KeyId) -> Vec<AliasName> {
        self.index
            .key_aliases
            .get(key)
            .map(|arns| arns.iter().filter_map(|a| self.aliases.get(a)).map(|a| a.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The region of an instance.
    pub fn region_of(&self, instance: &InstanceId) -> Option<&Region> {
        self.instances.get(instance).map(|i| &i.region)
    }

    /// The ARN of a key.
    pub fn key_arn(&self, k: &Key) -> String {
        match self.region_of(&k.instance) {
            Some(r) => key_arn(r, &k.creator, &k.id),
            None => format!("acs:kms:*:{}:key/{}", k.creator, k.id),
        }
    }

    /// The state without its audit trail, for "a failed operation changes nothing" checks.
    pub fn without_audit(&self) -> State {
        let mut s = self.clone();
        s.audit = AuditLog::default();
        s
    }

    /// The state's document without its audit trail: two states are the same, audit
    /// trails aside, when these are equal. (Comparing the documents reuses the writer
    /// every host already has, where a derived comparison of every type of the state
    /// would be compiled for this alone.)
    pub fn unaudited_document(&self) -> String {
        serde_json::to_string(&self.without_audit()).unwrap_or_default()
    }
}

/// Quota figures of an instance (KI-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuotaUsage {
    /// The access management quota.
    pub quota: u32,
    /// Distinct accounts the instance is shared with (owner excluded).
    pub accounts: u32,
    /// Attached VPCs.
    pub vpcs: u32,
    /// accounts + vpcs.
    pub used: u32,
    /// The accounts counted, in the order they were admitted (KI-3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admitted_accounts: Vec<AccountId>,
    /// Accounts a principal reaches that wait for room in the quota, in the order they
    /// became reachable: the first is admitted when room appears (KI-4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub over_quota_accounts: Vec<AccountId>,
}

/// How many keys each account created, built at once from the keys' creators sorted.
fn creator_counts(mut creators: Vec<AccountId>) -> IdMap<AccountId, u32> {
    creators.sort_unstable();
    let mut counts: Vec<(AccountId, u32)> = Vec::new();
    for c in creators {
        match counts.last_mut() {
            Some((a, n)) if *a == c => *n += 1,
            _ => counts.push((c, 1)),
        }
    }
    counts.into_iter().collect()
}

/// A set of accounts built at once from its members sorted (repeated ones once).
#[cfg(not(target_arch = "wasm32"))]
fn sorted_set(accounts: &[AccountId]) -> IdSet<AccountId> {
    let mut v = accounts.to_vec();
    v.sort_unstable();
    v.dedup();
    IdSet::of_sorted(v)
}

/// Per instance, the accounts an active share reaches with the shares they are reached
/// through, and the accounts in the order found (see `State::routes`).
#[cfg(not(target_arch = "wasm32"))]
type Routes = (IdMap<InstanceId, IdMap<AccountId, Vec<ShareId>>>, IdMap<InstanceId, Vec<AccountId>>);

/// The principals `share` is associated with, in association order.
#[cfg(not(target_arch = "wasm32"))]
fn associated_principals(share: &Share) -> Vec<&Principal> {
    let mut principals: Vec<(&Principal, &Association)> =
        share.principals.iter().filter(|(_, a)| a.state == AssociationState::Associated).collect();
    crate::idmap::sort_by_seq(&mut principals, |(_, a)| a.seq);
    principals.into_iter().map(|(p, _)| p).collect()
}

fn resolve(state: &State, index: &Index, p: &Principal) -> Vec<AccountId> {
    let Some(dir) = &state.directory else { return Vec::new() };
    let mut out: Vec<&Member> = Vec::new();
    match p {
        Principal::Account(a) => {
            if let Some(m) = dir.members.get(a) {
                out.push(m);
            }
        }
        Principal::Directory(d) => {
            if *d == dir.id {
                out.extend(dir.members.values());
            }
        }
        Principal::Folder(f) => {
            // Walk the sub-tree (RS-2 interpretation: sub-folders included).
            let mut stack: Vec<&FolderId> = Vec::new();
            if dir.folders.contains_key(f) {
                stack.push(f);
            }
            while let Some(cur) = stack.pop() {
                if let Some(ms) = index.folder_members.get(cur) {
                    out.extend(ms.iter().filter_map(|a| dir.members.get(a)));
                }
                if let Some(ch) = index.children.get(cur) {
                    stack.extend(ch.iter());
                }
            }
        }
    }
    // RS-3: only members of the directory's verified enterprise are ever reached.
    out.retain(|m| dir.of_enterprise(state.accounts.get(&m.account)));
    crate::idmap::sort_by_seq(&mut out, |m| m.seq);
    out.into_iter().map(|m| m.account.clone()).collect()
}

/// Does principal `p` cover `account` (walking the account's folder chain, at most
/// the directory's depth)? Enterprise membership is not checked here.
/// Whether `share`'s principal of association `a` may be why an account it covers is not
/// admitted: its association failed (KI-4) or the share is deleted (RS-7). An instance no
/// such principal names is plain ([`ReachTable::plain`]).
pub(crate) fn leaves_out(share: &Share, a: &Association) -> bool {
    a.state == AssociationState::Failed || share.state == ShareState::Deleted
}

pub(crate) fn covers(state: &State, p: &Principal, account: &AccountId) -> bool {
    let Some(dir) = &state.directory else { return false };
    let Some(member) = dir.members.get(account) else { return false };
    match p {
        Principal::Account(a) => a == account,
        Principal::Directory(d) => *d == dir.id,
        Principal::Folder(f) => {
            let mut cur = Some(&member.folder);
            let mut steps = 0;
            while let Some(c) = cur {
                if c == f {
                    return true;
                }
                steps += 1;
                if steps > 64 {
                    return false;
                }
                cur = dir.folders.get(c).and_then(|x| x.parent.as_ref());
            }
            false
        }
    }
}

/// When a key's next automatic rotation falls due, if it has a policy.
pub(crate) fn next_rotation(k: &Key) -> Option<Timestamp> {
    k.rotation_interval?;
    k.next_rotation_at
}

fn index_key(index: &mut Index, k: &Key, add: bool) {
    if add {
        count_owned(&mut index.owned, &k.instance, &k.creator, true);
        index.instance_keys.entry(k.instance.clone()).or_default().insert(k.id.clone());
        schedule_key(index, k);
    } else {
        count_owned(&mut index.owned, &k.instance, &k.creator, false);
        if let Some(set) = index.instance_keys.get_mut(&k.instance) {
            set.remove(&k.id);
            if set.is_empty() {
                index.instance_keys.remove(&k.instance);
            }
        }
        unschedule_in(index, |d| matches!(d, Due::DeleteKey(id) | Due::RotateKey(id) if *id == k.id));
    }
}

/// Schedule what falls due for a key: its deletion, its next rotation.
fn schedule_key(index: &mut Index, k: &Key) {
    if let KeyState::PendingDeletion { delete_at } = k.state {
        schedule_in(index, delete_at, Due::DeleteKey(k.id.clone()));
    }
    if let Some(t) = next_rotation(k) {
        schedule_in(index, t, Due::RotateKey(k.id.clone()));
    }
}

pub(crate) fn index_alias(index: &mut Index, state: &State, a: &Alias, add: bool) {
    let Some(region) = state.region_of(&a.instance) else { return };
    let arn = alias_arn(region, &a.creator, &a.name);
    if add {
        index.alias_arns.entry(a.name.clone()).or_default().insert(arn.clone());
        index.key_aliases.entry(a.key.clone()).or_default().insert(arn);
        add_name(&mut index.alias_names, &a.instance, a.name.as_str(), &a.creator);
    } else {
        remove_from(&mut index.alias_arns, &a.name, &arn);
        remove_from(&mut index.key_aliases, &a.key, &arn);
        remove_name(&mut index.alias_names, &a.instance, a.name.as_str(), &a.creator);
    }
}

pub(crate) fn index_secret(index: &mut Index, arn: &str, s: &Secret, add: bool) {
    if add {
        index.secret_arns.entry(s.name.clone()).or_default().insert(String::from(arn));
        add_name(&mut index.secret_names, &s.instance, s.name.as_str(), &s.creator);
        count_owned(&mut index.owned, &s.instance, &s.creator, true);
        index.instance_secrets.entry(s.instance.clone()).or_default().insert(String::from(arn));
    } else {
        remove_from(&mut index.secret_arns, &s.name, &String::from(arn));
        remove_name(&mut index.secret_names, &s.instance, s.name.as_str(), &s.creator);
        remove_from(&mut index.instance_secrets, &s.instance, &String::from(arn));
        count_owned(&mut index.owned, &s.instance, &s.creator, false);
    }
}

fn remove_from<K: KeyText, V: KeyText>(map: &mut IdMap<K, IdSet<V>>, k: &K, v: &V) {
    if let Some(set) = map.get_mut(k) {
        set.remove(v);
        if set.is_empty() {
            map.remove(k);
        }
    }
}

/// The schedule's key for `item` at `at`: the time in 20 digits, then the item's rank
/// (as `Due`'s variant order) and id, so that text order is (time, item) order.
fn due_key(at: Timestamp, item: &Due) -> String {
    let (rank, id) = match item {
        Due::DeleteKey(id) => ('0', id.as_str()),
        Due::DeleteSecret(arn) => ('1', arn.as_str()),
        Due::RotateKey(id) => ('2', id.as_str()),
    };
    format!("{at:020}{rank}{id}")
}

fn schedule_in(index: &mut Index, at: Timestamp, item: Due) {
    index.due.insert(due_key(at, &item), (at, item));
}

/// Drop every scheduled item for which `drop` is true.
fn unschedule_in(index: &mut Index, mut drop: impl FnMut(&Due) -> bool) {
    let gone: Vec<String> = index.due.iter().filter(|(_, (_, d))| drop(d)).map(|(k, _)| k.clone()).collect();
    for k in gone {
        index.due.remove(&k);
    }
}

/// Count one key or secret more (`add`) or less for `account` in `instance` (RS-7);
/// a count that reaches zero leaves the index.
fn count_owned(
    owned: &mut IdMap<InstanceId, IdMap<AccountId, u32>>,
    instance: &InstanceId,
    account: &AccountId,
    add: bool,
) {
    if add {
        *owned.entry(instance.clone()).or_default().entry(account.clone()).or_default() += 1;
        return;
    }
    let Some(counts) = owned.get_mut(instance) else { return };
    if let Some(n) = counts.get_mut(account) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(account);
        }
    }
    if counts.is_empty() {
        owned.remove(instance);
    }
}

/// Record that `account` holds `name` in `instance` (SM-3).
fn add_name(
    names: &mut IdMap<InstanceId, IdMap<String, IdSet<AccountId>>>,
    instance: &InstanceId,
    name: &str,
    account: &AccountId,
) {
    names.entry(instance.clone()).or_default().entry(String::from(name)).or_default().insert(account.clone());
}

/// Forget that `account` holds `name` in `instance`; empty sets and maps leave the index.
fn remove_name(
    names: &mut IdMap<InstanceId, IdMap<String, IdSet<AccountId>>>,
    instance: &InstanceId,
    name: &str,
    account: &AccountId,
) {
    let Some(by_name) = names.get_mut(instance) else { return };
    if let Some(holders) = by_name.get_mut(name) {
        holders.remove(account);
        if holders.is_empty() {
            by_name.remove(name);
        }
    }
    if by_name.is_empty() {
        names.remove(instance);
    }
}

impl crate::json::ToValue for QuotaUsage {
    fn to_value(&self) -> serde_json::Value {
        // Written as serde writes it: the lists only when not empty.
        let list = |v: &Vec<AccountId>| if v.is_empty() { serde_json::Value::Null } else { v.to_value() };
        crate::json::fields(&mut [
            ("quota", self.quota.to_value()),
            ("accounts", self.accounts.to_value()),
            ("vpcs", self.vpcs.to_value()),
            ("used", self.used.to_value()),
            ("admittedAccounts", list(&self.admitted_accounts)),
            ("overQuotaAccounts", list(&self.over_quota_accounts)),
        ])
    }
}

/// The state's fields as written, in order.
const STATE_FIELDS: &[&str] = &[
    "accounts",
    "directory",
    "instances",
    "shares",
    "keys",
    "aliases",
    "secrets",
    "accessPoints",
    "backups",
    "ram",
    "audit",
    "seq",
    "admission",
    "gaps",
];

/// A map of records, read as `M` reads them.
struct Records<M, K, V>(core::marker::PhantomData<(M, K, V)>);

impl<'de, M: Mode, K: crate::request::Text + crate::idmap::KeyText, V: crate::json::Readable>
    serde::de::DeserializeSeed<'de> for Records<M, K, V>
{
    type Value = IdMap<K, V>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> core::result::Result<Self::Value, D::Error> {
        M::records(d)
    }
}

/// Read field by field into a default state, each field at most once and all optional
/// (an older export lacks the newer ones): smaller than serde's derived reader, which
/// holds every field aside until the end.
struct Fields<M>(core::marker::PhantomData<M>);

impl<'de, M: Mode> serde::de::Visitor<'de> for Fields<M> {
    type Value = State;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("struct State")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> core::result::Result<State, A::Error> {
        use serde::de::Error as _;
        let mut st = State::default();
        let mut seen = 0u32;
        while let Some(key) = a.next_key::<String>()? {
            let i = STATE_FIELDS
                .iter()
                .position(|f| *f == key)
                .ok_or_else(|| A::Error::unknown_field(&key, STATE_FIELDS))?;
            if seen & (1 << i) != 0 {
                return Err(A::Error::custom(alloc::format!("duplicate field `{key}`")));
            }
            seen |= 1 << i;
            match i {
                0 => st.accounts = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                1 => st.directory = M::value(&mut a)?,
                2 => st.instances = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                3 => st.shares = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                4 => st.keys = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                5 => st.aliases = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                6 => st.secrets = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                7 => st.access_points = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                8 => st.backups = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                9 => st.ram = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                10 => st.audit = a.next_value()?,
                11 => st.seq = a.next_value()?,
                12 => st.admission = a.next_value_seed(Records::<M, _, _>(core::marker::PhantomData))?,
                _ => st.gaps = a.next_value()?,
            }
        }
        Ok(st)
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_map(Fields::<crate::json::ViaValue>(core::marker::PhantomData))
    }
}

impl State {
    /// Read a state document (`state()`, the policy export), its structs from objects
    /// only ([`crate::objects::from_str`]). Natively it is read straight from the text
    /// first ([`crate::fastjson`]); what is accepted, and every message, are those of the
    /// `Value` readers.
    ///
    /// # Errors
    /// serde_json's error for bad JSON or a document that is not a state.
    pub fn from_text(text: &str) -> serde_json::Result<State> {
        let slow = |t: &str| crate::objects::from_str::<State>(t);
        #[cfg(not(target_arch = "wasm32"))]
        return crate::fastjson::read(text, |t| crate::objects::from_str::<FastState>(t).map(|s| s.0), slow);
        #[cfg(target_arch = "wasm32")]
        slow(text)
    }
}

/// A state read natively straight from its text: only through [`State::from_text`].
#[cfg(not(target_arch = "wasm32"))]
struct FastState(State);

#[cfg(not(target_arch = "wasm32"))]
impl<'de> Deserialize<'de> for FastState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_map(Fields::<crate::fastjson::Direct>(core::marker::PhantomData)).map(FastState)
    }
}

/// A state read as `M` reads it (a snapshot body's `state`).
pub(crate) struct StateSeed<M>(pub core::marker::PhantomData<M>);

impl<'de, M: Mode> serde::de::DeserializeSeed<'de> for StateSeed<M> {
    type Value = State;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> core::result::Result<State, D::Error> {
        d.deserialize_map(Fields::<M>(core::marker::PhantomData))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// The index every call keeps up to date is the one [`State::rebuild_index`] builds
    /// from the data (what a load builds): after each scenario of the corpus, which
    /// between them create, delete, rotate, share and import every kind of record.
    #[test]
    fn the_index_calls_keep_is_the_index_a_load_builds() {
        for (f, org) in corpus_orgs() {
            let kept = &org.state().index;
            let mut rebuilt = org.state().clone();
            rebuilt.rebuild_index();
            assert!(rebuilt.index == *kept, "{}: {:#?}\nrebuilt: {:#?}", f.display(), kept, rebuilt.index);
        }
    }

    /// Every organization of the corpus through a version 3 snapshot (its keys in the
    /// key table, CR-5): the same state, the same key material (what is unavailable stays
    /// so, and saving what was loaded under the same root writes the same body, every
    /// sealed entry as loaded), and the same as through version 2.
    #[test]
    fn every_corpus_organization_round_trips_through_a_version_3_snapshot_cr5() {
        let root = [5u8; 32];
        let body = |snap: &str| {
            let at = snap.find("\"body\":").unwrap();
            let end = snap.rfind(",\"tag\":").unwrap();
            alloc::string::String::from(&snap[at..end])
        };
        let mut tables = 0;
        for (f, mut org) in corpus_orgs() {
            let v3 = org.save_sealed(&root).unwrap();
            assert!(v3.starts_with("{\"format\":\"kms-share-snapshot\",\"version\":3,"), "{}", f.display());
            tables += usize::from(!org.state().keys.is_empty());
            let rng = || alloc::boxed::Box::new(crate::crypto::SeededRng::new(11));
            let mut back = crate::api::Organization::load_sealed(&v3, &root, rng()).unwrap();
            assert!(back.state() == org.state(), "{}", f.display());
            assert_eq!(back.engine().unavailable_keys(), org.engine().unavailable_keys(), "{}", f.display());
            assert_eq!(body(&back.save_sealed(&root).unwrap()), body(&v3), "{}", f.display());
            let v2 = crate::api::Organization::load_sealed(&org.save_sealed_as(&root, 2).unwrap(), &root, rng());
            assert!(v2.unwrap().state() == back.state(), "{}", f.display());
        }
        assert!(tables >= 40, "{tables} organizations with keys");
    }

    /// What [`Reach`] says of every instance and account of `st`, where it says
    /// anything: `access` as it is, the share permission from the shares, and the one
    /// share that admits an account where the table still names it (RS-2, RS-4). The
    /// number of pairs answered, and of shares named.
    fn check_reach(st: &State, what: &str) -> (usize, usize) {
        let (mut answered, mut named) = (0, 0);
        for instance in st.instances.keys() {
            let Some((i_slot, _)) = st.instances.get_at(instance) else { panic!("{what}: {instance}") };
            for account in st.accounts.keys() {
                let Some((a_slot, _)) = st.accounts.get_at(account) else { panic!("{what}: {account}") };
                let at = alloc::format!("{what}: {instance} {account}");
                assert_eq!(st.account_slot(account), Some(a_slot), "{at}");
                let Some(r) = st.reached(i_slot, a_slot, true) else { continue };
                let via = st.shares_granting(instance, account);
                match r {
                    Reached::No => assert!(via.is_empty(), "{at}"),
                    Reached::Yes { lacks_permission, share } => {
                        assert!(!via.is_empty(), "{at}");
                        assert_eq!(lacks_permission, !st.any_share_permits(via), "{at}");
                        assert_eq!(share.is_some(), via.len() == 1, "{at}");
                        let share = share.and_then(|slot| st.reaching_share(slot)).map(|(id, _)| id);
                        if let Some(id) = share {
                            assert_eq!(Some(id), via.first(), "{at}");
                            named += 1;
                        }
                        let flag = st.reached(i_slot, a_slot, false);
                        assert_eq!(flag, Some(Reached::Yes { lacks_permission, share: None }), "{at}");
                    }
                }
                answered += 1;
            }
        }
        let stranger = AccountId::parse("1999999999999999").unwrap();
        assert_eq!(st.account_slot(&stranger), st.accounts.get_at(&stranger).map(|(slot, _)| slot), "{what}");
        (answered, named)
    }

    /// The slots' table answers for every account and instance as `access` does (after
    /// the calls of each scenario of the corpus, and as a load builds it), also once
    /// slots no longer follow the ids' order (an account removed moves the last one into
    /// its slot); and says nothing once a slot may hold another entry than when it was
    /// built (a removal), which `access` answers, nor for an entry added since.
    #[test]
    fn the_slots_table_answers_as_access_does_rs2() {
        let (mut reached, mut named) = (0, 0);
        for (f, org) in corpus_orgs() {
            let what = alloc::format!("{}", f.display());
            // As the calls left it (accounts registered since the last change of access
            // have slots past the table), then as a load builds it: every pair answered.
            check_reach(org.state(), &what);
            let mut st = org.state().clone();
            st.rebuild_index();
            let pairs = |st: &State| st.instances.len() * st.accounts.len();
            let singles = st.index.access.values().flat_map(|m| m.values()).filter(|via| via.len() == 1).count();
            assert_eq!(check_reach(&st, &what), (pairs(&st), singles), "{what}: every pair is answered");
            reached += st.index.access.values().map(IdMap::len).sum::<usize>();
            named += singles;
            // A share removed: the last one moves into its slot, and the table names no
            // share by its slot.
            let first = st.shares.keys_by_slot().next().cloned().filter(|_| st.shares.len() > 1);
            if let Some(first) = first {
                let share = st.shares.remove(&first).unwrap();
                for slot in 0..=st.shares.len() as u32 {
                    assert!(st.reaching_share(slot).is_none(), "{what}: {first} removed, slot {slot}");
                }
                st.shares.insert(first, share);
                st.rebuild_index();
            }
            let Some(first) = st.accounts.keys_by_slot().next().cloned() else { continue };
            let account = st.accounts.remove(&first).unwrap();
            // Not rebuilt: the last account's slot is now the first's, so the table
            // answers for no account, and `access` answers.
            assert_eq!(check_reach(&st, &what).0, 0, "{what}: {first} removed");
            st.rebuild_index();
            assert_eq!(check_reach(&st, &what).0, pairs(&st), "{what}: rebuilt");
            // Added back, not rebuilt: past the table.
            st.accounts.insert(first.clone(), account);
            let (slot, _) = st.accounts.get_at(&first).unwrap();
            assert_eq!(check_reach(&st, &what).0, st.instances.len() * (st.accounts.len() - 1), "{what}: added");
            for instance in st.instances.keys() {
                let (i_slot, _) = st.instances.get_at(instance).unwrap();
                assert_eq!(st.reached(i_slot, slot, true), None, "{what}: {first} added back");
            }
        }
        assert!(named > 100, "the corpus names {named} shares by slot");
        assert!(reached > 100, "the corpus reaches {reached} accounts");
    }

    /// The ways an organization is loaded leave a table that answers for every pair: a
    /// copied map has a layout of its own ([`IdMap::layout`]), so a state copied after its
    /// index was built would silently answer every decision from `access` instead.
    #[test]
    fn a_loaded_organization_answers_every_pair_from_its_table() {
        let rng = || alloc::boxed::Box::new(crate::crypto::SeededRng::new(3));
        for (f, mut org) in corpus_orgs().into_iter().step_by(4) {
            let what = alloc::format!("{}", f.display());
            let pairs = |st: &State| st.instances.len() * st.accounts.len();
            let text = serde_json::to_string(org.state()).unwrap();
            let doc = crate::api::Organization::from_document(&text, rng()).unwrap();
            assert_eq!(check_reach(doc.state(), &what).0, pairs(doc.state()), "{what}: from its document");
            let mut export = crate::api::Organization::new(None, rng(), None).unwrap();
            export.load_state(org.policy_export());
            assert_eq!(check_reach(export.state(), &what).0, pairs(export.state()), "{what}: its policy export");
            let root = [7u8; 32];
            let sealed = org.save_sealed(&root).unwrap();
            let back = crate::api::Organization::load_sealed(&sealed, &root, rng()).unwrap();
            assert_eq!(check_reach(back.state(), &what).0, pairs(back.state()), "{what}: sealed and loaded");
            // A copy's table says nothing until the copy's index is rebuilt.
            let mut copy = back.state().clone();
            if pairs(&copy) > 0 {
                assert_eq!(check_reach(&copy, &what).0, 0, "{what}: a copy");
            }
            copy.rebuild_index();
            assert_eq!(check_reach(&copy, &what).0, pairs(&copy), "{what}: a copy rebuilt");
        }
    }

    /// What [`RamRules`] says of every identity of every account of `st` it has an entry
    /// for (and of one the account lacks), for every action on keys and secrets of the
    /// account and of another: what `ram` says. The number of accounts answered.
    fn check_rules(st: &State, what: &str) -> usize {
        let mut answered = 0;
        let none = crate::policy::Context::new();
        let empty = RamAccount::default();
        for (slot, account) in st.accounts.keys_by_slot().enumerate() {
            let Some(rules) = st.ram_rules(slot, account) else { continue };
            answered += 1;
            let ram = st.ram.get(account).unwrap_or(&empty);
            let nobody = RamName::parse("nobody").unwrap();
            let users = ram.users.keys().chain([&nobody]).map(|n| (false, n));
            let resources = [
                alloc::format!("acs:kms:cn-hangzhou:{account}:key/key-1"),
                alloc::format!("acs:kms:cn-hangzhou:{account}:secret/db"),
                "acs:kms:cn-shanghai:1000000000000001:key/key-2".into(),
            ];
            for (role, name) in users.chain(ram.roles.keys().chain([&nobody]).map(|n| (true, n))) {
                let attached = if role { ram.roles.get(name) } else { ram.users.get(name) };
                for spec in crate::action::SPECS {
                    for resource in &resources {
                        let req = crate::policy::Request::of(spec.action, resource, &none);
                        let want = attached.map(|a| {
                            let policies = a.iter().filter_map(|p| Some((p.as_str(), ram.policies.get(p)?)));
                            crate::policy::deciding(policies, &req)
                        });
                        let got = rules.deciding(role, name, spec.action, resource, &none);
                        assert_eq!(got, want, "{what}: {account} {name} (role {role}) {} on {resource}", spec.ram);
                    }
                }
            }
        }
        answered
    }

    /// Each account's RAM as decisions read it ([`RamRules`]) says what `ram` says (the
    /// deciding statement), as the calls left it (their operations lay out the RAM they
    /// change) and as a load builds it; an account moved into another's slot is not
    /// answered (RAM-2).
    #[test]
    fn the_laid_out_ram_answers_as_ram_does_ram2() {
        let (mut with_ram, mut answered) = (0, 0);
        for (f, org) in corpus_orgs() {
            let what = alloc::format!("{}", f.display());
            check_rules(org.state(), &what);
            let mut st = org.state().clone();
            st.rebuild_index();
            assert_eq!(check_rules(&st, &what), st.accounts.len(), "{what}: every account is answered");
            with_ram += st.ram.values().filter(|r| !r.users.is_empty() || !r.roles.is_empty()).count();
            answered += st.accounts.len();
            let Some(first) = st.accounts.keys_by_slot().next().cloned() else { continue };
            st.accounts.remove(&first);
            // Not rebuilt: the last account's slot is now the first's, whose entry is not
            // the moved account's.
            if let Some(moved) = st.accounts.keys_by_slot().next() {
                assert!(st.ram_rules(0, moved).is_none(), "{what}: {moved} moved into {first}'s slot");
            }
            let moved_too = usize::from(!st.accounts.is_empty());
            assert_eq!(check_rules(&st, &what), st.accounts.len() - moved_too, "{what}: all but the moved account");
        }
        assert!(with_ram > 15 && answered > with_ram, "{with_ram} accounts with RAM of {answered}");
    }

    /// The index built on two threads is the index built on one, for every organization
    /// of the corpus: the same parts, admission order and RAM layout.
    #[test]
    fn an_index_built_on_two_threads_is_the_one_built_on_one() {
        for (f, org) in corpus_orgs() {
            let what = alloc::format!("{}", f.display());
            let (mut one, mut two) = (org.state().clone(), org.state().clone());
            one.rebuild_index_with(false);
            two.rebuild_index_with(true);
            // The operations keep the index as a rebuild makes it.
            assert!(one.index == org.state().index && two.index == one.index, "{what}");
            assert!(two.admission == one.admission, "{what}");
            assert_eq!(check_rules(&two, &what), two.accounts.len(), "{what}: every account is answered");
        }
    }

    /// The organization each scenario of the corpus ends with (between them they create,
    /// delete, rotate, share and import every kind of record).
    fn corpus_orgs() -> Vec<(std::path::PathBuf, crate::api::Organization)> {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
        files.retain(|p| p.extension().is_some_and(|x| x == "json"));
        files.sort();
        assert!(files.len() >= 80, "{} scenarios", files.len());
        files
            .into_iter()
            .map(|f| {
                let text = std::fs::read_to_string(&f).unwrap();
                let Ok((org, _)) = crate::api::Organization::from_scenario(
                    &text,
                    alloc::boxed::Box::new(crate::crypto::SeededRng::new(7)),
                ) else {
                    panic!("{}", f.display())
                };
                (f, org)
            })
            .collect()
    }

    /// The state document of every scenario of the corpus, as `state()` writes it.
    fn corpus_states() -> Vec<(std::path::PathBuf, String)> {
        corpus_orgs().into_iter().map(|(f, org)| (f, serde_json::to_string(org.state()).unwrap())).collect()
    }

    /// What `State::from_text` answers is what the `Value` readers answer, the state or
    /// the message.
    fn same_as_value_readers(text: &str) -> core::result::Result<State, String> {
        use alloc::string::ToString as _;
        let by_value = crate::objects::from_str::<State>(text).map_err(|e| e.to_string());
        let got = State::from_text(text).map_err(|e| e.to_string());
        assert_eq!(got, by_value, "{text}");
        got
    }

    /// The direct reader (`fastjson`) reads every state the engine writes, itself (a
    /// state it gave up on would load, only at the `Value` readers' speed), into the
    /// state the `Value` readers read.
    #[test]
    fn fast_and_value_readers_agree_on_every_corpus_state() {
        for (f, text) in corpus_states() {
            let fast = crate::objects::from_str::<FastState>(&text).map(|s| s.0);
            let Ok(fast) = fast else { panic!("{}: {:?}", f.display(), fast.err()) };
            let by_value = crate::objects::from_str::<State>(&text).unwrap();
            assert!(fast == by_value, "{}", f.display());
            assert_eq!(serde_json::to_string(&fast).unwrap(), text, "{}", f.display());
        }
    }

    /// Documents the direct reader refuses or must not read differently: each answer
    /// (state or message) is the `Value` readers'.
    #[test]
    fn fast_and_value_readers_agree_on_edge_documents() {
        let key = |extra: &str| {
            format!(
                r#"{{"keys": {{"key-1": {{"id": "key-1", "instance": "kst-1", "creator": "1000000000000001",
                "spec": "Aliyun_AES_256", "state": {{"state": "enabled"}}, "deletionProtection": false,
                "versions": [{{"version": 1, "createdAt": 5, "encryptions": 0, "handle": "sw:key-1/v1"}}],
                "createdAt": 5{extra}}}}}}}"#
            )
        };
        let ok = same_as_value_readers(&key("")).unwrap();
        assert_eq!(ok.keys.len(), 1);
        // Optional fields given as null are absent (CR-1 rotation).
        assert!(
            same_as_value_readers(&key(r#", "rotationInterval": null, "description": "a \"quoted\" \u00e9""#)).is_ok()
        );
        // A map out of key order reads into the same map (the direct reader builds maps
        // given in key order in one pass, others entry by entry).
        let unsorted = same_as_value_readers(&key(r#", "tags": {"b": "1", "a": "2", "c": "3"}"#)).unwrap();
        let tags: Vec<_> =
            unsorted.keys.values().flat_map(|k| k.tags.iter()).map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(tags, ["a=2", "b=1", "c=3"]);
        for (extra, why) in [
            (r#", "createdAt": 6"#, "a repeated field: the last value, as a Value object keeps it"),
            (r#", "colour": "red""#, "an unknown field"),
            (r#", "rotationInterval": -1"#, "a negative number"),
            (r#", "rotationInterval": 1.5"#, "a fraction"),
            (r#", "description": null"#, "null for a field that is not optional"),
            (r#", "tags": {"a": "1", "a": "2"}"#, "a repeated map key"),
            (r#", "\u0074ags": {}"#, "an escaped field name"),
        ] {
            let _ = why;
            same_as_value_readers(&key(extra)).ok();
        }
        for (st, want) in [
            (r#"{"state": "disabled"}"#, KeyState::Disabled),
            (r#"{"state": "pendingDeletion", "deleteAt": 7}"#, KeyState::PendingDeletion { delete_at: 7 }),
            (r#"{"deleteAt": 7, "state": "pendingDeletion"}"#, KeyState::PendingDeletion { delete_at: 7 }),
        ] {
            let text = key("").replace(r#"{"state": "enabled"}"#, st);
            let read = same_as_value_readers(&text).unwrap();
            assert_eq!(read.keys.values().next().map(|k| k.state), Some(want), "{st}");
        }
        let states = [
            r#"{"state": "enabled", "deleteAt": 7}"#,
            r#"{"state": "pendingDeletion"}"#,
            r#"{"state": "pendingDeletion", "deleteAt": 7}"#,
            r#"{"state": "pending\u0044eletion", "deleteAt": 7}"#,
            r#"{"state": "gone"}"#,
            r#"{"state": "enabled", "state": "disabled"}"#,
            r#"{"state": "enabled", "deleteAt": null}"#,
            r#""enabled""#,
        ];
        for st in states {
            let text = key("").replace(r#"{"state": "enabled"}"#, st);
            same_as_value_readers(&text).ok();
        }
        for text in [
            "{}",
            "[]",
            r#"{"keys": []}"#,
            r#"{"keys": {"bad id": {}}}"#,
            r#"{"accounts": {"1": {"id": "1"}}}"#,
            r#"{"seq": 3, "seq": 4}"#,
            r#"{"keys": {}} trailing"#,
        ] {
            same_as_value_readers(text).ok();
        }
    }

    /// Both readers give the same answer on damaged copies of real states: bytes
    /// dropped, changed or repeated, anywhere.
    #[test]
    fn fast_and_value_readers_agree_on_damaged_states() {
        let mut rng = crate::crypto::SeededRng::new(11);
        let mut next = |n: usize| {
            let mut b = [0u8; 8];
            crate::crypto::RandomSource::fill(&mut rng, &mut b).unwrap();
            usize::try_from(u64::from_le_bytes(b) % u64::try_from(n.max(1)).unwrap()).unwrap()
        };
        let states = corpus_states();
        let (mut accepted, mut refused) = (0, 0);
        for round in 0..3000 {
            let (_, text) = &states[round % states.len()];
            let mut bytes = text.clone().into_bytes();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len());
                match next(3) {
                    0 => {
                        bytes.remove(at);
                    }
                    1 => bytes[at] = b"{}[],:\"0-9.eaunlt \\"[next(b"{}[],:\"0-9.eaunlt \\".len())],
                    _ => {
                        let b = bytes[at];
                        bytes.insert(at, b);
                    }
                }
            }
            let Ok(damaged) = String::from_utf8(bytes) else { continue };
            match same_as_value_readers(&damaged) {
                Ok(_) => accepted += 1,
                Err(_) => refused += 1,
            }
        }
        // Both kinds of answer were compared.
        assert!(accepted > 100 && refused > 100, "{accepted} accepted, {refused} refused");
    }

    /// The schedule's text keys order items as (time, item) tuples do, the order the
    /// schedule had as a `BTreeSet<(Timestamp, Due)>` (CR-1 rotation, CR-3/CR-4 deletion).
    #[test]
    fn due_keys_sort_as_time_then_item() {
        let key = |s: &str| KeyId::parse(s).unwrap();
        let mut items = Vec::new();
        for at in [0, 9, 10, 1_767_225_600_000, u64::MAX] {
            for k in ["key-a", "key-ab", "key-b"] {
                items.push((at, Due::DeleteKey(key(k))));
                items.push((at, Due::RotateKey(key(k))));
            }
            for arn in ["acs:kms:cn-hangzhou:1:secret/a", "acs:kms:cn-hangzhou:1:secret/a-b"] {
                items.push((at, Due::DeleteSecret(arn.into())));
            }
        }
        let mut by_tuple = items.clone();
        by_tuple.sort();
        let mut by_text = items;
        by_text.sort_by_key(|(at, d)| due_key(*at, d));
        assert_eq!(by_text, by_tuple);
    }
}
