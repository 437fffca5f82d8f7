//! The action table: one row per call the engine answers, naming its product, the
//! vendor's action name, the RAM action a policy grants, what kind of call it is and
//! whether it changes the state. An [`Action`] is parsed once, at the edge, from a
//! scenario's or a host's text; from then on dispatch, decisions, the permission
//! matrix, the audit trail and the docs read the row. Each action name is spelled here
//! once (`core/tests/actions.rs` fails on a copy elsewhere in the code).

use serde::{Serialize, Serializer};

/// The vendor product (and API version) an action belongs to, or the simulator's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    /// Key Management Service, API 2016-01-20.
    Kms,
    /// Resource Sharing, API 2020-01-10.
    ResourceSharing,
    /// Resource Manager (the resource directory), API 2020-03-31.
    ResourceManager,
    /// Resource Access Management, API 2015-05-01.
    Ram,
    /// ActionTrail (the audit trail), API 2020-07-06.
    ActionTrail,
    /// The simulator's own calls: what the vendor does in its console or billing (an
    /// account signs up, an instance is bought or upgraded), the queries, and test fixtures.
    Simulator,
}

impl Product {
    /// The product's name, as the vendor's SDK packages spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Product::Kms => "Kms",
            Product::ResourceSharing => "ResourceSharing",
            Product::ResourceManager => "ResourceManager",
            Product::Ram => "Ram",
            Product::ActionTrail => "Actiontrail",
            Product::Simulator => "KmsShare",
        }
    }

    /// The API version requests carry (`Version`, `x-acs-version`).
    pub const fn version(self) -> &'static str {
        match self {
            Product::Kms => "2016-01-20",
            Product::ResourceSharing => "2020-01-10",
            Product::ResourceManager => "2020-03-31",
            Product::Ram => "2015-05-01",
            Product::ActionTrail => "2020-07-06",
            Product::Simulator => "2026-01-01",
        }
    }
}

/// How the engine runs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Decided (AZ-1) and audited (AT-1); may change the state.
    Call,
    /// A question about the state (explain, who can, what if, the audit trail): changes
    /// nothing, is neither decided nor audited.
    Query,
    /// An account signing up to the simulation: decided as the account acting for itself,
    /// not audited (there is no account yet whose trail would hold it).
    SignUp,
    /// A test fixture (editing the audit trail, sealing and reloading): decided and
    /// audited, but run only from a scenario document, never from a host's call.
    RunnerOnly,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The action.
    pub action: Action,
    /// Its product.
    pub product: Product,
    /// The vendor's action name (the simulator's own name for its own calls).
    pub name: &'static str,
    /// The RAM action a policy grants, `kms:Encrypt`; empty for queries.
    pub ram: &'static str,
    /// How it runs.
    pub kind: Kind,
    /// Whether it changes the state.
    pub mutates: bool,
}

macro_rules! actions {
    ($($product:ident $variant:ident $name:literal $ram:literal $kind:ident $mutates:literal;)*) => {
        /// Every call the engine answers (see [`Spec`] for each one's row).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[allow(missing_docs)]
        pub enum Action {
            $($variant,)*
        }

        /// The table, in the order of [`Action`]'s variants.
        pub const SPECS: &[Spec] = &[
            $(Spec {
                action: Action::$variant,
                product: Product::$product,
                name: $name,
                ram: $ram,
                kind: Kind::$kind,
                mutates: $mutates,
            },)*
        ];
    };
}

