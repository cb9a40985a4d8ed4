//! HTTP serving: one port for every service, routed by the credential scope.

use crate::auth::authenticate;
use crate::open::{open_state, StartError};
use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::ids::request_id;
use rolegate_services::dispatch::{
    error_response, json, json_error_response, query, JsonResponse, JsonService, QueryResponse,
    QueryService,
};
use rolegate_services::protocol::Params;
use rolegate_services::{ServiceError, State};
use rolegate_sigv4::{Payload, Protocol, Verifier};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// The largest request body accepted by the query services (policy documents are ≤ 128 KiB).
const MAX_QUERY_BODY: usize = 4 * 1024 * 1024;

/// How many ready sockets a worker takes from the OS at a time (tokio's default is 1,024).
/// The connections a worker takes wait in its own queue, and the other worker steals them only
/// once its own queue is empty: when the OS preempts the worker holding them (until its next
/// tick, 4 ms here, when a client or another process shares the cores), they wait that long.
/// Taking a few at a time leaves the rest ready for whichever worker asks next. Measured at 64
/// connections on 2 cores with the load generator alongside: p99 of every read fell from
/// 4.4–5.2 ms to 2.0–3.5 ms, for the same throughput (BENCHMARKS.md).
const IO_EVENTS_PER_TICK: usize = 8;

pub(crate) struct App {
    pub(crate) state: State,
    pub(crate) verifier: Verifier,
    pub(crate) objects: rolegate_core::objects::ObjectStore,
    pub(crate) imds: crate::imds::Imds,
}

pub fn serve(listen: SocketAddr, data_dir: &Path, dev_mode: bool) -> Result<(), StartError> {
    let state = open_state(data_dir, dev_mode)?;
    let objects = rolegate_core::objects::ObjectStore::open(&data_dir.join("objects"))?;
    let app = Arc::new(App {
        state,
        verifier: Verifier::new(4096),
        objects,
        imds: crate::imds::Imds::open(data_dir)?,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_io_events_per_tick(IO_EVENTS_PER_TICK)
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        banner(addr, data_dir, dev_mode);
        let stop = stop_signal();
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                () = &mut stop => break,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let app = app.clone();
            // Formatted once per connection, not per request (aws:SourceIp).
            let source_ip: Arc<str> = peer.ip().to_string().into();
            tokio::spawn(async move {
                let svc = service_fn(move |req| route(app.clone(), req, source_ip.clone()));
                // Head and body copied into one buffer and sent with one `write`: for the
                // answers of a few hundred bytes that most requests get, that measured 1-2 %
                // less server CPU per request than `writev` of the two.
                if let Err(e) = http1::Builder::new()
                    .keep_alive(true)
                    .writev(false)
                    .serve_connection(TokioIo::new(stream), svc)
                    .await
                {
                    tracing::debug!("connection: {e}");
                }
            });
        }
        Ok::<(), StartError>(())
    })?;
    // Dropping the runtime drops every connection task and with them the last references
    // to the state: the store is closed cleanly, so the next start need not repair it (a
    // repair reads the whole file: seconds for a large catalog).
    drop(runtime);
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM (what `kill` and service managers send).
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!("cannot listen for SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn banner(addr: SocketAddr, data_dir: &Path, dev_mode: bool) {
    println!(
        "rolegate listening on http://{addr} ({} mode), data in {}",
        if dev_mode { "development" } else { "strict" },
        data_dir.display()
    );
    println!("Point the AWS CLI and SDKs at it:");
    println!("  export AWS_ENDPOINT_URL=http://{addr}");
    println!("  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1");
    if dev_mode {
        println!("  export AWS_ACCESS_KEY_ID=111111111111 AWS_SECRET_ACCESS_KEY=anything   # root of account 111111111111");
    } else {
        println!("  # keys: `rolegate account create` prints an account's root key pair");
    }
    println!("ready");
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Header names built once: `insert` by a `&str` parses the name on every response, and
/// copies a name that is not a standard one into a new buffer.
static X_AMZN_REQUESTID: http::HeaderName = http::HeaderName::from_static("x-amzn-requestid");

fn xml(resp: QueryResponse, request_id: &str) -> Response<Full<Bytes>> {
    reply(resp.status, resp.body, "text/xml", request_id)
}

fn json_reply(resp: JsonResponse, request_id: &str) -> Response<Full<Bytes>> {
    reply(resp.status, resp.body, resp.content_type, request_id)
}

/// A whole-body answer of the query and JSON services, with its request id.
fn reply(
    status: u16,
    body: String,
    content_type: &'static str,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        h.insert(X_AMZN_REQUESTID.clone(), v);
    }
    r
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r
}

/// An answer: a whole body (the query and JSON services), or S3's, which may stream. The
/// whole body is not boxed: one allocation and dynamic calls fewer per answer.
type Answer = Either<Full<Bytes>, crate::s3::RespBody>;

