//! The domain rules the engine implements, as a type: every error, check and decision
//! that rests on a rule names a [`Rule`], so a mistyped rule id does not compile.
//! `docs/rules.md` is generated from this list (`core/tests/docs.rs` fails when it is
//! stale and rewrites it with `UPDATE_DOCS=1`); the corpus test fails when a rule is
//! exercised by no scenario of `tests/scenarios/`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! rules {
    ($($(#[$group:meta])* $variant:ident = $id:literal : $summary:literal,)*) => {
        /// A rule of the domain, written `RD-1`, `KI-4`, ... in JSON and in messages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[$group])* #[doc = $summary] $variant,)*
        }

        impl Rule {
            /// Every rule, in the order of `docs/rules.md`.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The rule id, as every message and document writes it.
            pub const fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)*
                }
            }

            /// What the rule says, in one line.
            pub const fn summary(self) -> &'static str {
                match self {
                    $(Rule::$variant => $summary,)*
                }
            }
        }
    };
}

rules! {
    // The resource directory.
    Rd1 = "RD-1": "An enterprise has one resource directory: a management account, a root folder, folders at most 5 levels deep (100 folders by default).",
    Rd2 = "RD-2": "A member account name has 2 to 50 letters, digits and `_ . -`, starts and ends with a letter or digit, has no two special characters in a row, and is unique in the directory.",
    Rd3 = "RD-3": "A display name has 2 to 50 characters: CJK ideographs, letters, digits and `_ . -`.",
    Rd4 = "RD-4": "Accounts join by creation or by invitation; an invitation is pending until the invited account accepts it.",
    Rd5 = "RD-5": "Every member has a billing account that is able to pay: the management account, a member, or itself.",
    Rd6 = "RD-6": "Members move between folders; folder ids are `fd-` and alphanumerics, account ids 16 digits.",
    Rd7 = "RD-7": "The management account enables resource sharing once (creating `AliyunServiceRoleForResourceSharing`); before that no share names directory principals.",
    // KMS instances.
    Ki1 = "KI-1": "An instance has an id (`kst-`), a kind (software or hardware), a region, an owner, a state, an access management quota and attached VPCs.",
    Ki2 = "KI-2": "Only enabled instances can be shared.",
    Ki3 = "KI-3": "Used quota is the distinct accounts the instance is shared with plus its attached VPCs; folder and directory principals count every member they reach, now and later.",
    Ki4 = "KI-4": "A principal that would exceed the quota fails for that principal (its association is `Failed`); raising the quota does not retry it.",
    Ki5 = "KI-5": "Default (service) keys under `alias/acs/` cannot be shared.",
    Ki6 = "KI-6": "A principal cannot use a shared instance from another region.",
    Ki7 = "KI-7": "The owner may attach a principal's VPC of the same region; each VPC costs quota.",
    // Resource shares.
    Rs1 = "RS-1": "A share name has 1 to 50 characters: CJK ideographs, letters, digits and `. _ -`.",
    Rs2 = "RS-2": "Principals are an account, a folder (its sub-folders and later members included) or the whole directory.",
    Rs3 = "RS-3": "The owner and every principal belong to the same verified enterprise and resource directory.",
    Rs4 = "RS-4": "Shares carry `AliyunRSDefaultPermissionKMSInstance` v1 or v2 (v2 by default); the deprecated `AliyunRSPermissionKMSInstanceReadWrite` works where it is and cannot be attached anew.",
    Rs5 = "RS-5": "Adding an instance to a share gives every existing principal access and costs that instance's quota; the impact is shown before and after.",
    Rs6 = "RS-6": "Adding or removing a principal affects every resource of the share.",
    Rs7 = "RS-7": "A share cannot be deleted, nor a principal removed, while a principal still has keys or secrets it created in an instance of the share; then no principal reaches its instances.",
    Rs8 = "RS-8": "A share is Active, Deleting or Deleted; each association is Associating, Associated, Failed (with a reason) or Disassociated.",
    // Sharing modes.
    Sm1 = "SM-1": "An instance is shared in Independent or Joint ownership, chosen when it is first shared.",
    Sm2 = "SM-2": "Joint may change to Independent, irreversibly; Independent never changes to Joint.",
    Sm3 = "SM-3": "In Joint ownership key names, aliases and secret names are unique in the whole instance; in Independent, per account.",
    /// The permission matrix of the vendor's appendix.
    Pm = "PM": "The permission matrix: what the owner and a principal may do with the instance, keys and secrets, in each mode.",
    // RAM identities and policies.
    Ram1 = "RAM-1": "Callers are RAM identities: an account's root (every permission in its account), a RAM user or an assumed role (what their policies grant).",
    Ram2 = "RAM-2": "Policies are the vendor's JSON policy language (Allow/Deny, Action/NotAction, Resource/NotResource, Condition, wildcards); an explicit Deny wins and nothing granted is Deny.",
    Ram3 = "RAM-3": "Resources are named by ARNs with the creator's account (`acs:kms:{region}:{account}:key/{id}`), actions as `kms:{ApiName}`.",
    // The decision.
    Az1 = "AZ-1": "A call is checked in the vendor's order: sharing, share permission, RAM policy, ownership.",
    Az2 = "AZ-2": "Every decision is a value: the effect, each check's outcome and, for a Deny, the failing check, its rule and the fix.",
    Az3 = "AZ-3": "Fail closed: an unknown identity, account, instance, key or action, or a malformed policy, is a Deny or a clear input error, never an Allow.",
    // Keys, secrets and cryptography.
    Cr1 = "CR-1": "Keys (`Aliyun_AES_256`) are created in an instance by its owner or a principal; rotation adds a version, new encryptions use the newest.",
    Cr2 = "CR-2": "Encrypt, Decrypt, GenerateDataKey and GenerateDataKeyWithoutPlaintext bind the encryption context as authenticated data.",
    Cr3 = "CR-3": "Key deletion is scheduled 7 to 366 days ahead and can be cancelled; deletion protection forbids it; a key pending deletion cannot encrypt.",
    Cr4 = "CR-4": "Secrets hold versioned values encrypted under a key of the same instance; the stages ACSCurrent and ACSPrevious move on each new version.",
    Cr5 = "CR-5": "Software key material is sealed under a root key the host supplies and never serialized in plaintext; hardware keys stay in a PKCS#11 token.",
    // Audit.
    At1 = "AT-1": "Every operation is recorded (time, caller, account, action, resource, outcome); the owner sees its instance's events, a principal its own.",
    At2 = "AT-2": "The audit trail is a SHA-256 hash chain; the verifier reports the first broken link.",
}

impl Rule {
    /// The rule with this id (`KI-4`), if there is one.
    pub fn parse(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }
}

impl core::fmt::Display for Rule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = alloc::string::String::deserialize(d)?;
        Rule::parse(&id).ok_or_else(|| serde::de::Error::custom(alloc::format!("`{id}` is not a rule id")))
    }
}

/// The text of `docs/rules.md`.
pub fn markdown() -> alloc::string::String {
    use core::fmt::Write;
    let mut out = alloc::string::String::from(
        "# The rules\n\n\
         Generated from `core/src/rules.rs` (`UPDATE_DOCS=1 cargo test -p kms-share-core --test docs`):\n\
         do not edit. Every error, check and decision that rests on a rule names it; a scenario\n\
         lists the rules it exercises. Where a rule leaves room, README \"Semantics\" says how the\n\
         engine reads it.\n\n\
         | rule | what it says |\n|---|---|\n",
    );
    for r in Rule::ALL {
        let _ = writeln!(out, "| {} | {} |", r.id(), r.summary());
    }
    out
}
