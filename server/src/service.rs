//! One request in, one answer out: authenticate (signature, AccessKey, time, nonce),
//! route on (version, action), make the call as the AccessKey's RAM identity, and answer in
//! the vendor's shape. Synchronous and free of I/O, so every path is testable without a
//! socket; the HTTP layer ([`crate::http`]) only moves bytes to and from it.

use kms_share_core::action::{Action, Kind, Product};
use kms_share_core::api::Organization;
use kms_share_core::crypto::RandomSource;
use kms_share_core::error::{Error, ErrorCode};
use kms_share_core::ids::{shorten, Identity, IdentityKind};
use kms_share_core::json::{self as corejson, ToValue};
use kms_share_core::vendor::ErrorResponse;
use serde_json::{Map, Value};

use crate::keys::{AccessKeys, Nonces};
use crate::sign::{self, AuthError, Scheme, Signed};
use crate::store::{Entry, Store};
use crate::tape::{OsBlock, Tape};
use crate::wire;

/// How far a request's time may be from the server's clock (the vendor's 15 minutes).
pub const MAX_SKEW: u64 = 15 * 60;

/// A request as the HTTP layer read it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: String,
    /// The path (`/` for RPC calls).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// The answer: an HTTP status and a JSON body, with the request id for the
/// `x-acs-request-id` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The request's id.
    pub request_id: String,
    /// The JSON body.
    pub body: String,
}

/// Parameters that belong to the protocol (signature, format), not to the call.
const PROTOCOL_PARAMS: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
    "SecurityToken",
];

/// RAM's version, whose AccessKey actions the server answers itself.
const RAM_VERSION: &str = "2015-05-01";
/// STS's version.
const STS_VERSION: &str = "2015-04-01";
/// The simulator's own product's version (see [`kms_share_core::action::Product::Simulator`]).
const SIMULATOR_VERSION: &str = "2026-01-01";

/// The organization behind the endpoint and who may sign requests to it.
pub struct Service {
    org: Organization,
    keys: AccessKeys,
    nonces: Nonces,
    /// The randomness the engine and the AccessKeys draw: recorded per call for the log.
    tape: Tape,
    /// The responses' request ids: fresh, never recorded (a replay draws none).
    ids: OsBlock,
    /// Where accepted calls are recorded before they are answered (with `--state`).
    store: Option<(Store, Vec<u8>)>,
    /// Calls answered and not yet recorded, with their nonces and the nonces' expiry
    /// (see [`Service::commit`]).
    unrecorded: Vec<(Entry, String, u64)>,

    /// The identity of the key made at first start (the management account's root): the
    /// only one that may ask the simulator's questions about the whole organization.
    operator: String,
    /// The region the endpoint stands for (an ACS4 credential scope must name it).
    region: String,
    /// The latest call's time: the engine's clock never goes back.
    last: u64,
    /// Seconds the simulator's clock runs ahead of the wall clock (`AdvanceClock`): what
    /// the engine and STS expiries see; request dates are checked against the wall clock.
    offset: u64,
}

/// A refusal before or around the engine call.
fn refuse(code: &'static str, message: impl Into<String>) -> Error {
    let engine_code = match code {
        "Forbidden.NoPermission" => ErrorCode::AccessDenied,
        c if c.contains("NotFound") || c.starts_with("EntityNotExist") => ErrorCode::NotFound,
        c if c.starts_with("LimitExceeded") => ErrorCode::LimitExceeded,
        _ => ErrorCode::InvalidParameter,
    };
    Error::new(engine_code, None, message).with_vendor(code)
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        refuse(e.code, e.message)
    }
}