/// S3 (streamed bodies both ways) or one of the services that read the whole body.
async fn route(
    app: Arc<App>,
    req: Request<Incoming>,
    source_ip: Arc<str>,
) -> Result<Response<Answer>, Infallible> {
    let (parts, body) = req.into_parts();
    if !parts.uri.path().starts_with("/_rolegate/") && crate::s3::is_s3(&parts) {
        let resp = crate::s3::handle(app, parts, body, source_ip, request_id()).await;
        return Ok(resp.map(Either::Right));
    }
    let resp = handle(app, parts, body, &source_ip).await?;
    Ok(resp.map(Either::Left))
}

async fn handle(
    app: Arc<App>,
    parts: http::request::Parts,
    body: Incoming,
    source_ip: &str,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let rid = request_id();
    if let Some(rest) = parts.uri.path().strip_prefix(crate::imds_keys::IMDS_PREFIX) {
        return Ok(crate::imds::handle(&app, &parts, rest, now()));
    }
    if let Some(admin) = parts.uri.path().strip_prefix("/_rolegate/") {
        return Ok(admin_route(&app, &parts.method, admin));
    }
    let body = match whole_body(body).await {
        Ok(b) => b,
        Err(_) => {
            let e = ServiceError::new(413, "RequestEntityTooLarge", "Request body is too large.");
            return Ok(xml(error_response(QueryService::Iam, &e, &rid), &rid));
        }
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(match target {
        // awsJson (KMS): the operation is named by X-Amz-Target.
        Some(t) => {
            let run = || json_reply(answer_json(&app, &parts, &body, source_ip, &rid, &t), &rid);
            crate::workers::off_workers_unless(crate::workers::is_json_read(&t), run)
        }
        None => {
            let params = query_params(&parts, &body);
            let run = || xml(answer(&app, &parts, &params, &body, source_ip, &rid), &rid);
            crate::workers::off_workers_unless(crate::workers::is_query_read(&params), run)
        }
    })
}

/// A request body read whole, up to `MAX_QUERY_BODY`. A body that arrives as one frame (a
/// small form or JSON document almost always does) is handed on as it is, without the list
/// that `collect` keeps.
async fn whole_body(body: Incoming) -> Result<Bytes, Box<dyn std::error::Error + Send + Sync>> {
    let mut body = Limited::new(body, MAX_QUERY_BODY);
    let mut first = Bytes::new();
    let mut more: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if first.is_empty() {
            first = data;
        } else {
            if more.is_empty() {
                more.extend_from_slice(&first);
            }
            more.extend_from_slice(&data);
        }
    }
    Ok(if more.is_empty() { first } else { more.into() })
}

/// The headers as SigV4 reads them (values that are not visible ASCII cannot have been signed
/// as sent, and are left out). Sized up front: collecting from a filter starts small and
/// grows the vector two or three times for a signed request's headers.
fn signing_headers(headers: &http::HeaderMap) -> Vec<(&str, &str)> {
    let mut out = Vec::with_capacity(headers.len());
    out.extend(
        headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), visible_ascii(v)?))),
    );
    out
}

