//! Version 1 of the scenario vocabulary, kept so that every version 1 document runs
//! unchanged: a call in version 1's names is mapped onto the vendor's call (parameters
//! renamed where they differ), run by the one driver, and its result written back in
//! version 1's shape. `docs/scenario-format.md` ("Version 1") lists the mapping;
//! `tests/scenarios-v1/` is the corpus that proves it.
//!
//! Version 1 results hold things the vendor's responses do not (a key's version as a
//! number, the accounts an instance gains when it joins a share, where a moved account
//! came from): they are read from the state after the call, or noted before it.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

use crate::action::Action;
use crate::engine::{to_json, Call, Engine, Response};
use crate::error::Result;
use crate::idmap::IdSet;
use crate::ids::*;
use crate::json::ToValue;
use crate::model::*;
use crate::ops::Via;
use crate::state::{next_rotation, State};

/// Version 1's parameter names that the vendor's calls spell otherwise: (action,
/// version 1, vendor).
const RENAMED: &[(Action, &str, &str)] = &[
    (Action::CreateKey, "InstanceId", "DKMSInstanceId"),
    (Action::GetKmsInstance, "InstanceId", "KmsInstanceId"),
    (Action::CreateApplicationAccessPoint, "InstanceId", "KmsInstanceId"),
    (Action::CreateResourceAccount, "AccountName", "AccountNamePrefix"),
    (Action::CreateResourceAccount, "Tags", "Tag"),
    (Action::InviteAccountToResourceDirectory, "Tags", "Tag"),
];