impl Service {
    /// A service over `org`, whose operator (the management account's root) is `operator`.
    pub fn new(mut org: Organization, keys: AccessKeys, operator: String, region: String, tape: Tape) -> Self {
        // The engine's clock never goes back: a scenario may have run ahead of the wall clock.
        let last = org.state().audit.last_time().unwrap_or(0);
        // The vendor's responses have no place for an allowed call's explanation.
        org.explain_allowed(false);
        Service {
            org,
            keys,
            nonces: Nonces::default(),
            tape,
            ids: OsBlock::default(),
            store: None,
            unrecorded: Vec::new(),
            operator,
            region,
            last,
            offset: 0,
        }
    }

    /// Record every accepted call in `store`, sealed under `root`, before answering it.
    pub fn with_store(mut self, store: Store, root: Vec<u8>) -> Self {
        self.store = Some((store, root));
        self
    }

    /// Run the simulator's clock `seconds` ahead of the wall clock (as a snapshot left it).
    pub fn set_clock_offset(&mut self, seconds: u64) {
        self.offset = seconds;
    }

    /// Refuse `nonce` until `expires` (nonces of recorded calls, reloaded at start).
    pub fn remember_nonce(&mut self, nonce: &str, now: u64, expires: u64) {
        self.nonces.first_use(nonce, now, expires);
    }

    /// Run a recorded call again (at start, after the snapshot), with the randomness it drew.
    ///
    /// # Errors
    /// When the call draws other randomness than it drew: the log does not match this engine.
    pub fn replay(&mut self, e: &Entry) -> Result<(), String> {
        self.tape.replay(e.random.clone());
        self.last = self.last.max(e.at);
        let _ = self.execute(&e.caller, &e.version, &e.action, e.params.clone(), e.at);
        self.tape.finish_replay().map_err(|left| {
            format!(
                "the recorded call {} at {} left {left} random bytes unused: the log does not match this engine",
                e.action, e.at
            )
        })
    }

    /// Write a snapshot of everything so far and drop the calls it includes.
    ///
    /// # Errors
    /// When sealing or the database fails (the calls stay in the log).
    pub fn snapshot(&mut self) -> Result<(), String> {
        let Some((store, root)) = self.store.as_mut() else { return Ok(()) };
        let sealed = self.org.save_sealed(root).map_err(|e| format!("cannot seal a snapshot: {e}"))?;
        store.snapshot(&sealed, self.keys.all(), self.offset)
    }

    /// Answer one request at `now` (seconds since the epoch).
    pub fn handle(&mut self, req: &Request, now: u64) -> Reply {
        let request_id = self.request_id();
        match self.answer(req, now) {
            Ok(mut body) => {
                if let Value::Object(m) = &mut body {
                    m.insert("RequestId".to_string(), Value::String(request_id.clone()));
                }
                Reply { status: 200, body: corejson::text(&body), request_id }
            }
            Err(e) => {
                let host = sign::header(&req.headers, "host").unwrap_or("");
                let body = ErrorResponse::of(&e, &request_id, host).to_value();
                Reply { status: e.http_status(), body: corejson::text(&body), request_id }
            }
        }
    }

    /// A request id in the vendor's form (a UUID, upper case).
    fn request_id(&mut self) -> String {
        let mut b = [0u8; 16];
        if self.ids.fill(&mut b).is_err() {
            b = [0; 16];
        }
        let h = kms_share_core::crypto::hex(&b).to_ascii_uppercase();
        let part = |r: std::ops::Range<usize>| h.get(r).unwrap_or("");
        format!("{}-{}-{}-{}-{}", part(0..8), part(8..12), part(12..16), part(16..20), part(20..32))
    }