actions! {
    // The simulator's own calls.
    Simulator RegisterAccount "RegisterAccount" "" SignUp true;
    Simulator CreateInstance "CreateInstance" "kms:CreateInstance" Call true;
    Simulator GetInstanceQuota "GetInstanceQuota" "kms:GetInstanceQuota" Call false;
    Simulator AttachVpc "AttachVpc" "kms:AttachVpc" Call true;
    Simulator DetachVpc "DetachVpc" "kms:DetachVpc" Call true;
    Simulator UpgradeInstance "UpgradeInstance" "kms:UpgradeInstance" Call true;
    Simulator RenewInstance "RenewInstance" "kms:RenewInstance" Call true;
    Simulator EnableInstance "EnableInstance" "kms:EnableInstance" Call true;
    Simulator DisableInstance "DisableInstance" "kms:DisableInstance" Call true;
    Simulator SetInstanceSharingMode "SetInstanceSharingMode" "kms:SetInstanceSharingMode" Call true;
    Simulator CreateBackup "CreateBackup" "kms:CreateBackup" Call true;
    Simulator GetResourceShare "GetResourceShare" "resourcesharing:GetResourceShare" Call false;
    Simulator Explain "Explain" "" Query false;
    Simulator WhoCan "WhoCan" "" Query false;
    Simulator AccessMatrix "AccessMatrix" "" Query false;
    Simulator WhatIf "WhatIf" "" Query false;
    Simulator VerifyAuditTrail "VerifyAuditTrail" "" Query false;
    Simulator TamperAuditEvent "TamperAuditEvent" "" RunnerOnly true;
    Simulator SealAndReload "SealAndReload" "" RunnerOnly true;
    // The resource directory.
    ResourceManager EnableResourceDirectory "EnableResourceDirectory" "resourcemanager:EnableResourceDirectory" Call true;
    ResourceManager CreateFolder "CreateFolder" "resourcemanager:CreateFolder" Call true;
    ResourceManager CreateResourceAccount "CreateResourceAccount" "resourcemanager:CreateResourceAccount" Call true;
    ResourceManager InviteAccountToResourceDirectory "InviteAccountToResourceDirectory" "resourcemanager:InviteAccountToResourceDirectory" Call true;
    ResourceManager AcceptHandshake "AcceptHandshake" "resourcemanager:AcceptHandshake" Call true;
    ResourceManager DeclineHandshake "DeclineHandshake" "resourcemanager:DeclineHandshake" Call true;
    ResourceManager MoveAccount "MoveAccount" "resourcemanager:MoveAccount" Call true;
    ResourceManager GetResourceDirectory "GetResourceDirectory" "resourcemanager:GetResourceDirectory" Call false;
    ResourceManager ListAccounts "ListAccounts" "resourcemanager:ListAccounts" Call false;
    ResourceManager ListAccountsForParent "ListAccountsForParent" "resourcemanager:ListAccountsForParent" Call false;
    ResourceManager ListFoldersForParent "ListFoldersForParent" "resourcemanager:ListFoldersForParent" Call false;
    ResourceManager GetAccount "GetAccount" "resourcemanager:GetAccount" Call false;
    ResourceManager GetFolder "GetFolder" "resourcemanager:GetFolder" Call false;
    ResourceManager ListHandshakesForResourceDirectory "ListHandshakesForResourceDirectory" "resourcemanager:ListHandshakesForResourceDirectory" Call false;
    // Resource shares.
    ResourceSharing EnableSharingWithResourceDirectory "EnableSharingWithResourceDirectory" "resourcesharing:EnableSharingWithResourceDirectory" Call true;
    ResourceSharing CreateResourceShare "CreateResourceShare" "resourcesharing:CreateResourceShare" Call true;
    ResourceSharing AssociateResourceShare "AssociateResourceShare" "resourcesharing:AssociateResourceShare" Call true;
    ResourceSharing DisassociateResourceShare "DisassociateResourceShare" "resourcesharing:DisassociateResourceShare" Call true;
    ResourceSharing DeleteResourceShare "DeleteResourceShare" "resourcesharing:DeleteResourceShare" Call true;
    ResourceSharing AssociateResourceSharePermission "AssociateResourceSharePermission" "resourcesharing:AssociateResourceSharePermission" Call true;
    ResourceSharing DisassociateResourceSharePermission "DisassociateResourceSharePermission" "resourcesharing:DisassociateResourceSharePermission" Call true;
    ResourceSharing ListResourceShares "ListResourceShares" "resourcesharing:ListResourceShares" Call false;
    ResourceSharing ListResourceShareAssociations "ListResourceShareAssociations" "resourcesharing:ListResourceShareAssociations" Call false;
    ResourceSharing ListSharedResources "ListSharedResources" "resourcesharing:ListSharedResources" Call false;
    ResourceSharing ListSharedTargets "ListSharedTargets" "resourcesharing:ListSharedTargets" Call false;
    ResourceSharing ListResourceSharePermissions "ListResourceSharePermissions" "resourcesharing:ListResourceSharePermissions" Call false;
    ResourceSharing ListPermissions "ListPermissions" "resourcesharing:ListPermissions" Call false;
    // RAM.
    Ram CreateUser "CreateUser" "ram:CreateUser" Call true;
    Ram CreateRole "CreateRole" "ram:CreateRole" Call true;
    Ram CreatePolicy "CreatePolicy" "ram:CreatePolicy" Call true;
    Ram AttachPolicyToUser "AttachPolicyToUser" "ram:AttachPolicyToUser" Call true;
    Ram AttachPolicyToRole "AttachPolicyToRole" "ram:AttachPolicyToRole" Call true;
    Ram DetachPolicyFromUser "DetachPolicyFromUser" "ram:DetachPolicyFromUser" Call true;
    Ram DetachPolicyFromRole "DetachPolicyFromRole" "ram:DetachPolicyFromRole" Call true;
    Ram ListUsers "ListUsers" "ram:ListUsers" Call false;
    Ram ListRoles "ListRoles" "ram:ListRoles" Call false;
    Ram ListPolicies "ListPolicies" "ram:ListPolicies" Call false;
    Ram GetPolicy "GetPolicy" "ram:GetPolicy" Call false;
    Ram GetPolicyVersion "GetPolicyVersion" "ram:GetPolicyVersion" Call false;
    Ram ListPoliciesForUser "ListPoliciesForUser" "ram:ListPoliciesForUser" Call false;
    Ram ListPoliciesForRole "ListPoliciesForRole" "ram:ListPoliciesForRole" Call false;
    // KMS: instances.
    Kms GetKmsInstance "GetKmsInstance" "kms:GetKmsInstance" Call false;
    Kms CreateApplicationAccessPoint "CreateApplicationAccessPoint" "kms:CreateApplicationAccessPoint" Call true;
    Kms ListKmsInstances "ListKmsInstances" "kms:ListKmsInstances" Call false;
    Kms GetKmsInstanceQuotaInfos "GetKmsInstanceQuotaInfos" "kms:GetKmsInstanceQuotaInfos" Call false;
    Kms UpdateKmsInstanceBindVpc "UpdateKmsInstanceBindVpc" "kms:UpdateKmsInstanceBindVpc" Call true;
    // KMS: keys.
    Kms CreateKey "CreateKey" "kms:CreateKey" Call true;
    Kms DescribeKey "DescribeKey" "kms:DescribeKey" Call false;
    Kms EnableKey "EnableKey" "kms:EnableKey" Call true;
    Kms DisableKey "DisableKey" "kms:DisableKey" Call true;
    Kms CreateKeyVersion "CreateKeyVersion" "kms:CreateKeyVersion" Call true;
    Kms UpdateRotationPolicy "UpdateRotationPolicy" "kms:UpdateRotationPolicy" Call true;
    Kms ScheduleKeyDeletion "ScheduleKeyDeletion" "kms:ScheduleKeyDeletion" Call true;
    Kms CancelKeyDeletion "CancelKeyDeletion" "kms:CancelKeyDeletion" Call true;
    Kms SetDeletionProtection "SetDeletionProtection" "kms:SetDeletionProtection" Call true;
    Kms CreateAlias "CreateAlias" "kms:CreateAlias" Call true;
    Kms DeleteAlias "DeleteAlias" "kms:DeleteAlias" Call true;
    Kms TagResource "TagResource" "kms:TagResource" Call true;
    Kms UntagResource "UntagResource" "kms:UntagResource" Call true;
    Kms ListKeys "ListKeys" "kms:ListKeys" Call false;
    Kms DescribeKeyVersion "DescribeKeyVersion" "kms:DescribeKeyVersion" Call false;
    Kms ListResourceTags "ListResourceTags" "kms:ListResourceTags" Call false;
    Kms ListKeyVersions "ListKeyVersions" "kms:ListKeyVersions" Call false;
    Kms ListAliases "ListAliases" "kms:ListAliases" Call false;
    Kms ListAliasesByKeyId "ListAliasesByKeyId" "kms:ListAliasesByKeyId" Call false;
    // KMS: cryptography.
    Kms Encrypt "Encrypt" "kms:Encrypt" Call true;
    Kms Decrypt "Decrypt" "kms:Decrypt" Call false;
    Kms GenerateDataKey "GenerateDataKey" "kms:GenerateDataKey" Call true;
    Kms GenerateDataKeyWithoutPlaintext "GenerateDataKeyWithoutPlaintext" "kms:GenerateDataKeyWithoutPlaintext" Call true;
    Kms ReEncrypt "ReEncrypt" "kms:ReEncrypt" Call true;
    // KMS: secrets.
    Kms CreateSecret "CreateSecret" "kms:CreateSecret" Call true;
    Kms GetSecretValue "GetSecretValue" "kms:GetSecretValue" Call false;
    Kms PutSecretValue "PutSecretValue" "kms:PutSecretValue" Call true;
    Kms DescribeSecret "DescribeSecret" "kms:DescribeSecret" Call false;
    Kms DeleteSecret "DeleteSecret" "kms:DeleteSecret" Call true;
    Kms RestoreSecret "RestoreSecret" "kms:RestoreSecret" Call true;
    Kms UpdateSecretRotationPolicy "UpdateSecretRotationPolicy" "kms:UpdateSecretRotationPolicy" Call true;
    Kms ListSecrets "ListSecrets" "kms:ListSecrets" Call false;
    Kms ListSecretVersionIds "ListSecretVersionIds" "kms:ListSecretVersionIds" Call false;
    // The audit trail.
    ActionTrail LookupEvents "LookupEvents" "actiontrail:LookupEvents" Query false;
}