/// Where a field of a version 1 result comes from.
enum From {
    /// The vendor's result, at this path.
    Result(&'static [&'static str]),
    /// The call's parameter.
    Param(&'static str),
    /// The key the call named.
    Key,
    /// This text.
    Text(&'static str),
    /// `true`.
    True,
    /// `1`.
    One,
}

/// The version 1 results that are fields picked from the vendor's result, the call or
/// constants, in version 1's order.
const PICKED: &[(Action, &[(&str, From)])] = {
    use From::*;
    const DIRECTORY: &str = "ResourceDirectory";
    &[
        (
            Action::EnableResourceDirectory,
            &[
                ("ResourceDirectoryId", Result(&[DIRECTORY, "ResourceDirectoryId"])),
                ("RootFolderId", Result(&[DIRECTORY, "RootFolderId"])),
                ("MasterAccountId", Result(&[DIRECTORY, "MasterAccountId"])),
            ],
        ),
        (Action::CreateFolder, &[("FolderId", Result(&["Folder", "FolderId"]))]),
        (
            Action::AcceptHandshake,
            &[("HandshakeId", Result(&["Handshake", "HandshakeId"])), ("Status", Result(&["Handshake", "Status"]))],
        ),
        (
            Action::DeclineHandshake,
            &[("HandshakeId", Result(&["Handshake", "HandshakeId"])), ("Status", Result(&["Handshake", "Status"]))],
        ),
        (
            Action::EnableSharingWithResourceDirectory,
            &[("SharingEnabled", True), ("ServiceLinkedRole", Text(crate::ops::SHARING_ROLE))],
        ),
        (Action::DeleteResourceShare, &[("ResourceShareId", Param("ResourceShareId")), ("State", Text("Deleted"))]),
        (
            Action::CreateKey,
            &[
                ("KeyId", Result(&["KeyMetadata", "KeyId"])),
                ("Arn", Result(&["KeyMetadata", "Arn"])),
                ("InstanceId", Result(&["KeyMetadata", "DKMSInstanceId"])),
                ("KeyVersion", One),
                ("Creator", Result(&["KeyMetadata", "Creator"])),
            ],
        ),
        (Action::EnableKey, &[("KeyId", Key), ("KeyState", Text("Enabled"))]),
        (Action::DisableKey, &[("KeyId", Key), ("KeyState", Text("Disabled"))]),
        (Action::CancelKeyDeletion, &[("KeyId", Key), ("KeyState", Text("Enabled"))]),
        (Action::DeleteAlias, &[("AliasName", Param("AliasName"))]),
        (
            Action::CreateSecret,
            &[
                ("Arn", Result(&["Arn"])),
                ("SecretName", Result(&["SecretName"])),
                ("VersionId", Result(&["VersionId"])),
                ("InstanceId", Result(&["DKMSInstanceId"])),
            ],
        ),
        (
            Action::GetSecretValue,
            &[
                ("SecretName", Result(&["SecretName"])),
                ("VersionId", Result(&["VersionId"])),
                ("VersionStages", Result(&["VersionStages", "VersionStage"])),
                ("SecretData", Result(&["SecretData"])),
            ],
        ),
        (
            Action::PutSecretValue,
            &[
                ("SecretName", Result(&["SecretName"])),
                ("VersionId", Result(&["VersionId"])),
                ("VersionStages", Result(&["VersionStages", "VersionStage"])),
            ],
        ),
        (Action::RestoreSecret, &[("SecretName", Result(&["SecretName"]))]),
        (
            Action::CreateApplicationAccessPoint,
            &[("Arn", Result(&["Arn"])), ("Name", Result(&["Name"])), ("InstanceId", Param("InstanceId"))],
        ),
    ]
};

/// What a version 1 result needs from before the call.
#[derive(Default)]
struct Before {
    /// The key or secret the call names, resolved as the caller sees it.
    key: Option<KeyId>,
    secret: Option<String>,
    /// MoveAccount: the member's folder.
    folder: Option<FolderId>,
    /// AssociateResourceShare: per instance named, the accounts its principals reach
    /// that were not admitted yet (RS-5).
    gained: Vec<(InstanceId, Vec<AccountId>)>,
}

impl Engine {
    /// Run a call in version 1's vocabulary (see the module doc).
    pub(crate) fn execute_v1(&mut self, call: &Call, via: Via) -> Result<Response> {
        let action = Action::parse(&call.action);
        let before = action.map(|a| self.note_before(a, call)).unwrap_or_default();
        let mut vendor = call.clone();
        if let Some(a) = action {
            vendor.params = vendor_params(a, &call.params);
        }
        let out = self.drive(&vendor, via);
        let Some(a) = action else { return out };
        match out {
            Ok(mut r) => {
                r.result = self.v1_result(a, call, &r.result, before);
                Ok(r)
            }
            Err(mut e) => {
                if let Some((_, old, _)) =
                    RENAMED.iter().find(|(x, _, new)| *x == a && e.field.as_deref() == Some(*new))
                {
                    e.field = Some(old.to_string());
                }
                Err(e)
            }
        }
    }

    fn note_before(&self, a: Action, call: &Call) -> Before {
        let p = &call.params;
        let text = |name: &str| p.get(name).and_then(Value::as_str).unwrap_or("").to_string();
        let account = &call.caller.account;
        let mut b = Before::default();
        match a {
            Action::MoveAccount => {
                b.folder = AccountId::parse(&text("AccountId"))
                    .ok()
                    .and_then(|id| self.state.directory.as_ref()?.members.get(&id).map(|m| m.folder.clone()));
            }
            Action::AssociateResourceShare => b.gained = self.gained(call),
            Action::ReEncrypt | Action::Decrypt => {}
            Action::DescribeSecret
            | Action::UpdateSecretRotationPolicy
            | Action::TagResource
            | Action::UntagResource
            | Action::GetSecretValue
            | Action::PutSecretValue
            | Action::DeleteSecret
            | Action::RestoreSecret
                if p.get("SecretName").is_some() =>
            {
                b.secret = self.resolve_secret("SecretName", &text("SecretName"), account).ok();
            }
            Action::DeleteAlias => b.key = self.resolve_key("AliasName", &text("AliasName"), account).ok(),
            _ => {
                if p.get("KeyId").is_some() {
                    b.key = self.resolve_key("KeyId", &text("KeyId"), account).ok();
                }
            }
        }
        b
    }

    /// Per instance named in an AssociateResourceShare, the accounts the share's
    /// principals reach that are not admitted to it yet (what version 1 reported as
    /// `AccountsGainingAccess`).
    fn gained(&self, call: &Call) -> Vec<(InstanceId, Vec<AccountId>)> {
        let st = &self.state;
        let share = call
            .params
            .get("ResourceShareId")
            .and_then(Value::as_str)
            .and_then(|s| ShareId::parse(s).ok())
            .and_then(|id| st.shares.get(&id));
        let Some(share) = share else { return Vec::new() };
        let principals: Vec<&Principal> =
            share.principals.iter().filter(|(_, a)| a.state == AssociationState::Associated).map(|(p, _)| p).collect();
        resources(&call.params)
            .into_iter()
            .filter_map(|inst| {
                let owner = &st.instances.get(&inst)?.owner;
                let mut gained: IdSet<AccountId> = IdSet::new();
                for p in &principals {
                    gained.extend(
                        st.resolve_principal(p).into_iter().filter(|a| a != owner && !st.is_admitted(&inst, a)),
                    );
                }
                Some((inst, gained.into_iter().collect()))
            })
            .collect()
    }

    /// The result version 1 gave for `a`, from the vendor's `result` and the state now.
    fn v1_result(&self, a: Action, call: &Call, result: &Value, before: Before) -> Value {
        let st = &self.state;
        let p = &call.params;
        let param = |name: &str| pick(p, &[name]);
        let get = |path: &[&str]| pick(result, path);
        let key = before.key.as_ref().and_then(|k| st.keys.get(k));
        let key_id = || before.key.to_value();
        let secret_name = || before.secret.as_ref().and_then(|s| st.secrets.get(s)).map(|s| s.name.to_value());
        let version = |id: &Value| key.and_then(|k| crate::ops::version_of(k, id.as_str()?));
        if let Some((_, fields)) = PICKED.iter().find(|(x, _)| *x == a) {
            let value = |from: &From| match from {
                From::Result(path) => get(path),
                From::Param(name) => param(name),
                From::Key => key_id(),
                From::Text(t) => Value::String((*t).to_string()),
                From::True => Value::Bool(true),
                From::One => Value::from(1u32),
            };
            return Value::Object(fields.iter().map(|(k, f)| ((*k).to_string(), value(f))).collect());
        }
        match a {
            Action::CreateResourceAccount => {
                let id = get(&["Account", "AccountId"]);
                let billing = id
                    .as_str()
                    .and_then(|i| AccountId::parse(i).ok())
                    .and_then(|i| st.directory.as_ref()?.members.get(&i).map(|m| m.billing_account.clone()));
                obj!("AccountId": id, "FolderId": get(&["Account", "FolderId"]), "BillingAccountId": billing)
            }
            Action::InviteAccountToResourceDirectory => {
                let invited = targets(p, true);
                let handshakes: Vec<Value> =
                    invited
                        .iter()
                        .filter_map(|t| {
                            let inv =
                                st.directory.as_ref()?.invitations.values().find(|i| {
                                    i.account.as_str() == t.as_str() && i.status == InvitationStatus::Pending
                                })?;
                            Some(obj!("HandshakeId": inv.id, "TargetEntity": inv.account, "Status": "Pending"))
                        })
                        .collect();
                obj!("Handshakes": handshakes)
            }

            Action::MoveAccount => obj!(
                "AccountId": param("AccountId"),
                "SourceFolderId": before.folder,
                "DestinationFolderId": param("DestinationFolderId"),
            ),

            Action::CreateResourceShare | Action::AssociateResourceShare => {
                let id = if a == Action::CreateResourceShare {
                    get(&["ResourceShare", "ResourceShareId"])
                } else {
                    param("ResourceShareId")
                };
                let share = id.as_str().and_then(|s| ShareId::parse(s).ok()).and_then(|s| st.shares.get(&s));
                let res: Vec<Value> = resources(p)
                    .into_iter()
                    .map(|inst| {
                        let gained =
                            before.gained.iter().find(|(i, _)| *i == inst).map(|(_, g)| g.clone()).unwrap_or_default();
                        obj!("ResourceId": inst, "Status": "Associated", "AccountsGainingAccess": gained)
                    })
                    .collect();
                let prin: Vec<Value> = targets(p, false)
                    .iter()
                    .filter_map(|t| {
                        let pr = Principal::parse(t).ok()?;
                        let asso = share?.principals.get(&pr)?;
                        Some(obj!("Target": pr.id(), "Status": asso.state, "StatusMessage": asso.reason))
                    })
                    .collect();
                obj!("ResourceShareId": id, "Resources": res, "Principals": prin)
            }
            Action::DisassociateResourceShare => {
                let mut gone: Vec<String> = targets(p, false)
                    .iter()
                    .filter_map(|t| Principal::parse(t).ok())
                    .map(|t| t.id().to_string())
                    .collect();
                gone.extend(resources(p).into_iter().map(|r| r.to_string()));
                obj!("ResourceShareId": param("ResourceShareId"), "Disassociated": gone)
            }
            Action::AssociateResourceSharePermission | Action::DisassociateResourceSharePermission => {
                let id = param("ResourceShareId");
                let perms = id
                    .as_str()
                    .and_then(|s| ShareId::parse(s).ok())
                    .and_then(|s| st.shares.get(&s))
                    .map(|s| s.permissions.iter().cloned().collect::<Vec<_>>())
                    .unwrap_or_default();
                obj!("ResourceShareId": id, "Permissions": perms)
            }
            Action::CreateUser | Action::CreateRole | Action::CreatePolicy => {
                let name = ["UserName", "RoleName", "PolicyName"].into_iter().map(param).find(|v| !v.is_null());
                obj!("Account": call.caller.account, "Name": name)
            }
            Action::AttachPolicyToUser
            | Action::AttachPolicyToRole
            | Action::DetachPolicyFromUser
            | Action::DetachPolicyFromRole => {
                let name = ["UserName", "RoleName"].into_iter().map(param).find(|v| !v.is_null());
                obj!("Account": call.caller.account, "Name": name)
            }

            Action::DescribeKey => obj!("KeyMetadata": key.map(|k| key_metadata(k, &st.aliases_of(&k.id), st))),

            Action::CreateKeyVersion => {
                obj!("KeyId": key_id(), "KeyVersion": version(&get(&["KeyVersion", "KeyVersionId"])))
            }
            Action::UpdateRotationPolicy => {
                obj!("KeyId": key_id(), "RotationInterval": key.and_then(|k| k.rotation_interval))
            }
            Action::ScheduleKeyDeletion => {
                let at = key.and_then(|k| match k.state {
                    KeyState::PendingDeletion { delete_at } => Some(crate::time::format(delete_at)),
                    _ => None,
                });
                obj!("KeyId": key_id(), "KeyState": "PendingDeletion", "DeleteAt": at)
            }

            Action::SetDeletionProtection => {
                obj!("KeyId": key_id(), "DeletionProtection": key.map(|k| k.deletion_protection))
            }
            Action::CreateAlias => obj!("KeyId": key_id(), "AliasName": before.key.as_ref().map(|k| st.aliases_of(k))),

            Action::TagResource | Action::UntagResource => match secret_name() {
                Some(name) => obj!(
                    "SecretName": name,
                    "Tags": before.secret.as_ref().and_then(|s| st.secrets.get(s)).map(|s| s.tags.clone()),
                ),
                None => obj!("KeyId": key_id(), "Tags": key.map(|k| k.tags.clone())),
            },
            Action::Encrypt | Action::GenerateDataKeyWithoutPlaintext | Action::GenerateDataKey | Action::ReEncrypt => {
                let id = get(&["KeyId"]);
                let k = id.as_str().and_then(|i| KeyId::parse(i).ok()).and_then(|i| st.keys.get(&i));
                let n = k.and_then(|k| crate::ops::version_of(k, get(&["KeyVersionId"]).as_str()?));
                let mut out = obj!("KeyId": id, "KeyVersion": n);
                if let Some(o) = out.as_object_mut() {
                    if a == Action::ReEncrypt {
                        o.insert("SourceKeyId".to_string(), blob_key(p));
                    }
                    o.insert("CiphertextBlob".to_string(), get(&["CiphertextBlob"]));
                    if a == Action::GenerateDataKey {
                        o.insert("Plaintext".to_string(), get(&["Plaintext"]));
                    }
                }
                out
            }
            Action::Decrypt => {
                let id = get(&["KeyId"]);
                let k = id.as_str().and_then(|i| KeyId::parse(i).ok()).and_then(|i| st.keys.get(&i));
                let n = k.and_then(|k| crate::ops::version_of(k, get(&["KeyVersionId"]).as_str()?));
                obj!("KeyId": id, "KeyVersion": n, "Plaintext": get(&["Plaintext"]))
            }

            Action::DescribeSecret => match before.secret.as_ref().and_then(|arn| Some((arn, st.secrets.get(arn)?))) {
                Some((arn, s)) => secret_metadata(arn, s),
                None => Value::Null,
            },
            Action::DeleteSecret => {
                if p.get("ForceDeleteWithoutRecovery").is_some_and(|f| f == true || f == "true") {
                    obj!("SecretName": get(&["SecretName"]), "Deleted": true)
                } else {
                    obj!("SecretName": get(&["SecretName"]), "PlannedDeleteTime": get(&["PlannedDeleteTime"]))
                }
            }

            Action::UpdateSecretRotationPolicy => obj!(
                "SecretName": get(&["SecretName"]),
                "RotationInterval": before.secret.as_ref().and_then(|s| st.secrets.get(s)).and_then(|s| s.rotation_interval),
            ),
            Action::GetKmsInstance => {
                let inst = param("InstanceId").as_str().and_then(|i| InstanceId::parse(i).ok());
                match inst.and_then(|i| st.instances.get(&i)) {
                    Some(i) => crate::ops::instance_view(self, i),
                    None => Value::Null,
                }
            }

            Action::LookupEvents => {
                let events = get(&["Events"]);
                let n = events.as_array().map(Vec::len).unwrap_or(0);
                obj!("Events": events, "Count": n)
            }
            // The simulator's own calls speak the same in both versions.
            _ => result.clone(),
        }
    }
}

/// The value at `path` in `v`, or `null`. Not inlined: version 1's results pick some
/// forty fields this way.
#[inline(never)]
fn pick(v: &Value, path: &[&str]) -> Value {
    path.iter().try_fold(v, |v, k| v.get(*k)).cloned().unwrap_or(Value::Null)
}

/// The vendor's parameters for a version 1 call.
fn vendor_params(a: Action, params: &Value) -> Value {
    let Value::Object(m) = params else { return params.clone() };
    let mut out = Map::new();
    for (k, v) in m {
        let new = RENAMED.iter().find(|(x, old, _)| *x == a && old == k).map(|(_, _, new)| *new).unwrap_or(k.as_str());
        let v = match (a, k.as_str(), v) {
            // Version 1 took a list of invitees; the vendor takes them comma-separated.
            (Action::InviteAccountToResourceDirectory, "TargetEntity", Value::Array(items)) => {
                let all: Vec<&str> = items.iter().map(|i| i.as_str().unwrap_or("\u{0}")).collect();
                Value::String(all.join(","))
            }
            _ => v.clone(),
        };
        out.insert(new.to_string(), v);
    }
    if a == Action::LookupEvents {
        if let Some(action) = out.remove("EventAction") {
            out.insert("LookupAttribute".to_string(), serde_json::json!([{"Key": "EventName", "Value": action}]));
        }
        // Version 1 read up to 1,000 events by default and capped larger asks at 10,000.
        let max = out.get("MaxResults").and_then(Value::as_u64).unwrap_or(1000).min(10_000);
        out.insert("MaxResults".to_string(), Value::from(max));
    }
    Value::Object(out)
}

/// The instances a call's `Resources` names (ids, or `{"ResourceId": ..}` objects).
fn resources(params: &Value) -> Vec<InstanceId> {
    let items = match params.get("Resources") {
        Some(Value::Array(a)) => a.clone(),
        Some(other) => alloc::vec![other.clone()],
        None => Vec::new(),
    };
    items
        .iter()
        .filter_map(|it| match it {
            Value::String(s) => Some(s.as_str()),
            Value::Object(m) => m.get("ResourceId").and_then(Value::as_str),
            _ => None,
        })
        .filter_map(|s| InstanceId::parse(s).ok())
        .collect()
}

/// The principals (`Targets`) or invitees (`TargetEntity`) a call names, in order.
fn targets(params: &Value, invitees: bool) -> Vec<String> {
    let name = if invitees { "TargetEntity" } else { "Targets" };
    match params.get(name) {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) if invitees => {
            s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
        }
        Some(Value::String(s)) => alloc::vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The key a `CiphertextBlob` names.
fn blob_key(params: &Value) -> Value {
    let b = params.get("CiphertextBlob").and_then(Value::as_str).unwrap_or("");
    crate::crypto::b64_decode("CiphertextBlob", b)
        .ok()
        .and_then(|raw| crate::crypto::blob::decode(&raw).ok().map(|(h, _)| Value::String(h.key_id)))
        .unwrap_or(Value::Null)
}

/// A key's metadata as version 1's DescribeKey gave it.
fn key_metadata(k: &Key, aliases: &[AliasName], state: &State) -> Value {
    let (st, delete_at) = match k.state {
        KeyState::Enabled => ("Enabled", None),
        KeyState::Disabled => ("Disabled", None),
        KeyState::PendingDeletion { delete_at } => ("PendingDeletion", Some(crate::time::format(delete_at))),
    };
    obj!(
        "KeyId": k.id,
        "Arn": state.key_arn(k),
        "InstanceId": k.instance,
        "Creator": k.creator,
        "KeySpec": k.spec,
        "KeyState": st,
        "DeleteDate": delete_at,
        "DeletionProtection": if k.deletion_protection { "Enabled" } else { "Disabled" },
        "CurrentKeyVersion": k.versions.last().map(|v| v.version),
        "KeyVersions": k.versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        "RotationInterval": k.rotation_interval,
        "AutomaticRotation": crate::ops::automatic_rotation(k),
        "NextRotationDate": next_rotation(k).map(crate::time::format),
        "Aliases": aliases,
        "Tags": k.tags,
        "Description": k.description,
        "CreationDate": crate::time::format(k.created_at),
    )
}

/// A secret's metadata as version 1's DescribeSecret gave it.
fn secret_metadata(arn: &str, s: &Secret) -> Value {
    obj!(
        "Arn": arn,
        "SecretName": s.name,
        "InstanceId": s.instance,
        "Creator": s.creator,
        "EncryptionKeyId": s.key,
        "Versions": s.versions.iter().map(|v| obj!("VersionId": v.version_id, "VersionStages": v.stages)).collect::<Vec<_>>(),
        "PlannedDeleteTime": s.delete_at.map(crate::time::format),
        "RotationInterval": s.rotation_interval,
        "Tags": s.tags,
        "Description": s.description,
    )
}

/// One step of a path into a result: an object's key or a list's position.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

/// Where version 1's result path `path` of action `a` is in the vendor's result, if it
/// is there at all; `params` are the step's (version 1) parameters.
fn vendor_path(a: Action, path: &[Seg], params: &Value) -> Option<Vec<Seg>> {
    use Action as A;
    let first = match path.first()? {
        Seg::Key(k) => k.as_str(),
        Seg::Index(_) => return None,
    };
    let rest = path.get(1..).unwrap_or(&[]);
    let under = |wrapper: &str, name: &str| {
        let mut p = alloc::vec![key(wrapper), key(name)];
        p.extend_from_slice(rest);
        Some(p)
    };
    let same = || Some(path.to_vec());
    match (a, first) {
        (A::EnableResourceDirectory, "ResourceDirectoryId" | "RootFolderId" | "MasterAccountId") => {
            under("ResourceDirectory", first)
        }
        (A::CreateFolder, "FolderId") => under("Folder", first),
        (A::CreateResourceAccount, "AccountId" | "FolderId") => under("Account", first),
        (A::InviteAccountToResourceDirectory, "Handshakes") => match (rest.first(), rest.get(1)) {
            (Some(Seg::Index(0)), Some(Seg::Key(f))) => Some(alloc::vec![key("Handshake"), key(f)]),
            _ => None,
        },
        (A::AcceptHandshake | A::DeclineHandshake, "HandshakeId" | "Status") => under("Handshake", first),
        (A::CreateResourceShare, "ResourceShareId") => under("ResourceShare", first),
        (A::AssociateResourceShare, "Resources" | "Principals") => {
            let (Some(Seg::Index(i)), Some(Seg::Key(f))) = (rest.first(), rest.get(1)) else { return None };
            let offset = if first == "Principals" { resources(params).len() } else { 0 };
            let field = match f.as_str() {
                "ResourceId" | "Target" => "EntityId",
                "Status" => "AssociationStatus",
                "StatusMessage" => "AssociationStatusMessage",
                _ => return None,
            };
            Some(alloc::vec![key("ResourceShareAssociations"), Seg::Index(offset + i), key(field)])
        }
        (A::DisassociateResourceShare, "Disassociated") => {
            let Some(Seg::Index(i)) = rest.first() else { return None };
            // Version 1 listed the principals, then the instances; the vendor, the other way round.
            let (nres, ntgt) = (resources(params).len(), targets(params, false).len());
            let at = if *i < ntgt { nres + i } else { i - ntgt };
            Some(alloc::vec![key("ResourceShareAssociations"), Seg::Index(at), key("EntityId")])
        }
        (A::CreateUser, "Name") => under("User", "UserName"),
        (A::CreateRole, "Name") => under("Role", "RoleName"),
        (A::CreatePolicy, "Name") => under("Policy", "PolicyName"),
        (A::CreateKey, "KeyId" | "Arn" | "Creator") => under("KeyMetadata", first),
        (A::CreateKey, "InstanceId") => under("KeyMetadata", "DKMSInstanceId"),
        (A::DescribeKey, "KeyMetadata") => match rest.first() {
            Some(Seg::Key(f)) if f == "InstanceId" => Some(alloc::vec![key("KeyMetadata"), key("DKMSInstanceId")]),
            Some(Seg::Key(f))
                if [
                    "KeyId",
                    "Arn",
                    "Creator",
                    "KeySpec",
                    "KeyState",
                    "DeleteDate",
                    "DeletionProtection",
                    "AutomaticRotation",
                    "NextRotationDate",
                    "Description",
                    "CreationDate",
                ]
                .contains(&f.as_str()) =>
            {
                same()
            }
            _ => None,
        },
        (A::CreateKeyVersion, "KeyId") => under("KeyVersion", "KeyId"),
        (
            A::Encrypt | A::GenerateDataKey | A::GenerateDataKeyWithoutPlaintext | A::ReEncrypt | A::Decrypt,
            "KeyId" | "CiphertextBlob" | "Plaintext",
        ) => same(),
        (A::CreateSecret, "Arn" | "SecretName" | "VersionId") => same(),
        (A::CreateSecret | A::DescribeSecret, "InstanceId") => Some(alloc::vec![key("DKMSInstanceId")]),
        (A::GetSecretValue | A::PutSecretValue, "SecretName" | "VersionId" | "SecretData") => same(),
        (A::GetSecretValue | A::PutSecretValue, "VersionStages") => under("VersionStages", "VersionStage"),
        (A::DescribeSecret, "Arn" | "SecretName" | "EncryptionKeyId" | "Description" | "PlannedDeleteTime") => same(),
        (A::DeleteSecret, "SecretName" | "PlannedDeleteTime") => same(),
        (A::RestoreSecret | A::UpdateSecretRotationPolicy, "SecretName") => same(),
        (A::CreateApplicationAccessPoint, "Arn" | "Name") => same(),
        (A::LookupEvents, "Events") => same(),
        (A::GetKmsInstance, "Instance") => match rest.first() {
            Some(Seg::Key(f)) if f == "id" => Some(alloc::vec![key("KmsInstance"), key("InstanceId")]),
            _ => None,
        },
        (A::WhatIf, "Steps") => match (rest.first(), rest.get(1)) {
            // A previewed step's result, in its own action's terms.
            (Some(Seg::Index(i)), Some(Seg::Key(r))) if r == "result" => {
                let step = params.get("Steps")?.get(*i)?;
                let inner = Action::parse(step.get("action")?.as_str()?)?;
                let mapped =
                    vendor_path(inner, rest.get(2..).unwrap_or(&[]), step.get("params").unwrap_or(&Value::Null))?;
                let mut p = alloc::vec![key("Steps"), Seg::Index(*i), key("result")];
                p.extend(mapped);
                Some(p)
            }
            _ => same(),
        },
        _ if a.spec().product == crate::action::Product::Simulator => same(),
        _ => None,
    }
}

/// The leaves of a JSON value with their paths (empty objects and lists are leaves).
fn leaves(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                path.push(Seg::Key(k.clone()));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        other => out.push((path.clone(), other.clone())),
    }
}

/// Put `value` at `path` in `root`, making objects and lists (padded with `{}`, which a
/// subset matches whatever it stands for) on the way.
fn put(root: &mut Value, path: &[Seg], value: Value) {
    let Some((head, tail)) = path.split_first() else {
        *root = value;
        return;
    };
    match head {
        Seg::Key(k) => {
            if !root.is_object() {
                *root = Value::Object(Map::new());
            }
            if let Value::Object(m) = root {
                put(m.entry(k.clone()).or_insert(Value::Null), tail, value);
            }
        }
        Seg::Index(i) => {
            if !root.is_array() {
                *root = Value::Array(Vec::new());
            }
            if let Value::Array(a) = root {
                while a.len() <= *i {
                    a.push(Value::Object(Map::new()));
                }
                if let Some(slot) = a.get_mut(*i) {
                    put(slot, tail, value);
                }
            }
        }
    }
}

fn path_text(path: &[Seg]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => i.to_string(),
        })
        .collect();
    parts.join(".")
}

