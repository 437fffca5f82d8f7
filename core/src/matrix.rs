//! The permission matrix of the vendor's appendix, written once as data.
//!
//! Every decision's ownership check, every access-matrix view, the docs' table
//! and the tests read [`MATRIX`], so they cannot disagree.

use serde::{Deserialize, Serialize};

use crate::action::Action;

use crate::model::SharingMode;

/// The kind of resource a call acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    /// The instance itself.
    Instance,
    /// A key (or an alias of it).
    Key,
    /// A secret.
    Secret,
}

impl ResourceKind {
    /// The kind's name (`Key`).
    pub const fn name(self) -> &'static str {
        match self {
            ResourceKind::Instance => "Instance",
            ResourceKind::Key => "Key",
            ResourceKind::Secret => "Secret",
        }
    }
}

/// A feature row of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Feature {
    /// View details, attach VPCs, upgrade, renew, revoke sharing.
    InstanceManagement,
    /// Create keys, secrets and application access points.
    CreateResources,
    /// View metadata, rotation, deletion, protection, aliases, tags of keys.
    KeyManagement,
    /// View metadata, delete, rotation, tags of secrets.
    SecretManagement,
    /// Backups of keys and secrets.
    Backup,
    /// Cryptographic operations with keys.
    CryptoOperations,
    /// Reading and writing secret values.
    SecretValue,
}

/// What a role may do on a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Grant {
    /// Always.
    Yes,
    /// Never.
    No,
    /// Only on what its own account created.
    OwnOnly,
    /// Joint: every resource of the instance; Independent: only its own.
    AllWhenJoint,
}

impl Grant {
    /// Does this grant allow a caller that did (`own`) or did not create the resource?
    /// `None` when the answer is the instance's mode and the mode is unknown.
    pub fn allows(self, mode: Option<SharingMode>, own: bool) -> Option<bool> {
        match self {
            Grant::Yes => Some(true),
            Grant::No => Some(false),
            Grant::OwnOnly => Some(own),
            Grant::AllWhenJoint if own => Some(true),
            // An instance never shared has only its owner's resources: treat as Joint.
            Grant::AllWhenJoint => match mode {
                Some(SharingMode::Independent) => Some(false),
                Some(SharingMode::Unknown) => None,
                Some(SharingMode::Joint) | None => Some(true),
            },
        }
    }
}

/// One row: a feature, what owner and principal may do, and the actions it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixRow {
    /// The feature.
    pub feature: Feature,
    /// The vendor's wording.
    pub label: &'static str,
    /// The kind of resource the actions act on.
    pub resource: ResourceKind,
    /// The instance owner's grant.
    pub owner: Grant,
    /// A principal's grant.
    pub principal: Grant,
    /// The KMS actions of the row.
    pub actions: &'static [Action],
}

/// The permission matrix (rule PM, `docs/rules.md`).
pub const MATRIX: &[MatrixRow] = &[
    MatrixRow {
        feature: Feature::InstanceManagement,
        label: "instance management: view details, attach VPCs, upgrade, renew, revoke sharing",
        resource: ResourceKind::Instance,
        owner: Grant::Yes,
        principal: Grant::No,
        actions: &[
            Action::GetKmsInstance,
            Action::AttachVpc,
            Action::DetachVpc,
            Action::UpgradeInstance,
            Action::RenewInstance,
            Action::EnableInstance,
            Action::DisableInstance,
            Action::SetInstanceSharingMode,
            Action::GetInstanceQuota,
            Action::GetKmsInstanceQuotaInfos,
            Action::UpdateKmsInstanceBindVpc,
        ],
    },
    MatrixRow {
        feature: Feature::CreateResources,
        label: "create keys, create secrets, create application access points",
        resource: ResourceKind::Instance,
        owner: Grant::Yes,
        principal: Grant::Yes,
        actions: &[Action::CreateKey, Action::CreateSecret, Action::CreateApplicationAccessPoint],
    },
    MatrixRow {
        feature: Feature::KeyManagement,
        label: "key management: view metadata, rotation, schedule deletion, deletion protection, aliases, tags",
        resource: ResourceKind::Key,
        owner: Grant::AllWhenJoint,
        principal: Grant::OwnOnly,
        actions: &[
            Action::DescribeKey,
            Action::UpdateRotationPolicy,
            Action::CreateKeyVersion,
            Action::ScheduleKeyDeletion,
            Action::CancelKeyDeletion,
            Action::SetDeletionProtection,
            Action::CreateAlias,
            Action::DeleteAlias,
            Action::TagResource,
            Action::UntagResource,
            Action::EnableKey,
            Action::DisableKey,
            Action::DescribeKeyVersion,
            Action::ListKeyVersions,
            Action::ListAliasesByKeyId,
            Action::ListResourceTags,
        ],
    },
    MatrixRow {
        feature: Feature::SecretManagement,
        label: "secret management: view metadata, delete, rotation, tags",
        resource: ResourceKind::Secret,
        owner: Grant::AllWhenJoint,
        principal: Grant::OwnOnly,
        actions: &[
            Action::DescribeSecret,
            Action::DeleteSecret,
            Action::RestoreSecret,
            Action::UpdateSecretRotationPolicy,
            Action::TagResource,
            Action::UntagResource,
            Action::ListSecretVersionIds,
        ],
    },
    MatrixRow {
        feature: Feature::Backup,
        label: "backups",
        resource: ResourceKind::Key,
        owner: Grant::AllWhenJoint,
        principal: Grant::No,
        actions: &[Action::CreateBackup],
    },
    MatrixRow {
        feature: Feature::Backup,
        label: "backups",
        resource: ResourceKind::Secret,
        owner: Grant::AllWhenJoint,
        principal: Grant::No,
        actions: &[Action::CreateBackup],
    },
    MatrixRow {
        feature: Feature::CryptoOperations,
        label: "cryptographic operations",
        resource: ResourceKind::Key,
        owner: Grant::AllWhenJoint,
        principal: Grant::OwnOnly,
        actions: &[
            Action::Encrypt,
            Action::Decrypt,
            Action::GenerateDataKey,
            Action::GenerateDataKeyWithoutPlaintext,
            Action::ReEncrypt,
        ],
    },
    MatrixRow {
        feature: Feature::SecretValue,
        label: "reading and writing secret values",
        resource: ResourceKind::Secret,
        owner: Grant::AllWhenJoint,
        principal: Grant::OwnOnly,
        actions: &[Action::GetSecretValue, Action::PutSecretValue],
    },
];

