//! HTTP/1.1 on tokio and hyper: read a request within limits, hand it to the service's
//! thread, write its answer. State changes are serialized by that one thread; the
//! connections only move bytes.

use std::convert::Infallible;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request as HttpRequest, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use kms_share_core::error::{Error, ErrorCode};
use kms_share_core::json::ToValue;
use kms_share_core::vendor::ErrorResponse;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::service::{Reply, Request};

/// The largest body accepted (the vendor's largest parameter, a secret value, is 64 KiB;
/// a form-encoded one can triple in size).
pub const MAX_BODY: usize = 1024 * 1024;
/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's body may take to arrive.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// What the service's thread is asked.
pub enum Work {
    /// An RPC call.
    Call(Request),
    /// The organization as the page shows it (the policy export: no key material).
    PageState,
}

/// One request for the service's thread, and where to send its answer.
pub struct Job {
    /// The work.
    pub work: Work,
    /// The time it arrived, in seconds since the epoch.
    pub now: u64,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Reply>,
}

/// Seconds since the epoch by the wall clock.
pub fn wall_clock() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Accept connections on `listener` until `stop` resolves, each served on its own task.
pub async fn serve(
    listener: TcpListener,
    jobs: mpsc::Sender<Job>,
    web: Option<std::sync::Arc<std::path::Path>>,
    stop: oneshot::Receiver<()>,
) {
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut stop => return,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors or a reset during the handshake: keep serving.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let jobs = jobs.clone();
        let web = web.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(req, jobs.clone(), web.clone()));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            // A client that goes away mid-request is its own business.
            let _ = conn.await;
        });
    }
}

/// A refusal made before the service sees the request (too large, not HTTP we read).
fn early(status: StatusCode, code: &'static str, message: &str, host: &str) -> Response<Full<Bytes>> {
    let e = Error::new(ErrorCode::InvalidParameter, None, message).with_vendor(code);
    let id = "00000000-0000-0000-0000-000000000000";
    let body = kms_share_core::json::text(&ErrorResponse::of(&e, id, host).to_value());
    respond(status.as_u16(), id, body)
}

fn respond(status: u16, request_id: &str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json;charset=utf-8"));
    if let Ok(v) = hyper::header::HeaderValue::from_str(request_id) {
        h.insert("x-acs-request-id", v);
    }
    r
}

async fn answer(
    req: HttpRequest<Incoming>,
    jobs: mpsc::Sender<Job>,
    web: Option<std::sync::Arc<std::path::Path>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // The page: a GET that is not an RPC call (no signature, no action).
    let rpc = req.headers().contains_key(hyper::header::AUTHORIZATION)
        || req.headers().contains_key("x-acs-action")
        || req.uri().query().is_some_and(|q| q.contains("Action=") || q.contains("Signature="));
    if req.method() == hyper::Method::GET && !rpc {
        return Ok(page(req.uri().path(), &jobs, web.as_deref()).await);
    }
    let host = req.headers().get(hyper::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Ok(early(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("a request body is at most {MAX_BODY} bytes"),
            &host,
        ));
    }
    let mut headers = Vec::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        let Ok(v) = value.to_str() else {
            return Ok(early(
                StatusCode::BAD_REQUEST,
                "InvalidParameter",
                &format!("the header `{}` is not visible ASCII text", name.as_str()),
                &host,
            ));
        };
        headers.push((name.as_str().to_string(), v.to_string()));
    }
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(req.into_body(), MAX_BODY).collect()).await {
        Ok(Ok(b)) => b.to_bytes().to_vec(),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return Ok(early(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                &format!("a request body is at most {MAX_BODY} bytes"),
                &host,
            ))
        }
        Ok(Err(_)) => {
            return Ok(early(StatusCode::BAD_REQUEST, "InvalidParameter", "the request body could not be read", &host))
        }
        Err(_) => {
            return Ok(early(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                &format!("the request body did not arrive within {} seconds", BODY_TIMEOUT.as_secs()),
                &host,
            ))
        }
    };
    if method != "POST" && method != "GET" {
        return Ok(early(
            StatusCode::METHOD_NOT_ALLOWED,
            "InvalidParameter",
            "the vendor's RPC calls are POST (or GET) /",
            &host,
        ));
    }
    let (tx, rx) = oneshot::channel();
    let job = Job { work: Work::Call(Request { method, path, query, headers, body }), now: wall_clock(), reply: tx };
    if jobs.send(job).is_err() {
        return Ok(early(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "the server is stopping", &host));
    }
    Ok(match rx.await {
        Ok(reply) => respond(reply.status, &reply.request_id, reply.body),
        Err(_) => early(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "the request was lost: the server's engine stopped (see its log)",
            &host,
        ),
    })
}

/// The path of the page's live state.
pub const PAGE_STATE: &str = "/kms-share/state";

/// The page's files (`--web DIR`) and its read-only view of the organization.
async fn page(path: &str, jobs: &mpsc::Sender<Job>, web: Option<&std::path::Path>) -> Response<Full<Bytes>> {
    if path == PAGE_STATE {
        let (tx, rx) = oneshot::channel();
        if jobs.send(Job { work: Work::PageState, now: wall_clock(), reply: tx }).is_err() {
            return plain(503, "the server is stopping");
        }
        return match rx.await {
            Ok(reply) => respond(reply.status, &reply.request_id, reply.body),
            Err(_) => plain(500, "the server's engine stopped"),
        };
    }
    let Some(root) = web else {
        return plain(
            404,
            "kms-share serve answers the vendor's API here (POST / signed as the SDKs sign). \
             Start it with --web web-demo/dist (after make web-build) to serve the simulator's page too.",
        );
    };
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    // Only plain names below the root: no `..`, no absolute or hidden parts.
    let safe = rel.split('/').all(|c| !c.is_empty() && !c.starts_with('.') && !c.contains('\\'));
    if !safe {
        return plain(404, "not found");
    }
    match tokio::fs::read(root.join(rel)).await {
        Ok(mut bytes) => {
            if rel == "index.html" {
                // Tell the page where the live organization is: a page served elsewhere
                // (make demo) has no such tag and never asks.
                let tag = format!(
                    "<meta name=\"kms-share-live\" content=\"{}\">\n</head>",
                    PAGE_STATE.trim_start_matches('/')
                );
                bytes = String::from_utf8_lossy(&bytes).replacen("</head>", &tag, 1).into_bytes();
            }
            let kind = match rel.rsplit('.').next() {
                Some("html") => "text/html; charset=utf-8",
                Some("js" | "mjs") => "text/javascript; charset=utf-8",
                Some("css") => "text/css; charset=utf-8",
                Some("json") => "application/json",
                Some("wasm") => "application/wasm",
                Some("md") => "text/markdown; charset=utf-8",
                Some("png") => "image/png",
                _ => "application/octet-stream",
            };
            let mut r = Response::new(Full::new(Bytes::from(bytes)));
            r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(kind));
            r
        }
        Err(_) => plain(404, "not found"),
    }
}

fn plain(status: u16, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}