/// A version 1 result subset (an `expect.result`) in the vendor's terms, and the paths
/// that have no place there.
fn vendor_subset(a: Action, subset: &Value, params: &Value) -> (Value, Vec<String>) {
    let mut all = Vec::new();
    leaves(subset, &mut Vec::new(), &mut all);
    let mut out = Value::Object(Map::new());
    let mut dropped = Vec::new();
    let count = subset.get("Count").and_then(Value::as_u64).filter(|_| a == Action::LookupEvents);
    for (path, value) in all {
        match vendor_path(a, &path, params) {
            Some(p) => put(&mut out, &p, value),
            None if count.is_some() && path == [key("Count")] => {}
            None => dropped.push(path_text(&path)),
        }
    }
    // Version 1's event count is the length of the vendor's list of events.
    if let Some(n) = count {
        if out.get("Events").is_none() {
            let events: Vec<Value> = (0..n).map(|_| Value::Object(Map::new())).collect();
            put(&mut out, &[key("Events")], Value::Array(events));
        }
    }
    (out, dropped)
}

/// `$name.Path` and `${name.Path}` references in `text`, rewritten for the vendor's
/// results of the steps that bound them.
fn vendor_refs(text: &str, binds: &crate::idmap::IdMap<String, (Action, Value)>, notes: &mut Vec<String>) -> String {
    let rewrite = |reference: &str, notes: &mut Vec<String>| -> String {
        let mut parts = reference.split('.');
        let name = parts.next().unwrap_or("");
        let path: Vec<Seg> =
            parts.map(|p| p.parse::<usize>().map(Seg::Index).unwrap_or_else(|_| Seg::Key(p.to_string()))).collect();
        match binds.get(&name.to_string()).map(|(a, params)| vendor_path(*a, &path, params)) {
            Some(Some(p)) => alloc::format!("{name}.{}", path_text(&p)),
            Some(None) => {
                notes.push(alloc::format!("`${reference}` has no place in the vendor's result"));
                reference.to_string()
            }
            None => reference.to_string(),
        }
    };
    if let Some(rest) = text.strip_prefix('$').filter(|r| !r.starts_with('{')) {
        return alloc::format!("${}", rewrite(rest, notes));
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start + 2..).unwrap_or("");
        let Some(end) = after.find('}') else { break };
        out.push_str("${");
        out.push_str(&rewrite(after.get(..end).unwrap_or(""), notes));
        out.push('}');
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn map_strings(v: &Value, f: &mut dyn FnMut(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(f(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| map_strings(x, f)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), map_strings(x, f))).collect()),
        other => other.clone(),
    }
}