/// The row for an action on a kind of resource.
pub fn row_for(action: Action, resource: ResourceKind) -> Option<&'static MatrixRow> {
    MATRIX.iter().find(|r| r.resource == resource && r.actions.contains(&action))
}

/// The representative action the access matrix uses for each feature.
pub fn representative_action(feature: Feature) -> Action {
    match feature {
        Feature::InstanceManagement => Action::GetKmsInstance,
        Feature::CreateResources => Action::CreateKey,
        Feature::KeyManagement => Action::DescribeKey,
        Feature::SecretManagement => Action::DescribeSecret,
        Feature::Backup => Action::CreateBackup,
        Feature::CryptoOperations => Action::Encrypt,
        Feature::SecretValue => Action::GetSecretValue,
    }
}

/// The features that apply to a kind of resource, in display order.
pub fn features_for(kind: ResourceKind) -> &'static [Feature] {
    match kind {
        ResourceKind::Instance => &[Feature::InstanceManagement, Feature::CreateResources],
        ResourceKind::Key => &[Feature::KeyManagement, Feature::CryptoOperations, Feature::Backup],
        ResourceKind::Secret => &[Feature::SecretManagement, Feature::SecretValue, Feature::Backup],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_rows_follow_the_appendix() {
        // Instance management: owner yes, principal no.
        let r = row_for(Action::AttachVpc, ResourceKind::Instance).unwrap();
        assert_eq!((r.owner, r.principal), (Grant::Yes, Grant::No));
        // Backups: never a principal.
        assert_eq!(row_for(Action::CreateBackup, ResourceKind::Secret).unwrap().principal, Grant::No);
        // Independent: owner only its own keys.
        let k = row_for(Action::Encrypt, ResourceKind::Key).unwrap();
        assert_eq!(k.owner.allows(Some(SharingMode::Independent), false), Some(false));
        assert_eq!(k.owner.allows(Some(SharingMode::Joint), false), Some(true));
        assert_eq!(k.principal.allows(Some(SharingMode::Joint), false), Some(false));
        assert_eq!(k.principal.allows(Some(SharingMode::Joint), true), Some(true));
        // An unknown mode decides nothing it would decide, and only that (SM-1).
        assert_eq!(k.owner.allows(Some(SharingMode::Unknown), false), None);
        assert_eq!(k.owner.allows(Some(SharingMode::Unknown), true), Some(true));
        assert_eq!(k.principal.allows(Some(SharingMode::Unknown), false), Some(false));
    }

    #[test]
    fn every_action_has_one_canonical_spelling() {
        assert_eq!(Action::parse_ram("KMS:ENCRYPT"), Some(Action::Encrypt));
        assert_eq!(Action::parse_ram("kms:Nope"), None);
    }
}

crate::json::to_value_via_serde!(Feature);