    fn answer(&mut self, req: &Request, now: u64) -> Result<Value, Error> {
        let query = wire::parse_form(&req.query).map_err(|m| refuse("InvalidParameter", m))?;
        let is_form = sign::header(&req.headers, "content-type")
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        let form = if is_form {
            let text = std::str::from_utf8(&req.body)
                .map_err(|_| refuse("InvalidParameter", "the form body is not UTF-8 text"))?;
            wire::parse_form(text).map_err(|m| refuse("InvalidParameter", m))?
        } else {
            Vec::new()
        };
        let signed = Signed {
            method: &req.method,
            path: &req.path,
            query: &query,
            form: &form,
            headers: &req.headers,
            body: &req.body,
        };

        // Who is calling: the AccessKey and its signature.
        let (ak, scheme) = sign::claim(&signed)?;
        let key = self
            .keys
            .get(&ak)
            .ok_or_else(|| {
                refuse("InvalidAccessKeyId.NotFound", format!("the AccessKey `{}` does not exist", shorten(&ak)))
            })?
            .clone();
        if let Scheme::Acs4 { product, region, .. } = &scheme {
            if product != "Kms" {
                return Err(refuse("IncompleteSignature", "ACS4 signatures are for KMS calls (product `Kms`)"));
            }
            if *region != self.region {
                return Err(refuse(
                    "IncompleteSignature",
                    format!(
                        "the ACS4 credential names region `{}`, this endpoint is `{}`: set region_id in the SDK's Config",
                        shorten(region),
                        self.region
                    ),
                ));
            }
        }
        sign::verify(&signed, &scheme, &key.secret)?;
        if !key.active {
            return Err(refuse("InvalidAccessKeyId.Inactive", format!("the AccessKey `{}` is Inactive", key.id)));
        }
        let presented = if matches!(scheme, Scheme::V1 { .. }) {
            sign::param(&query, &form, "SecurityToken")
        } else {
            sign::header(&req.headers, "x-acs-security-token")
        };
        check_token(&key, presented, now + self.offset)?;

        // When: the request's time near ours, its nonce never seen in that window.
        let v1 = matches!(scheme, Scheme::V1 { .. });
        let (time_name, nonce_name) =
            if v1 { ("Timestamp", "SignatureNonce") } else { ("x-acs-date", "x-acs-signature-nonce") };
        let lookup = |name: &str| {
            if v1 {
                sign::param(&query, &form, name)
            } else {
                sign::header(&req.headers, name)
            }
        };
        let time_text =
            lookup(time_name).ok_or_else(|| refuse("MissingParameter", format!("{time_name} is required")))?;
        let t = kms_share_core::time::parse(time_text).map_err(|_| {
            refuse(
                "InvalidTimeStamp.Format",
                format!("{time_name} must be YYYY-MM-DDTHH:MM:SSZ, not `{}`", shorten(time_text)),
            )
        })?;
        if t.abs_diff(now) > MAX_SKEW {
            return Err(refuse(
                "InvalidTimeStamp.Expired",
                format!(
                    "{time_name} {} is more than 15 minutes from the server's time {}",
                    shorten(time_text),
                    kms_share_core::time::format(now)
                ),
            ));
        }
        if let Scheme::Acs4 { date, .. } = &scheme {
            if time_text.get(0..10).map(|d| d.replace('-', "")) != Some(date.clone()) {
                return Err(refuse("SignatureDoesNotMatch", "the ACS4 credential's date is not the request's date"));
            }
        }
        let nonce =
            lookup(nonce_name).ok_or_else(|| refuse("MissingParameter", format!("{nonce_name} is required")))?;
        if !self.nonces.first_use(nonce, now, now + 2 * MAX_SKEW) {
            return Err(refuse("SignatureNonceUsed", "the signature nonce was used already: sign each request anew"));
        }

        // What: (version, action) and its parameters.
        let (action, version) = if v1 {
            (sign::param(&query, &form, "Action"), sign::param(&query, &form, "Version"))
        } else {
            (sign::header(&req.headers, "x-acs-action"), sign::header(&req.headers, "x-acs-version"))
        };
        let action = action.ok_or_else(|| refuse("MissingParameter", "Action is required"))?;
        let version = version.ok_or_else(|| refuse("MissingParameter", "Version is required"))?;
        let mut params = Map::new();
        for (k, v) in query.iter().chain(form.iter()) {
            if PROTOCOL_PARAMS.contains(&k.as_str()) {
                continue;
            }
            if params.insert(k.clone(), Value::String(v.clone())).is_some() {
                return Err(refuse("InvalidParameter", format!("the parameter `{}` is given twice", shorten(k))));
            }
        }
        let caller = key.identity.clone();
        let at = (now + self.offset).max(self.last);
        self.last = at;
        if self.store.is_none() {
            return self.execute(&caller, version, action, params, at).0;
        }
        self.tape.record();
        let (result, record) = self.execute(&caller, version, action, params.clone(), at);
        let random = self.tape.take();
        if record {
            let entry = Entry { caller, version: version.to_string(), action: action.to_string(), params, at, random };
            self.unrecorded.push((entry, nonce.to_string(), now + 2 * MAX_SKEW));
        }
        result
    }

