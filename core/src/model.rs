//! The data of an organization: accounts, the resource directory, KMS instances,
//! resource shares, keys, secrets and RAM entities.
//!
//! Everything here is plain data that serializes with serde in the one JSON shape
//! (camelCase). Derived indexes live in [`crate::state`] and are rebuilt, never stored.
//! Key material is not here: versions hold opaque handles into a
//! [`KeyBackend`](crate::keystore::KeyBackend).

use crate::idmap::{IdMap, IdSet};
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::json::{record, unit_enum, FromJson, JsonResult};

use crate::ids::*;
use crate::policy::Policy;
use crate::rules::Rule;

/// Seconds since the Unix epoch (UTC). The core reads no clock: time is an argument.
pub type Timestamp = u64;

/// A key's or a secret's tags, by name. Natively a null pointer while there are none:
/// most keys have none, and an empty map is 72 bytes inline in each of a large
/// organization's million key records. Reads and writes as the map.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Default)]
pub struct Tags(Option<alloc::boxed::Box<IdMap<String, String>>>);

/// In WebAssembly the tags are the map itself (the module's size is budgeted, and a page
/// holds a small organization).
#[cfg(target_arch = "wasm32")]
pub type Tags = IdMap<String, String>;

#[cfg(not(target_arch = "wasm32"))]
impl Tags {
    /// No tags.
    pub fn new() -> Self {
        Tags(None)
    }

