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
    pub fn parse_ram(text: &str) -> Option<Action> {
        SPECS.iter().find(|s| !s.ram.is_empty() && s.ram.eq_ignore_ascii_case(text)).map(|s| s.action)
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