    /// Record the calls answered since the last commit, in one transaction (group
    /// commit: the engine's thread answers a batch of queued requests, commits, then
    /// sends their replies; nothing is acknowledged before it is recorded).
    ///
    /// # Errors
    /// When they could not be recorded: the organization in memory then holds calls the
    /// log does not, so none of the batch's replies may be sent and the server must stop.
    pub fn commit(&mut self, now: u64) -> Result<(), String> {
        let calls = std::mem::take(&mut self.unrecorded);
        let Some((store, _)) = self.store.as_mut() else { return Ok(()) };
        if calls.is_empty() {
            return Ok(());
        }
        store.append(&calls, now)?;
        if store.snapshot_due() {
            if let Err(why) = self.snapshot() {
                eprintln!("kms-share serve: no snapshot this time ({why}); the calls stay in the log");
            }
        }
        Ok(())
    }

    /// Make a call as `caller`: the result, and whether the call must be recorded (it
    /// changed the organization: every decided call is audited, refused or not).
    fn execute(
        &mut self,
        caller: &str,
        version: &str,
        action: &str,
        params: Map<String, Value>,
        at: u64,
    ) -> (Result<Value, Error>, bool) {
        let done = |r: Result<(Value, bool), Error>| match r {
            Ok((v, changed)) => (Ok(v), changed),
            Err(e) => (Err(e), false),
        };
        match version {
            RAM_VERSION if action.ends_with("AccessKey") || action == "ListAccessKeys" => {
                done(self.access_keys(caller, action, &params, at))
            }
            STS_VERSION if action == "GetCallerIdentity" => (caller_identity(caller), false),
            STS_VERSION if action == "AssumeRole" => done(self.assume_role(caller, &params, at)),
            SIMULATOR_VERSION if action == "CreateAccountAccessKey" => done(self.account_key(caller, &params, at)),
            SIMULATOR_VERSION if action == "AdvanceClock" => done(self.advance_clock(caller, &params)),
            _ => self.call(caller, version, action, params, at),
        }
    }

    /// A call the engine answers.
    fn call(
        &mut self,
        caller: &str,
        version: &str,
        action: &str,
        params: Map<String, Value>,
        at: u64,
    ) -> (Result<Value, Error>, bool) {
        let spec = match self.route(caller, version, action) {
            Ok(s) => s,
            Err(e) => return (Err(e), false),
        };
        let result = self.org.call(
            caller,
            spec.action.audit_name(),
            Value::Object(params),
            Some(&kms_share_core::time::format(at)),
        );
        // Every call the engine decides is audited, refused or not: it changed the state.
        (result.map(|r| r.result), spec.kind != Kind::Query)
    }