/// A version 1 step in the vendor's names, with notes on what did not carry over.
fn migrate_step(
    step: &crate::scenario::Step,
    binds: &mut crate::idmap::IdMap<String, (Action, Value)>,
    notes: &mut Vec<String>,
) -> crate::scenario::Step {
    let mut out = step.clone();
    let Some(a) = Action::parse(&step.action) else { return out };
    let mut found = Vec::new();
    out.caller = vendor_refs(&step.caller, binds, &mut found);
    let mut params = vendor_params(a, &map_strings(&step.params, &mut |s| vendor_refs(s, binds, &mut found)));
    if a == Action::WhatIf {
        if let Some(Value::Array(inner)) = step.params.get("Steps") {
            let mut steps = Vec::new();
            for s in inner {
                let parsed = <crate::scenario::Step as crate::json::FromJson>::from_json(s.clone()).ok();
                match parsed {
                    Some(s) => steps.push(to_json(&migrate_step(&s, &mut binds.clone(), &mut found))),
                    None => steps.push(s.clone()),
                }
            }
            if let Value::Object(m) = &mut params {
                m.insert("Steps".to_string(), Value::Array(steps));
            }
        }
    }
    out.params = params;
    if let Some(e) = out.expect.as_mut() {
        if let Some(field) = &e.field {
            if let Some((_, _, new)) = RENAMED.iter().find(|(x, old, _)| *x == a && old == field) {
                e.field = Some(new.to_string());
            }
        }
        if let Some(r) = &e.result {
            let (subset, dropped) = vendor_subset(a, r, &step.params);
            for d in dropped {
                found.push(alloc::format!(
                    "the expected `result.{d}` has no place in the vendor's {} response",
                    a.name()
                ));
            }
            e.result = subset.as_object().filter(|m| !m.is_empty()).map(|_| subset.clone());
        }
    }
    if let Some(name) = &step.bind {
        binds.insert(name.clone(), (a, step.params.clone()));
    }
    notes.extend(found);
    out
}

/// A version 1 document in version 2's names (`kms-share migrate`): actions as they
/// were, parameters renamed, expected results and `$name` references moved to where the
/// vendor's responses hold them. Expectations with no place in the vendor's responses
/// are dropped and listed, with their step, in the notes.
pub fn migrate(sc: &crate::scenario::Scenario) -> (crate::scenario::Scenario, Vec<String>) {
    let mut out = sc.clone();
    out.version = crate::scenario::FORMAT_VERSION;
    let mut binds = crate::idmap::IdMap::new();
    let mut notes = Vec::new();
    if sc.version != 1 {
        return (out, notes);
    }
    for (i, s) in out.steps.iter_mut().enumerate() {
        let mut found = Vec::new();
        *s = migrate_step(s, &mut binds, &mut found);
        notes.extend(found.into_iter().map(|n| alloc::format!("steps[{i}] ({}): {n}", s.action)));
    }
    (out, notes)
}