/// Slots of [`RAM_TABLE`]: more than twice the rows with a RAM action, so that probes
/// stay short and every probe meets an empty slot.
const RAM_SLOTS: usize = 256;

/// The rows of [`SPECS`] by the hash of their RAM action ([`ram_hash`]), open addressing
/// with linear probing: 0 is an empty slot, `i + 1` the row `SPECS[i]`. Made when the
/// crate is compiled.
const RAM_TABLE: [u8; RAM_SLOTS] = ram_table();

/// A hash of a RAM action's text that ignores ASCII case, as [`Action::parse_ram`]
/// compares: its length and five of its bytes (the last three, the middle one and the
/// fifth, past the shortest product prefix), which for the engine's rows leaves at most
/// three probes to a name (`ram_names_are_found_in_few_probes`).
const fn ram_hash(b: &[u8]) -> usize {
    const fn at(b: &[u8], i: usize) -> u32 {
        if i < b.len() {
            // `i` is checked just above (`get` is not usable in a const fn).
            #[allow(clippy::indexing_slicing)]
            let c = b[i];
            c.to_ascii_lowercase() as u32
        } else {
            0
        }
    }
    let n = b.len();
    let mut x = n as u32;
    let picks = [n.wrapping_sub(1), n.wrapping_sub(2), n.wrapping_sub(3), n / 2, 4];
    let mut k = 0;
    while k < picks.len() {
        #[allow(clippy::indexing_slicing)] // k < picks.len()
        let i = picks[k];
        x = x.wrapping_mul(0x9e37_79b1).wrapping_add(at(b, i));
        k += 1;
    }
    x as usize
}