    /// The table's row for (version, action), if this caller may reach it.
    fn route(&self, caller: &str, version: &str, action: &str) -> Result<&'static kms_share_core::action::Spec, Error> {
        let spec = Action::from_vendor(version, action).map(Action::spec).ok_or_else(|| {
            refuse(
                "InvalidAction.NotFound",
                format!(
                    "the action `{}` of version `{}` is not one this endpoint answers (docs/errors.md lists them)",
                    shorten(action),
                    shorten(version)
                ),
            )
        })?;
        if spec.product == Product::Simulator && spec.kind == Kind::Query && caller != self.operator {
            return Err(refuse(
                "Forbidden.NoPermission",
                format!(
                    "{action} asks about the whole organization: only the operator's AccessKey ({}) may",
                    self.operator
                ),
            ));
        }
        Ok(spec)
    }

    /// RAM's AccessKey actions, in the caller's own account; who may manage whose keys is
    /// the core's `accesskeys::owner` (README Semantics 29).
    fn access_keys(
        &mut self,
        caller: &str,
        action: &str,
        params: &Map<String, Value>,
        at: u64,
    ) -> Result<(Value, bool), Error> {
        let text = |name: &str| params.get(name).and_then(Value::as_str);
        // Whose keys, and whether the caller may: the core's decision (RAM-1, RAM-2).
        let owner = self.org.access_key_owner(caller, action, text("UserName"))?.to_string();
        let now = kms_share_core::time::format(at);
        let key_of = |keys: &AccessKeys, name: &str| -> Result<String, Error> {
            let kid = text(name).ok_or_else(|| refuse("MissingParameter", format!("{name} is required")))?;
            match keys.get(kid) {
                Some(k) if k.identity == owner => Ok(kid.to_string()),
                _ => Err(refuse(
                    "EntityNotExist.AccessKey",
                    format!("the AccessKey `{}` does not exist for {owner}", shorten(kid)),
                )),
            }
        };
        match action {
            "CreateAccessKey" => {
                let k = self
                    .keys
                    .create(&mut self.tape, &owner, &now)
                    .map_err(|m| refuse("LimitExceeded.User.AccessKey", m))?;
                return Ok((access_key_value(&k.id, Some(&k.secret), "Active", &k.created), true));
            }
            "ListAccessKeys" => {
                let list: Vec<Value> = self
                    .keys
                    .of(&owner)
                    .into_iter()
                    .map(|k| {
                        access_key_value(&k.id, None, k.status(), &k.created)
                            .get("AccessKey")
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect();
                return Ok((serde_json::json!({ "AccessKeys": { "AccessKey": list } }), false));
            }
            "UpdateAccessKey" => {
                let kid = key_of(&self.keys, "UserAccessKeyId")?;
                let active = match text("Status") {
                    Some("Active") => true,
                    Some("Inactive") => false,
                    Some(other) => {
                        return Err(refuse(
                            "InvalidParameter",
                            format!("Status is Active or Inactive, not `{}`", shorten(other)),
                        )
                        .at_field("Status"))
                    }
                    None => return Err(refuse("MissingParameter", "Status is required")),
                };
                self.keys.set_active(&kid, active);
            }
            "DeleteAccessKey" => {
                let kid = key_of(&self.keys, "UserAccessKeyId")?;
                self.keys.remove(&kid);
            }
            other => {
                return Err(refuse(
                    "InvalidAction.NotFound",
                    format!(
                        "the action `{}` of version {RAM_VERSION} is not one this endpoint answers",
                        shorten(other)
                    ),
                ))
            }
        }
        Ok((Value::Object(Map::new()), true))
    }

    /// Refuse `action` unless `caller` is the operator.
    fn operator_only(&self, caller: &str, action: &str) -> Result<(), Error> {
        if caller == self.operator {
            Ok(())
        } else {
            Err(refuse("Forbidden.NoPermission", format!("{action} is the operator's ({}) call", self.operator)))
        }
    }

    /// The simulator's `CreateAccountAccessKey`: the operator makes an AccessKey for the
    /// root identity of any account of the organization, where the vendor would have the
    /// management account assume each member's directory access role (a role the
    /// simulator's member accounts do not have). The SDKs' product clients never reach it.
    fn account_key(&mut self, caller: &str, params: &Map<String, Value>, at: u64) -> Result<(Value, bool), Error> {
        self.operator_only(caller, "CreateAccountAccessKey")?;
        let text = params
            .get("AccountId")
            .and_then(Value::as_str)
            .ok_or_else(|| refuse("MissingParameter", "AccountId is required"))?;
        let account = kms_share_core::ids::AccountId::parse(text).map_err(|e| e.at_field("AccountId"))?;
        let state = self.org.state();
        let known = state.accounts.get(&account).is_some()
            || state.directory.as_ref().is_some_and(|d| d.members.get(&account).is_some());
        if !known {
            return Err(refuse("EntityNotExist.Account", format!("the account {account} is not in the organization")));
        }
        let k = self
            .keys
            .create(&mut self.tape, &format!("acs:ram::{account}:root"), &kms_share_core::time::format(at))
            .map_err(|m| refuse("LimitExceeded.User.AccessKey", m))?;
        Ok((access_key_value(&k.id, Some(&k.secret), "Active", &k.created), true))
    }

    /// The organization for the page, read-only: the policy export (no key material, no
    /// secret values) with the audit trail, where every served call is.
    pub fn page_state(&mut self) -> Reply {
        let request_id = self.request_id();
        let mut state = self.org.policy_export();
        state.audit = self.org.state().audit.clone();
        match serde_json::to_string(&state) {
            Ok(body) => Reply { status: 200, request_id, body },
            Err(e) => Reply {
                status: 500,
                request_id,
                body: corejson::text(&serde_json::json!({"Code": "InternalError", "Message": e.to_string()})),
            },
        }
    }

    /// STS `AssumeRole`: temporary credentials for a role the caller may assume
    /// (crate::trust in the core decides), valid `DurationSeconds` (900 to 43,200; 3,600).
    fn assume_role(&mut self, caller: &str, params: &Map<String, Value>, at: u64) -> Result<(Value, bool), Error> {
        let text = |name: &str| params.get(name).and_then(Value::as_str);
        let role_arn = text("RoleArn").ok_or_else(|| refuse("MissingParameter", "RoleArn is required"))?;
        let session =
            text("RoleSessionName").ok_or_else(|| refuse("MissingParameter", "RoleSessionName is required"))?;
        let session_ok = (2..=64).contains(&session.len())
            && session.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'));
        if !session_ok {
            return Err(refuse(
                "InvalidParameter",
                format!("RoleSessionName is 2 to 64 letters, digits and `. @ - _`, not `{}`", shorten(session)),
            )
            .at_field("RoleSessionName"));
        }
        if params.contains_key("Policy") {
            return Err(refuse(
                "InvalidParameter",
                "session policies (Policy) are not simulated: the credentials would have more permissions than asked",
            )
            .at_field("Policy"));
        }
        let duration = match text("DurationSeconds") {
            None => 3600,
            Some(d) => d.parse::<u64>().ok().filter(|d| (900..=43_200).contains(d)).ok_or_else(|| {
                refuse("InvalidParameter", format!("DurationSeconds is 900 to 43200, not `{}`", shorten(d)))
                    .at_field("DurationSeconds")
            })?,
        };
        let role = self.org.assume_role(caller, role_arn)?;
        let expires = at + duration;
        let now_text = kms_share_core::time::format(at);
        let k = self
            .keys
            .create_temporary(&mut self.tape, &role.to_string(), &now_text, at, expires)
            .map_err(|m| Error::new(ErrorCode::BackendError, None, m))?;
        let token = k.temporary.map(|t| t.token).unwrap_or_default();
        let role_id = k.id.trim_start_matches("STS.").get(..16).unwrap_or("").to_string();
        Ok((
            serde_json::json!({
                "Credentials": {
                    "AccessKeyId": k.id,
                    "AccessKeySecret": k.secret,
                    "SecurityToken": token,
                    "Expiration": kms_share_core::time::format(expires),
                },
                "AssumedRoleUser": {
                    "Arn": format!("{role}/{session}"),
                    "AssumedRoleId": format!("{role_id}:{session}"),
                },
            }),
            true,
        ))
    }

    /// The simulator's `AdvanceClock`: the operator moves the clock the engine and STS
    /// see `Seconds` ahead (tests of expiries and deletion windows); request dates are
    /// still checked against the wall clock. The official SDKs never call it.
    fn advance_clock(&mut self, caller: &str, params: &Map<String, Value>) -> Result<(Value, bool), Error> {
        self.operator_only(caller, "AdvanceClock")?;
        let seconds = params
            .get("Seconds")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| (1..=366 * 86_400).contains(s))
            .ok_or_else(|| refuse("InvalidParameter", "Seconds is 1 to 31622400 (a year)").at_field("Seconds"))?;
        self.offset += seconds;
        let now = kms_share_core::time::format(self.last.max(crate::http::wall_clock() + self.offset));
        Ok((serde_json::json!({ "Now": now, "AheadOfWallClockSeconds": self.offset }), true))
    }
}