/// A header value as text when it is visible ASCII (or tabs), as `HeaderValue::to_str`
/// decides, checked without a branch per byte: the values of a signed request run to half a
/// kilobyte, and `to_str`'s byte loop showed in profiles.
fn visible_ascii(v: &http::HeaderValue) -> Option<&str> {
    let bytes = v.as_bytes();
    let visible = bytes.iter().fold(true, |ok, &b| {
        ok & ((0x20..0x7f).contains(&b) | (b == b'\t'))
    });
    if visible {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// The query parameters of a request: the query string, plus a form body.
fn query_params(parts: &http::request::Parts, body: &Bytes) -> Params {
    let query = parts.uri.query().unwrap_or("").as_bytes();
    let is_form = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !(is_form || (parts.method == Method::POST && !body.is_empty())) {
        return Params::parse(query);
    }
    // A form POST most often has no query string: parse the body alone, not into a second
    // vector appended to an empty first.
    if query.is_empty() {
        return Params::parse(body);
    }
    let mut params = Params::parse(query);
    params.append(body);
    params
}

fn admin_route(app: &App, method: &Method, path: &str) -> Response<Full<Bytes>> {
    match (method, path) {
        (&Method::GET, "health") => plain(StatusCode::OK, "ok\n"),
        (&Method::POST, "reset") if app.state.dev_mode => {
            let reset = tokio::task::block_in_place(|| {
                app.state.catalog.reset().map_err(|e| e.to_string())?;
                app.state.dynamodb.clear().map_err(|e| e.to_string())?;
                app.objects.clear().map_err(|e| e.to_string())
            });
            match reset {
                Ok(()) => plain(StatusCode::OK, "reset\n"),
                Err(e) => {
                    tracing::error!("reset: {e}");
                    plain(StatusCode::INTERNAL_SERVER_ERROR, "reset failed\n")
                }
            }
        }
        (&Method::POST, "reset") => plain(
            StatusCode::FORBIDDEN,
            "reset is only available in development mode\n",
        ),
        _ => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn answer(
    app: &App,
    parts: &http::request::Parts,
    params: &Params,
    body: &Bytes,
    source_ip: &str,
    rid: &str,
) -> QueryResponse {
    let raw_query = parts.uri.query().unwrap_or("");
    let guess = match params.action() {
        // EC2's SDKs send their API version; its errors have their own envelope.
        Some(_) if params.get("Version") == Some("2016-11-15") => QueryService::Ec2,
        Some(a) if rolegate_services::sts::find(a).is_some() => QueryService::Sts,
        _ => QueryService::Iam,
    };
    let headers = signing_headers(&parts.headers);
    let sreq = rolegate_sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: raw_query,
        headers: &headers,
        payload: Payload::Bytes(body),
    };
    let now = now();
    let auth = match authenticate(&app.state, &app.verifier, &sreq, now, Protocol::Query) {
        Ok(a) => a,
        Err(e) => return error_response(guess, &e, rid),
    };
    let service = match auth.scope.service.as_str() {
        "iam" => QueryService::Iam,
        "sts" => QueryService::Sts,
        "ec2" => QueryService::Ec2,
        other => {
            let e = ServiceError::new(
                400,
                "InvalidAction",
                format!("The service {other} is not served here."),
            );
            return error_response(guess, &e, rid);
        }
    };
    let facts = RequestFacts {
        source_ip,
        secure_transport: false,
        region: &auth.scope.region,
        now,
    };
    query(&app.state, service, &auth.caller, facts, params, rid)
}

/// An awsJson request: authenticated with awsJson's error codes, then routed by the credential
/// scope's service (KMS is the one awsJson service served).
fn answer_json(
    app: &App,
    parts: &http::request::Parts,
    body: &Bytes,
    source_ip: &str,
    rid: &str,
    target: &str,
) -> JsonResponse {
    let headers = signing_headers(&parts.headers);
    let sreq = rolegate_sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        payload: Payload::Bytes(body),
    };
    let now = now();
    // Errors before routing are worded by the service the target names.
    let guess = if target.starts_with(rolegate_services::dynamodb::TARGET_PREFIX) {
        JsonService::DynamoDb
    } else {
        JsonService::Kms
    };
    let auth = match authenticate(&app.state, &app.verifier, &sreq, now, Protocol::Json) {
        Ok(a) => a,
        Err(e) => return json_error_response(guess, &e),
    };
    let service = match auth.scope.service.as_str() {
        "kms" => JsonService::Kms,
        "dynamodb" => JsonService::DynamoDb,
        other => {
            let e = ServiceError::new(
                400,
                "UnknownOperationException",
                format!("The service {other} is not served here."),
            );
            return json_error_response(guess, &e);
        }
    };
    let facts = RequestFacts {
        source_ip,
        secure_transport: false,
        region: &auth.scope.region,
        now,
    };
    json(
        &app.state,
        service,
        &auth.caller,
        facts,
        Some(target),
        body,
        rid,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn params(method: &str, uri: &str, form: bool, body: &'static str) -> Params {
        let mut b = Request::builder().method(method).uri(uri);
        if form {
            b = b.header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            );
        }
        let (parts, ()) = b.body(()).unwrap().into_parts();
        query_params(&parts, &Bytes::from_static(body.as_bytes()))
    }

    #[test]
    fn query_and_form_parameters_are_read_in_order() {
        // (method, URI, form content type, body, Action, and one more parameter)
        let cases = [
            // A form POST without a query string (what the SDKs send).
            (
                "POST",
                "/",
                true,
                "Action=GetCallerIdentity&Version=2011-06-15",
                Some("GetCallerIdentity"),
                ("Version", Some("2011-06-15")),
            ),
            // Both: the body is read after the query, so its Action wins.
            (
                "POST",
                "/?Action=ListUsers&MaxItems=5",
                true,
                "Action=GetUser",
                Some("GetUser"),
                ("MaxItems", Some("5")),
            ),
            // A POST body without a form content type still counts.
            (
                "POST",
                "/?Version=1",
                false,
                "Action=GetUser",
                Some("GetUser"),
                ("Version", Some("1")),
            ),
            // A GET with only a query, and an empty POST.
            (
                "GET",
                "/?Action=ListRoles",
                false,
                "",
                Some("ListRoles"),
                ("Version", None),
            ),
            ("POST", "/", false, "", None, ("Version", None)),
        ];
        for (method, uri, form, body, action, (name, value)) in cases {
            let p = params(method, uri, form, body);
            assert_eq!(p.action(), action, "{method} {uri} {body}");
            assert_eq!(p.get(name), value, "{method} {uri} {body}");
        }
    }

    #[test]
    fn header_values_are_text_exactly_when_to_str_says_so() {
        let mut values: Vec<Vec<u8>> = (0u8..=255).map(|b| vec![b'a', b, b'z']).collect();
        values
            .push(b"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request".to_vec());
        values.push(b"".to_vec());
        values.push("caf\u{e9}".as_bytes().to_vec());
        for bytes in values {
            let Ok(v) = http::HeaderValue::from_bytes(&bytes) else {
                continue;
            };
            assert_eq!(visible_ascii(&v), v.to_str().ok(), "{bytes:?}");
        }
    }
}