/// [`RAM_TABLE`], built at compile time: a row that found no empty slot would stop the
/// build, never a call.
#[allow(clippy::indexing_slicing, clippy::panic)] // compile-time only: an error fails the build
const fn ram_table() -> [u8; RAM_SLOTS] {
    assert!(SPECS.len() < u8::MAX as usize && SPECS.len() * 2 < RAM_SLOTS);
    let mut table = [0u8; RAM_SLOTS];
    let mut row = 0;
    while row < SPECS.len() {
        let ram = SPECS[row].ram.as_bytes();
        if !ram.is_empty() {
            let mut at = ram_hash(ram);
            while table[at % RAM_SLOTS] != 0 {
                at = at.wrapping_add(1);
            }
            table[at % RAM_SLOTS] = (row + 1) as u8;
        }
        row += 1;
    }
    table
}

/// What [`Action::spec`] would give for a variant missing from [`SPECS`]: a query that
/// no name reaches.
const UNLISTED: Spec =
    Spec { action: Action::Explain, product: Product::Simulator, name: "", ram: "", kind: Kind::Query, mutates: false };

impl Action {
    /// The action's row.
    pub fn spec(self) -> &'static Spec {
        // INVARIANT: SPECS lists the variants in order (core/tests/actions.rs checks it),
        // so the row is always found.
        SPECS.get(self as usize).unwrap_or(&UNLISTED)
    }

    /// The RAM action a policy grants (`kms:Encrypt`); empty for queries.
    pub fn ram(self) -> &'static str {
        self.spec().ram
    }

    /// The vendor's action name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The action a scenario step or a host names: a RAM action (`kms:Encrypt`, any
    /// case, as RAM compares actions) or, for the calls outside KMS, the vendor's name
    /// (`CreateFolder`, `CreateResourceShare`, `Explain`).
    pub fn parse(text: &str) -> Option<Action> {
        if text.contains(':') {
            return Action::parse_ram(text);
        }
        SPECS.iter().find(|s| s.name == text && !s.ram.starts_with("kms:")).map(|s| s.action)
    }

    /// The action the vendor's wire names: its API version (`2016-01-20`) and action name
    /// (`Encrypt`), the routing key of the vendor's endpoints. Test fixtures are never
    /// reached this way.
    pub fn from_vendor(version: &str, name: &str) -> Option<Action> {
        SPECS
            .iter()
            .find(|s| s.product.version() == version && s.name == name && s.kind != Kind::RunnerOnly)
            .map(|s| s.action)
    }

    /// The action a RAM action names (`kms:Encrypt`, compared without case, RAM-2).
    ///
    /// Every decision names its action, so this is a probe of a table made when the crate
    /// is compiled (most names are found at its first slot), not a search of the rows:
    /// `kms:Encrypt`, near the end of [`SPECS`], took about 77 ns to find that way, a
    /// sixth of an effect-only decision.
    pub fn parse_ram(text: &str) -> Option<Action> {
        let mut at = ram_hash(text.as_bytes());
        // The table always has empty slots (see `ram_table`), so a probe ends at one.
        for _ in 0..RAM_SLOTS {
            let row = *RAM_TABLE.get(at % RAM_SLOTS)?;
            let spec = SPECS.get(usize::from(row.checked_sub(1)?))?;
            if spec.ram.eq_ignore_ascii_case(text) {
                return Some(spec.action);
            }
            at = at.wrapping_add(1);
        }
        None
    }

    /// The name an audit event records: the RAM action for KMS calls, the vendor's name
    /// for the others (AT-1).
    pub fn audit_name(self) -> &'static str {
        let s = self.spec();
        if s.ram.starts_with("kms:") {
            s.ram
        } else {
            s.name
        }
    }
}