    /// Number of tags.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |m| m.len())
    }

    /// True when there is no tag.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of tag `name`.
    pub fn get(&self, name: &str) -> Option<&String> {
        self.0.as_ref()?.get(name)
    }

    /// Set tag `name`, returning the value it replaces.
    pub fn insert(&mut self, name: String, value: String) -> Option<String> {
        self.0.get_or_insert_with(Default::default).insert(name, value)
    }

    /// Remove tag `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let map = self.0.as_mut()?;
        let value = map.remove(name);
        if map.is_empty() {
            self.0 = None;
        }
        value
    }

    /// The tags in name order.
    pub fn iter(&self) -> TagsIter<'_> {
        self.0.as_deref().into_iter().flatten()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<IdMap<String, String>> for Tags {
    fn from(map: IdMap<String, String>) -> Self {
        Tags((!map.is_empty()).then(|| alloc::boxed::Box::new(map)))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Extend<(String, String)> for Tags {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (name, value) in iter {
            self.insert(name, value);
        }
    }
}

/// The tags of [`Tags::iter`], in name order.
#[cfg(not(target_arch = "wasm32"))]
pub type TagsIter<'a> = core::iter::Flatten<core::option::IntoIter<&'a IdMap<String, String>>>;

#[cfg(not(target_arch = "wasm32"))]
impl<'a> IntoIterator for &'a Tags {
    type Item = (&'a String, &'a String);
    type IntoIter = TagsIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl PartialEq for Tags {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Eq for Tags {}

#[cfg(not(target_arch = "wasm32"))]
impl core::fmt::Debug for Tags {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Serialize for Tags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::json::ToValue for Tags {
    fn to_value(&self) -> serde_json::Value {
        serde_json::Value::Object(self.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl FromJson for Tags {
    fn from_json(v: serde_json::Value) -> JsonResult<Self> {
        IdMap::from_json(v).map(Tags::from)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::fastjson::FastRead for Tags {
    fn fast<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IdMap::fast(d).map(Tags::from)
    }
}

/// Short text of a key record: its spec and its versions' backend handles. Natively the
/// text is inline up to 30 bytes (32 in all), with no allocation: every spec, and the
/// software backend's handles (`sw:<key id>/v<n>`, 26 bytes for the ids the engine
/// makes), where a large organization has one per key in the key and again as the
/// backend's map key (an id's 22 inline bytes would not hold them). Longer text goes to
/// the heap. Reads and writes as a string.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, PartialEq, Eq)]
pub struct ShortText(crate::idtext::IdText<SHORT_INLINE>);

/// Longest [`ShortText`] kept inline, in bytes.
#[cfg(not(target_arch = "wasm32"))]
const SHORT_INLINE: usize = 30;

/// In WebAssembly short text is a `String` (the module's size is budgeted, and a page
/// holds a small organization).
#[cfg(target_arch = "wasm32")]
pub type ShortText = String;

#[cfg(not(target_arch = "wasm32"))]
impl ShortText {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The text of `parts` one after the other, made without a `String` when it fits
    /// inline (a loaded key's handle, once per key of a snapshot).
    pub(crate) fn of_parts(parts: &[&str]) -> Self {
        ShortText(crate::idtext::IdText::of_parts(parts))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for ShortText {
    fn default() -> Self {
        ShortText::from("")
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl core::ops::Deref for ShortText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

// Equal as the text is, so a map keyed by `ShortText` is searched with a `&str`.
#[cfg(not(target_arch = "wasm32"))]
impl core::borrow::Borrow<str> for ShortText {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<&str> for ShortText {
    fn from(s: &str) -> Self {
        ShortText(crate::idtext::IdText::new(s))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<String> for ShortText {
    fn from(s: String) -> Self {
        ShortText::from(s.as_str())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl core::fmt::Debug for ShortText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl core::fmt::Display for ShortText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Serialize for ShortText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::json::ToValue for ShortText {
    fn to_value(&self) -> serde_json::Value {
        serde_json::Value::String(self.as_str().into())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::idmap::KeyText for ShortText {
    fn key_text(&self) -> &str {
        self.as_str()
    }
    fn key_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl FromJson for ShortText {
    fn from_json(v: serde_json::Value) -> JsonResult<Self> {
        String::from_json(v).map(ShortText::from)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::request::Text for ShortText {
    fn from_text(s: &str) -> crate::error::Result<Self> {
        Ok(ShortText::from(s))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::fastjson::FastRead for ShortText {
    fn fast<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::fastjson::text(d)
    }
}

/// A key's versions, oldest first. Natively the first is kept in the key's record: most
/// keys have one, and a `Vec` of its own was an allocation per key (64 bytes with the
/// allocator's rounding) in each of a large organization's million keys. Reads and writes
/// as a list, and is used as a slice.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, PartialEq, Eq)]
pub struct Versions(VersionsRepr);

#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, PartialEq, Eq)]
enum VersionsRepr {
    One(KeyVersion),
    Many(Vec<KeyVersion>),
}

/// In WebAssembly a key's versions are a `Vec` (see [`ShortText`] for why).
#[cfg(target_arch = "wasm32")]
pub type Versions = Vec<KeyVersion>;

#[cfg(not(target_arch = "wasm32"))]
impl Versions {
    /// No versions.
    pub fn new() -> Self {
        Versions(VersionsRepr::Many(Vec::new()))
    }

    /// Add `v` as the newest version.
    pub fn push(&mut self, v: KeyVersion) {
        let repr = core::mem::replace(&mut self.0, VersionsRepr::Many(Vec::new()));
        self.0 = match repr {
            VersionsRepr::Many(all) if all.is_empty() => VersionsRepr::One(v),
            VersionsRepr::One(first) => VersionsRepr::Many(alloc::vec![first, v]),
            VersionsRepr::Many(mut all) => {
                all.push(v);
                VersionsRepr::Many(all)
            }
        };
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for Versions {
    fn default() -> Self {
        Versions::new()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<KeyVersion> for Versions {
    /// A key's one version.
    fn from(only: KeyVersion) -> Self {
        Versions(VersionsRepr::One(only))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<Vec<KeyVersion>> for Versions {
    fn from(mut all: Vec<KeyVersion>) -> Self {
        match all.len() {
            1 => Versions(all.pop().map_or(VersionsRepr::Many(Vec::new()), VersionsRepr::One)),
            _ => {
                all.shrink_to_fit();
                Versions(VersionsRepr::Many(all))
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl core::ops::Deref for Versions {
    type Target = [KeyVersion];

    fn deref(&self) -> &[KeyVersion] {
        match &self.0 {
            VersionsRepr::One(v) => core::slice::from_ref(v),
            VersionsRepr::Many(all) => all,
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl core::ops::DerefMut for Versions {
    fn deref_mut(&mut self) -> &mut [KeyVersion] {
        match &mut self.0 {
            VersionsRepr::One(v) => core::slice::from_mut(v),
            VersionsRepr::Many(all) => all,
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl<'a> IntoIterator for &'a Versions {
    type Item = &'a KeyVersion;
    type IntoIter = core::slice::Iter<'a, KeyVersion>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl<'a> IntoIterator for &'a mut Versions {
    type Item = &'a mut KeyVersion;
    type IntoIter = core::slice::IterMut<'a, KeyVersion>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl core::fmt::Debug for Versions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Serialize for Versions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl FromJson for Versions {
    fn from_json(v: serde_json::Value) -> JsonResult<Self> {
        Vec::from_json(v).map(Versions::from)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl crate::fastjson::FastRead for Versions {
    fn fast<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::fast(d).map(Versions::from)
    }
}

/// Configurable resource directory limits (RD-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Most folders in a directory (default 100).
    pub max_folders: u32,
    /// Most folder levels below the root (default 5).
    pub max_depth: u32,
    /// Most member accounts (default unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_members: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_folders: 100, max_depth: 5, max_members: None }
    }
}

/// An Alibaba Cloud account known to the simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The account id.
    pub id: AccountId,
    /// Account name (RD-2), unique in the directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<AccountName>,
    /// Display name (RD-3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<DisplayName>,
    /// The verified enterprise the account belongs to (RS-3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<String>,
    /// Whether the account can pay (RD-5).
    pub can_pay: bool,
}

/// A folder of the resource directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    /// The folder id.
    pub id: FolderId,
    /// The folder name.
    pub name: FolderName,
    /// The parent folder (`None` for the root folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<FolderId>,
    /// Depth below the root (root = 0).
    pub depth: u32,
}

/// A member of the resource directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member account.
    pub account: AccountId,
    /// The folder the member is in.
    pub folder: FolderId,
    /// The account that pays for the member (RD-5).
    pub billing_account: AccountId,
    /// How the member joined.
    pub joined_by: JoinMethod,
    /// Tags.
    #[serde(skip_serializing_if = "IdMap::is_empty")]
    pub tags: IdMap<String, String>,
    /// Join order, for deterministic quota admission.
    pub seq: u64,
}

/// How a member joined (RD-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JoinMethod {
    /// The management account created the member.
    Created,
    /// The account accepted an invitation.
    Invited,
    /// The management account itself.
    Management,
}

/// An invitation (handshake) to join the directory (RD-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    /// The handshake id (`h-...`).
    pub id: String,
    /// The invited account.
    pub account: AccountId,
    /// The remark shown to the invitee.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remark: String,
    /// Tags given to the member on joining.
    #[serde(skip_serializing_if = "IdMap::is_empty")]
    pub tags: IdMap<String, String>,
    /// The folder the member will join.
    pub parent_folder: FolderId,
    /// Pending, accepted or declined.
    pub status: InvitationStatus,
}

/// The state of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InvitationStatus {
    /// Waiting for the invitee.
    Pending,
    /// Accepted: the account is a member.
    Accepted,
    /// Declined by the invitee.
    Declined,
}

/// The resource directory of an enterprise (RD-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    /// The directory id.
    pub id: DirectoryId,
    /// The verified enterprise id.
    pub enterprise_id: String,
    /// The management account.
    pub management_account: AccountId,
    /// The root folder.
    pub root_folder: FolderId,
    /// Every folder, root included.
    pub folders: IdMap<FolderId, Folder>,
    /// Every member, management account included.
    pub members: IdMap<AccountId, Member>,
    /// Invitations, by handshake id.
    pub invitations: IdMap<String, Invitation>,
    /// Whether resource sharing is enabled (RD-7).
    pub sharing_enabled: bool,
    /// Service-linked roles created in the management account (RD-7).
    pub service_linked_roles: IdSet<String>,
    /// Limits.
    pub limits: Limits,
}

impl Directory {
    /// Whether the account of `record` belongs to this directory's verified enterprise,
    /// the only accounts a share reaches (RS-3).
    pub fn of_enterprise(&self, record: Option<&Account>) -> bool {
        record.and_then(|a| a.enterprise_id.as_deref()) == Some(self.enterprise_id.as_str())
    }
}

/// Software or hardware key management (KI-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InstanceKind {
    /// Software key management: key material sealed in the product's storage.
    Software,
    /// Hardware key management: key material in an HSM (PKCS#11).
    Hardware,
}

/// Instance state (KI-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InstanceState {
    /// In service: may be shared and used.
    Enabled,
    /// Out of service.
    Disabled,
}

/// Independent or Joint ownership (SM-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum SharingMode {
    /// Each account owns what it creates; the owner cannot use principals' keys.
    Independent,
    /// The owner manages and uses every key and secret in the instance.
    Joint,
    /// Shared, in a mode nobody told the engine: an instance read from the vendor's API,
    /// which reports no mode (README Semantics 31). A check the mode decides is
    /// undetermined, neither Allow nor Deny, until the mode is set.
    Unknown,
}

/// A KMS instance (KI-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    /// The instance id.
    pub id: InstanceId,
    /// Software or hardware.
    pub kind: InstanceKind,
    /// The region.
    pub region: Region,
    /// The owner account.
    pub owner: AccountId,
    /// Enabled or disabled.
    pub state: InstanceState,
    /// The access management quota (KI-3).
    pub quota: u32,
    /// Attached VPCs and the account each belongs to (KI-7).
    pub vpcs: IdMap<VpcId, AccountId>,
    /// The sharing mode, chosen when first shared (SM-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharing_mode: Option<SharingMode>,
}

/// A principal of a resource share (RS-2). Serializes as its id: a 16-digit
/// account id, `fd-...` or `rd-...`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    /// One account.
    Account(AccountId),
    /// A folder: its members and those of its sub-folders, now and later.
    Folder(FolderId),
    /// The whole resource directory, members added later included.
    Directory(DirectoryId),
}

impl Principal {
    /// Parse a target id: a 16-digit account id, `fd-...` or `rd-...`.
    ///
    /// # Errors
    /// `InvalidParameter` (RS-2) for anything else.
    pub fn parse(s: &str) -> crate::error::Result<Self> {
        if s.starts_with("fd-") {
            FolderId::parse(s).map(Principal::Folder)
        } else if s.starts_with("rd-") {
            DirectoryId::parse(s).map(Principal::Directory)
        } else if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
            AccountId::parse(s).map(Principal::Account)
        } else {
            Err(crate::error::Error::invalid(
                "Targets",
                Rule::Rs2,
                alloc::format!(
                    "`{}` is not a principal: use a 16-digit account id, a folder id `fd-...` or the directory id `rd-...`",
                    shorten(s)
                ),
            ))
        }
    }

    /// The id as text.
    pub fn id(&self) -> &str {
        match self {
            Principal::Account(a) => a.as_str(),
            Principal::Folder(f) => f.as_str(),
            Principal::Directory(d) => d.as_str(),
        }
    }
}

/// A principal's text orders principals as their type does: account ids are digits,
/// which sort before the `fd-` of folders, which sort before the `rd-` of the directory.
impl crate::idmap::KeyText for Principal {
    fn key_text(&self) -> &str {
        self.id()
    }
}

impl Serialize for Principal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Principal::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl crate::request::Text for Principal {
    fn from_text(s: &str) -> crate::error::Result<Self> {
        Principal::parse(s)
    }
}

/// The state of an association (RS-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AssociationState {
    /// Being set up.
    Associating,
    /// In effect.
    Associated,
    /// Failed; see the reason (KI-4).
    Failed,
    /// Removed.
    Disassociated,
}

/// A principal's association with a share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// The state.
    pub state: AssociationState,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Association order, for deterministic quota admission.
    pub seq: u64,
}

/// The state of a resource share (RS-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ShareState {
    /// In effect.
    Active,
    /// Being deleted.
    Deleting,
    /// Deleted: grants nothing.
    Deleted,
}

/// The KMS instance permissions of the permission library (RS-4).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharePermission {
    /// The permission name.
    pub name: String,
    /// The version (`v1`, `v2`) where the permission has versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The recommended KMS instance permission (RS-4).
pub const DEFAULT_PERMISSION: &str = "AliyunRSDefaultPermissionKMSInstance";
/// The deprecated KMS instance permission (RS-4).
pub const DEPRECATED_PERMISSION: &str = "AliyunRSPermissionKMSInstanceReadWrite";

impl SharePermission {
    /// True if the permission grants use of a KMS instance (RS-4): the default
    /// permission in v1 or v2, or the deprecated one on a share that already has it.
    pub fn grants_kms_instance(&self) -> bool {
        (self.name == DEFAULT_PERMISSION && matches!(self.version.as_deref(), Some("v1") | Some("v2")))
            || self.name == DEPRECATED_PERMISSION
    }
}

/// The permissions attached to a share, in order, each once: a sorted vector. (A
/// `BTreeSet` did the same with a tree's code compiled for this one type, about 10 KB of
/// WebAssembly for a set that holds one or two entries.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SharePermissions(Vec<SharePermission>);

impl SharePermissions {
    /// Add a permission; false if it was there already.
    pub fn insert(&mut self, permission: SharePermission) -> bool {
        match self.0.binary_search(&permission) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, permission);
                true
            }
        }
    }

    /// Keep only the permissions for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&SharePermission) -> bool) {
        self.0.retain(keep);
    }

    /// How many permissions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The permissions, in order.
    pub fn iter(&self) -> core::slice::Iter<'_, SharePermission> {
        self.0.iter()
    }
}

impl FromIterator<SharePermission> for SharePermissions {
    fn from_iter<I: IntoIterator<Item = SharePermission>>(items: I) -> Self {
        let mut set = SharePermissions::default();
        for p in items {
            set.insert(p);
        }
        set
    }
}

impl<'a> IntoIterator for &'a SharePermissions {
    type Item = &'a SharePermission;
    type IntoIter = core::slice::Iter<'a, SharePermission>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Read as a list, sorted and de-duplicated as a set would be.
#[cfg(not(target_arch = "wasm32"))]
impl crate::fastjson::FastRead for SharePermissions {}

impl FromJson for SharePermissions {
    fn from_json(v: serde_json::Value) -> JsonResult<Self> {
        Ok(Vec::<SharePermission>::from_json(v)?.into_iter().collect())
    }
}

/// A resource share (RS-*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    /// The share id.
    pub id: ShareId,
    /// The name (RS-1).
    pub name: ShareName,
    /// The owner account (the account that created it).
    pub owner: AccountId,
    /// Active, Deleting or Deleted.
    pub state: ShareState,
    /// Shared instances and their association.
    pub resources: IdMap<InstanceId, Association>,
    /// Principals and their association.
    pub principals: IdMap<Principal, Association>,
    /// Attached permissions.
    pub permissions: SharePermissions,
    /// Creation order.
    pub seq: u64,
}

/// Key state (CR-1, CR-3). In JSON, `{"state": "enabled"}`, `{"state": "disabled"}` or
/// `{"state": "pendingDeletion", "deleteAt": <ms>}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Disabled: cannot encrypt or decrypt.
    Disabled,
    /// Deletion scheduled; destroyed at `deleteAt` unless cancelled (CR-3).
    PendingDeletion {
        /// When the key material will be destroyed.
        #[serde(rename = "deleteAt")]
        delete_at: Timestamp,
    },
}

/// Read directly, which also refuses what serde's reader for an internally tagged enum
/// let through: a `deleteAt` on a key that is not pending deletion, or an unknown field.
impl FromJson for KeyState {
    fn from_json(v: serde_json::Value) -> JsonResult<Self> {
        let mut f = crate::json::Fields::new(v, "struct KeyState")?;
        let state: Option<String> = f.req("state");
        let delete_at: Option<Option<Timestamp>> = f.or_default("deleteAt");
        f.finish(&["state", "deleteAt"])?;
        let (state, delete_at) = (state.unwrap_or_default(), delete_at.flatten());
        match (state.as_str(), delete_at) {
            ("enabled", None) => Ok(KeyState::Enabled),
            ("disabled", None) => Ok(KeyState::Disabled),
            ("pendingDeletion", Some(delete_at)) => Ok(KeyState::PendingDeletion { delete_at }),
            ("pendingDeletion", None) => Err("a key pending deletion needs `deleteAt` (CR-3)".into()),
            ("enabled" | "disabled", Some(_)) => Err("only a key pending deletion has a `deleteAt` (CR-3)".into()),
            (other, _) => Err(alloc::format!(
                "unknown variant `{}`, expected one of `enabled`, `disabled`, `pendingDeletion`",
                shorten(other)
            )),
        }
    }
}

/// Every key has one: read without a `Value` (see `fastjson`), accepting exactly what
/// the reader above accepts (anything else is left to it).
#[cfg(not(target_arch = "wasm32"))]
impl crate::fastjson::FastRead for KeyState {
    fn fast<'de, D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct Visit;

        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = KeyState;

            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("struct KeyState")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> core::result::Result<KeyState, A::Error> {
                use serde::de::Error as _;
                let (mut state, mut delete_at): (Option<&'de str>, Option<Option<Timestamp>>) = (None, None);
                while let Some(name) = a.next_key::<&'de str>()? {
                    match name {
                        "state" if state.is_none() => state = Some(a.next_value()?),
                        "deleteAt" if delete_at.is_none() => delete_at = Some(crate::fastjson::next_value(&mut a)?),
                        _ => return Err(A::Error::custom("a repeated or unknown field")),
                    }
                }
                match (state, delete_at.flatten()) {
                    (Some("enabled"), None) => Ok(KeyState::Enabled),
                    (Some("disabled"), None) => Ok(KeyState::Disabled),
                    (Some("pendingDeletion"), Some(delete_at)) => Ok(KeyState::PendingDeletion { delete_at }),
                    _ => Err(A::Error::custom("not a key state")),
                }
            }
        }

        d.deserialize_map(Visit)
    }
}

/// One version of a key's material (CR-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyVersion {
    /// Version number, from 1.
    pub version: u32,
    /// When it was created.
    pub created_at: Timestamp,
    /// Encryptions made with it (bounded, see the ciphertext format).
    pub encryptions: u64,
    /// Opaque handle into the key backend.
    pub handle: ShortText,
}

/// A key: metadata with its creator account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    /// The key id.
    pub id: KeyId,
    /// The instance holding it.
    pub instance: InstanceId,
    /// The account that created it (permission matrix).
    pub creator: AccountId,
    /// Key spec, `Aliyun_AES_256`.
    pub spec: ShortText,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// State.
    pub state: KeyState,
    /// Deletion protection (CR-3).
    pub deletion_protection: bool,
    /// Automatic rotation interval in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_interval: Option<u64>,
    /// When the next automatic rotation is due (set when the policy is set and after each rotation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_at: Option<Timestamp>,
    /// Versions, oldest first; the last is current.
    pub versions: Versions,
    /// Tags.
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// When it was created.
    pub created_at: Timestamp,
}

/// An alias naming a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alias {
    /// The alias name.
    pub name: AliasName,
    /// The key it names.
    pub key: KeyId,
    /// The instance of the key.
    pub instance: InstanceId,
    /// The account that created the alias (the key's creator).
    pub creator: AccountId,
}

/// One version of a secret value (CR-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVersion {
    /// The version id.
    pub version_id: String,
    /// The stages on this version (`ACSCurrent`, `ACSPrevious`).
    pub stages: IdSet<String>,
    /// The value, encrypted under the secret's key (a ciphertext blob, base64).
    pub ciphertext: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A secret: metadata with its creator, and encrypted versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// The name.
    pub name: SecretName,
    /// The instance holding it.
    pub instance: InstanceId,
    /// The account that created it.
    pub creator: AccountId,
    /// The key its values are encrypted under (same instance, CR-4).
    pub key: KeyId,
    /// Versions, oldest first.
    pub versions: Vec<SecretVersion>,
    /// When deletion is due, if scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_at: Option<Timestamp>,
    /// Rotation interval in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_interval: Option<u64>,
    /// Tags.
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// An application access point (metadata with creator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPoint {
    /// The name.
    pub name: RamName,
    /// The instance.
    pub instance: InstanceId,
    /// The creator account.
    pub creator: AccountId,
}

/// A backup of a key or secret (metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    /// The backup id.
    pub id: String,
    /// The ARN of what was backed up.
    pub resource: String,
    /// The instance.
    pub instance: InstanceId,
    /// When.
    pub created_at: Timestamp,
}

/// The RAM side of one account: users, roles, custom policies and attachments (RAM-1).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RamAccount {
    /// Users and the policy names attached to each.
    pub users: IdMap<RamName, IdSet<RamName>>,
    /// Roles and the policy names attached to each.
    pub roles: IdMap<RamName, IdSet<RamName>>,
    /// Custom policies.
    pub policies: IdMap<RamName, Policy>,
    /// Each role's trust policy (`AssumeRolePolicyDocument`, crate::trust), as given.
    #[serde(default, skip_serializing_if = "IdMap::is_empty")]
    pub trust: IdMap<RamName, serde_json::Value>,
}

/// What part of an organization an import could not read (README Semantics 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum GapPart {
    /// The directory itself: its folders or accounts.
    Directory,
    /// Nothing of the account could be read (it could not be reached).
    Account,
    /// The account's RAM users, roles or their attached policies.
    Ram,
    /// One policy's document (`subject` names it).
    Policy,
    /// The account's KMS instances, keys, aliases or secrets.
    Kms,
    /// The account's resource shares.
    Sharing,
}

/// Something an import could not read, and why: listed in the state document, reported
/// by the review, and what makes a decision that depends on it undetermined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    /// What is missing.
    pub part: GapPart,
    /// The account it belongs to (none for the directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountId>,
    /// The policy, instance or other resource it concerns, when one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// The vendor call that failed (`ram:ListUsers`, `sts:AssumeRole`).
    pub call: String,
    /// Its error code (`NoPermission`, `Throttling.User`).
    pub code: String,
    /// Its message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Gap {
    /// Whether this gap hides what the `kind` (`user` or `role`) `name` of its account may
    /// do: the account or its RAM identities were not read, or that identity's
    /// attachments, or one of the policies `attached` to it.
    pub fn hides_ram_of(&self, kind: &str, name: &str, attached: Option<&IdSet<RamName>>) -> bool {
        match self.part {
            GapPart::Account => true,
            GapPart::Ram => {
                self.subject.is_empty()
                    || self.subject.strip_prefix(kind).and_then(|r| r.strip_prefix('/')) == Some(name)
            }
            GapPart::Policy => attached.is_some_and(|a| a.iter().any(|p| p.as_str() == self.subject)),
            GapPart::Directory | GapPart::Kms | GapPart::Sharing => false,
        }
    }
}

// How each record is read (crate::json): its JSON fields, `default` where one may be
// absent. The names are those serde writes (camelCase).
unit_enum! {
    GapPart { Directory, Account, Ram, Policy, Kms, Sharing }
    JoinMethod { Created, Invited, Management }
    InvitationStatus { Pending, Accepted, Declined }
    InstanceKind { Software, Hardware }
    InstanceState { Enabled, Disabled }
    SharingMode { Independent, Joint, Unknown }
    AssociationState { Associating, Associated, Failed, Disassociated }
    ShareState { Active, Deleting, Deleted }
}
record!(Limits { "maxFolders" max_folders, "maxDepth" max_depth, "maxMembers" max_members default });
record!(Account {
    "id" id, "name" name default, "displayName" display_name default, "enterpriseId" enterprise_id default,
    "canPay" can_pay,
});
record!(Folder { "id" id, "name" name, "parent" parent default, "depth" depth });
record!(Member {
    "account" account, "folder" folder, "billingAccount" billing_account, "joinedBy" joined_by,
    "tags" tags default, "seq" seq,
});
record!(Invitation {
    "id" id, "account" account, "remark" remark default, "tags" tags default, "parentFolder" parent_folder,
    "status" status,
});
record!(Directory {
    "id" id, "enterpriseId" enterprise_id, "managementAccount" management_account, "rootFolder" root_folder,
    "folders" folders, "members" members, "invitations" invitations default, "sharingEnabled" sharing_enabled,
    "serviceLinkedRoles" service_linked_roles default, "limits" limits,
});
record!(Instance {
    "id" id, "kind" kind, "region" region, "owner" owner, "state" state, "quota" quota, "vpcs" vpcs default,
    "sharingMode" sharing_mode default,
});
record!(Association { "state" state, "reason" reason default, "updatedAt" updated_at, "seq" seq });
record!(SharePermission { "name" name, "version" version default });
record!(Share {
    "id" id, "name" name, "owner" owner, "state" state, "resources" resources, "principals" principals,
    "permissions" permissions, "seq" seq,
});
record!(KeyVersion { "version" version, "createdAt" created_at, "encryptions" encryptions, "handle" handle });
record!(Key {
    "id" id, "instance" instance, "creator" creator, "spec" spec, "description" description default,
    "state" state, "deletionProtection" deletion_protection, "rotationInterval" rotation_interval default,
    "nextRotationAt" next_rotation_at default, "versions" versions, "tags" tags default, "createdAt" created_at,
});
record!(Alias { "name" name, "key" key, "instance" instance, "creator" creator });
record!(SecretVersion { "versionId" version_id, "stages" stages, "ciphertext" ciphertext, "createdAt" created_at });
record!(Secret {
    "name" name, "instance" instance, "creator" creator, "key" key, "versions" versions,
    "deleteAt" delete_at default, "rotationInterval" rotation_interval default, "tags" tags default,
    "description" description default, "createdAt" created_at,
});
record!(AccessPoint { "name" name, "instance" instance, "creator" creator });
record!(Backup { "id" id, "resource" resource, "instance" instance, "createdAt" created_at });
record!(Gap {
    "part" part, "account" account default, "subject" subject default, "call" call, "code" code,
    "message" message default,
});
record!(RamAccount { "users" users default, "roles" roles default, "policies" policies default, "trust" trust default });
crate::json::deserialize_via_json!(KeyState, SharePermissions);
crate::json::to_value_via_serde!(Instance, Share);

impl crate::json::ToValue for SharePermission {
    fn to_value(&self) -> serde_json::Value {
        crate::json::fields(&mut [("name", self.name.to_value()), ("version", self.version.to_value())])
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use alloc::string::ToString;

    /// Tags hold no map while there are none, whatever way they came to be empty, and
    /// read, write, compare and iterate as the map they hold.
    #[test]
    fn tags_without_a_map_while_empty_and_as_the_map_otherwise() {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        let map: IdMap<String, String> = [pair("team", "b"), pair("env", "prod")].into_iter().collect();
        let mut tags = Tags::from(map.clone());
        assert_eq!((tags.len(), tags.get("env").map(String::as_str)), (2, Some("prod")));
        assert!(tags.iter().eq(map.iter()) && (&tags).into_iter().rev().eq(map.iter().rev()));
        assert_eq!(serde_json::to_string(&tags).unwrap(), serde_json::to_string(&map).unwrap());
        assert_eq!(crate::json::ToValue::to_value(&tags), crate::json::ToValue::to_value(&map));
        let text = r#"{"env":"prod","team":"b"}"#;
        let fast: Tags = crate::fastjson::FastRead::fast(&mut serde_json::Deserializer::from_str(text)).unwrap();
        let slow = Tags::from_json(serde_json::from_str(text).unwrap()).unwrap();
        assert!(fast == tags && slow == tags);
        assert_eq!(tags.insert("env".to_string(), "dev".to_string()).as_deref(), Some("prod"));
        assert_eq!(tags.remove("team").as_deref(), Some("b"));
        assert_eq!(tags.remove("team"), None);
        assert_eq!(tags.remove("env").as_deref(), Some("dev"));
        for empty in [tags, Tags::from(IdMap::new()), Tags::new(), Tags::from_json(serde_json::json!({})).unwrap()] {
            assert!(empty.0.is_none() && empty.is_empty() && empty == Tags::default());
            assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        }
        let mut grown = Tags::new();
        grown.extend([pair("env", "prod"), pair("team", "b")]);
        assert!(grown == Tags::from(map) && grown != Tags::new());
    }

    /// A key's versions keep their first in the record, and read, write and slice as the
    /// list they are whatever their number (CR-1); short text is its text, inline or not.
    #[test]
    fn versions_read_write_and_slice_as_the_list_they_are_at_every_size() {
        let long = "sw:".to_string() + &"k".repeat(40) + "/v1";
        let version = |n: u32| KeyVersion {
            version: n,
            created_at: 10 + u64::from(n),
            encryptions: 0,
            handle: ShortText::from(if n == 4 { long.as_str() } else { "sw:key-1/v1" }),
        };
        let mut versions = Versions::new();
        let mut list = Vec::new();
        for n in 0..4 {
            assert_eq!((versions.len(), &versions[..]), (list.len(), &list[..]));
            assert!(matches!(versions.0, VersionsRepr::One(_)) == (n == 1), "{n} versions");
            assert_eq!(serde_json::to_string(&versions).unwrap(), serde_json::to_string(&list).unwrap());
            let text = serde_json::to_string(&list).unwrap();
            let fast: Versions =
                crate::fastjson::FastRead::fast(&mut serde_json::Deserializer::from_str(&text)).unwrap();
            let slow = Versions::from_json(serde_json::from_str(&text).unwrap()).unwrap();
            assert!(fast == versions && slow == versions && Versions::from(list.clone()) == versions);
            if let [only] = &list[..] {
                assert!(Versions::from(only.clone()) == versions);
            }
            versions.push(version(n + 1));
            list.push(version(n + 1));
        }
        for v in &mut versions {
            v.encryptions += 1;
        }
        assert_eq!(versions.iter().map(|v| v.encryptions).sum::<u64>(), 4);
        assert_eq!(versions.last().map(|v| v.handle.as_str()), Some(long.as_str()));
        assert_eq!(versions[0].handle.to_string(), "sw:key-1/v1");
        assert!(ShortText::from(long.clone()) == ShortText::from(long.as_str()) && ShortText::default().is_empty());
        // The handle of a key id the engine makes is kept inline; longer text is not.
        let engine_made = ShortText::from("sw:key-0123456789abcdef/v9999");
        assert!(matches!(engine_made.0, crate::idtext::IdText::Inline { .. }) && engine_made.len() == 29);
        assert!(matches!(versions[3].handle.0, crate::idtext::IdText::Heap(_)));
        assert_eq!(core::mem::size_of::<ShortText>(), 32);
        assert_eq!(crate::json::ToValue::to_value(&versions[3].handle), serde_json::json!(long));
    }
}