/// A temporary AccessKey signs only with its SecurityToken, and only until it expires; a
/// permanent one takes no token.
fn check_token(key: &crate::keys::AccessKey, presented: Option<&str>, clock: u64) -> Result<(), Error> {
    match (&key.temporary, presented) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(refuse(
            "InvalidSecurityToken.MismatchWithAccessKey",
            "a SecurityToken was sent with a permanent AccessKey, which takes none",
        )),
        (Some(_), None) => Err(refuse(
            "InvalidSecurityToken.Malformed",
            format!("the AccessKey `{}` is temporary (STS): send its SecurityToken", key.id),
        )),
        (Some(t), Some(p)) => {
            let same =
                t.token.len() == p.len() && bool::from(subtle::ConstantTimeEq::ct_eq(t.token.as_bytes(), p.as_bytes()));
            if !same {
                Err(refuse(
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "the SecurityToken is not the one issued with this AccessKey",
                ))
            } else if clock >= t.expires {
                Err(refuse(
                    "InvalidSecurityToken.Expired",
                    format!(
                        "the SecurityToken expired at {}: assume the role again",
                        kms_share_core::time::format(t.expires)
                    ),
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// `{"AccessKey": {...}}` as RAM's CreateAccessKey answers (the secret only there).
fn access_key_value(id: &str, secret: Option<&str>, status: &str, created: &str) -> Value {
    let mut ak = Map::new();
    ak.insert("AccessKeyId".into(), Value::String(id.to_string()));
    if let Some(s) = secret {
        ak.insert("AccessKeySecret".into(), Value::String(s.to_string()));
    }
    ak.insert("Status".into(), Value::String(status.to_string()));
    ak.insert("CreateDate".into(), Value::String(created.to_string()));
    let mut m = Map::new();
    m.insert("AccessKey".into(), Value::Object(ak));
    Value::Object(m)
}

/// STS `GetCallerIdentity`: who the AccessKey is.
fn caller_identity(caller: &str) -> Result<Value, Error> {
    let id = Identity::parse(caller)?;
    // The vendor's fields: `UserId` for a RAM user, `RoleId` for an assumed role.
    let (kind, principal, id_field) = match &id.kind {
        IdentityKind::Root => ("Account", id.account.to_string(), None),
        IdentityKind::User(n) => ("RAMUser", n.to_string(), Some("UserId")),
        IdentityKind::Role(n) => ("AssumedRoleUser", n.to_string(), Some("RoleId")),
    };
    let mut m = Map::new();
    m.insert("AccountId".into(), Value::String(id.account.to_string()));
    m.insert("Arn".into(), Value::String(caller.to_string()));
    m.insert("IdentityType".into(), Value::String(kind.into()));
    m.insert("PrincipalId".into(), Value::String(principal.clone()));
    if let Some(field) = id_field {
        m.insert(field.into(), Value::String(principal));
    }
    Ok(Value::Object(m))
}