impl core::fmt::Display for Action {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.audit_name())
    }
}

/// An action serializes as its RAM action (or, without one, its name).
impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.audit_name())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    /// What `parse_ram` answered before its table: the first row whose RAM action is
    /// `text` without regard to ASCII case.
    fn searched(text: &str) -> Option<Action> {
        SPECS.iter().find(|s| !s.ram.is_empty() && s.ram.eq_ignore_ascii_case(text)).map(|s| s.action)
    }

    fn mixed(s: &str) -> String {
        s.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect()
    }

    #[test]
    fn parse_ram_finds_what_a_search_of_the_rows_finds_ram2() {
        let mut texts: Vec<String> = Vec::new();
        for s in SPECS {
            let r = s.ram;
            texts.extend([String::from(r), r.to_ascii_uppercase(), r.to_ascii_lowercase(), mixed(r)]);
            // Near misses: longer, shorter, padded, one byte changed, the vendor's name.
            texts.push(alloc::format!("{r}x"));
            texts.push(alloc::format!(" {r}"));
            texts.push(String::from(r.get(..r.len().saturating_sub(1)).unwrap()));
            texts.push(r.replacen('e', "é", 1));
            texts.push(r.replacen('c', "d", 1));
            texts.push(String::from(s.name));
        }
        for t in ["", "k", "km", "kms", "kms:", "kms:*", "*", "kms:Encrypt\0", "KMS:ENCRYPT ", "名前:名前"] {
            texts.push(String::from(t));
        }
        for t in &texts {
            assert_eq!(Action::parse_ram(t), searched(t), "{t:?}");
        }
        // Each row with a RAM action is found by it in any case (no two rows share one).
        for s in SPECS.iter().filter(|s| !s.ram.is_empty()) {
            for t in [String::from(s.ram), s.ram.to_ascii_uppercase(), mixed(s.ram)] {
                assert_eq!(Action::parse_ram(&t), Some(s.action), "{t:?}");
            }
        }
    }

    /// The table's point is a short probe: each RAM action is found within a few slots of
    /// its hash (a new row that breaks this wants another hash or more slots).
    #[test]
    fn ram_names_are_found_in_few_probes() {
        for s in SPECS.iter().filter(|s| !s.ram.is_empty()) {
            let start = ram_hash(s.ram.as_bytes());
            let row = SPECS.iter().position(|x| x.action == s.action).unwrap() as u8 + 1;
            let probes = (0..RAM_SLOTS).position(|k| RAM_TABLE[(start + k) % RAM_SLOTS] == row).map(|p| p + 1).unwrap();
            assert!(probes <= 4, "{} takes {probes} probes", s.ram);
        }
    }
}
