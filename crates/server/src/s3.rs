//! The HTTP side of S3: recognizing an S3 request (credential scope, virtual-hosted Host,
//! anonymous path-style), addressing (bucket and key), SigV4 with S3's errors, the streamed
//! request body (payload hash, aws-chunked) and the streamed response body.

use crate::auth::{dev_root, ensure_account, sigv4_error};
use crate::http::App;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body as HttpBody, Frame, Incoming};
use hyper::{Response, StatusCode};
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::caller::KeyLookup;
use rolegate_core::Caller;
use rolegate_services::s3::{self as s3svc, Body, S3Body, S3Request, S3Response};
use rolegate_services::{ServiceError, State};
use rolegate_sigv4::{
    parse, AuthKind, ChunkSigner, ChunkedDecoder, ChunkedMode, CredentialScope, Payload,
    PayloadMode, Protocol, SigV4Error, SigningKey, Timestamp, Verifier,
};
use sha2::{Digest, Sha256};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

pub type RespBody = BoxBody<Bytes, io::Error>;

/// The service a request's credential names, from the header or presigned parameters. Every
/// request asks (S3 is routed by it), so the header's case reads bytes in place.
fn credential_service(parts: &http::request::Parts) -> Option<std::borrow::Cow<'_, str>> {
    if let Some(auth) = parts.headers.get(http::header::AUTHORIZATION) {
        let auth = auth.as_bytes();
        let at = auth.windows(11).position(|w| w == b"Credential=")? + 11;
        let cred = auth[at..].split(|&b| b == b',').next().unwrap_or_default();
        let service = cred.split(|&b| b == b'/').nth(3)?;
        return std::str::from_utf8(service)
            .ok()
            .map(std::borrow::Cow::Borrowed);
    }
    let q = parts.uri.query()?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "X-Amz-Credential")
        .and_then(|(_, v)| {
            v.split('/')
                .nth(3)
                .map(|s| std::borrow::Cow::Owned(s.to_owned()))
        })
}

/// The bucket named by a virtual-hosted Host (`bucket.localhost`, `bucket.s3.localhost`).
fn host_bucket(parts: &http::request::Parts) -> Option<String> {
    let host = parts.headers.get("host")?.to_str().ok()?;
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let bucket = host
        .strip_suffix(".s3.localhost")
        .or_else(|| host.strip_suffix(".localhost"))?;
    (!bucket.is_empty() && bucket != "s3").then(|| bucket.to_owned())
}

/// Whether a request is for S3 rather than the query or JSON services.
pub fn is_s3(parts: &http::request::Parts) -> bool {
    match credential_service(parts) {
        Some(service) => service == "s3",
        None => {
            if parts.headers.contains_key("x-amz-target") {
                return false;
            }
            if host_bucket(parts).is_some() {
                return true;
            }
            // Anonymous: IAM and STS are POSTs of a form to `/`, or carry `Action=`.
            let has_action = parts
                .uri
                .query()
                .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "Action"));
            let form = parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            !has_action && !form && (parts.uri.path() != "/" || parts.method != http::Method::POST)
        }
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// (bucket, key) from the Host and path.
fn address(parts: &http::request::Parts) -> (Option<String>, Option<String>) {
    let path = parts.uri.path();
    let path = path.strip_prefix('/').unwrap_or(path);
    if let Some(bucket) = host_bucket(parts) {
        let key = (!path.is_empty()).then(|| decode(path));
        return (Some(bucket), key);
    }
    if path.is_empty() {
        return (None, None);
    }
    match path.split_once('/') {
        None => (Some(decode(path)), None),
        Some((b, "")) => (Some(decode(b)), None),
        Some((b, k)) => (Some(decode(b)), Some(decode(k))),
    }
}

/// How the body must be read and checked.
enum Mode {
    /// Raw bytes; `Some` when their SHA-256 must match what was signed.
    Raw(Option<(Sha256, PayloadMode)>),
    Chunked(Option<Box<ChunkedDecoder>>),
}

/// The request body, pulled from hyper as the handler asks for it (the handler runs on a
/// blocking-capable worker; see `handle`).
struct StreamedBody {
    incoming: Incoming,
    rt: tokio::runtime::Handle,
    mode: Mode,
    done: bool,
    trailers: Vec<(String, String)>,
}

fn s3_sigv4(e: &SigV4Error) -> ServiceError {
    sigv4_error(e, Protocol::S3)
}

impl Body for StreamedBody {
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ServiceError> {
        loop {
            if self.done {
                return Ok(None);
            }
            // An empty body ends without waiting (and so without `block_on`, which a request
            // served on an async worker must not call: see `handle`).
            let frame = if self.incoming.is_end_stream() {
                None
            } else {
                self.rt.block_on(self.incoming.frame())
            };
            match frame {
                None => {
                    self.done = true;
                    match &mut self.mode {
                        Mode::Raw(Some((hasher, declared))) => {
                            let computed: [u8; 32] = std::mem::take(hasher).finalize().into();
                            declared.check_sha256(&computed).map_err(|e| s3_sigv4(&e))?;
                        }
                        Mode::Raw(None) => {}
                        Mode::Chunked(decoder) => {
                            let d = decoder
                                .take()
                                .ok_or_else(|| s3_sigv4(&SigV4Error::IncompleteBody))?;
                            self.trailers = d.finish().map_err(|e| s3_sigv4(&e))?;
                        }
                    }
                    return Ok(None);
                }
                Some(Err(_)) => {
                    self.done = true;
                    return Err(ServiceError::new(
                        400,
                        "IncompleteBody",
                        "You did not provide the number of bytes specified by the Content-Length HTTP header",
                    ));
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    match &mut self.mode {
                        Mode::Raw(check) => {
                            if let Some((h, _)) = check {
                                h.update(&data);
                            }
                            if !data.is_empty() {
                                return Ok(Some(data.to_vec()));
                            }
                        }
                        Mode::Chunked(decoder) => {
                            let d = decoder
                                .as_mut()
                                .ok_or_else(|| s3_sigv4(&SigV4Error::IncompleteBody))?;
                            let mut out = Vec::new();
                            d.feed(&data, &mut out).map_err(|e| s3_sigv4(&e))?;
                            if !out.is_empty() {
                                return Ok(Some(out));
                            }
                        }
                    }
                }
            }
        }
    }

    fn trailers(&self) -> Vec<(String, String)> {
        self.trailers.clone()
    }
}

fn header_hash_mode(declared: Option<&str>) -> Mode {
    match declared {
        Some(h) if h.starts_with("STREAMING-") => Mode::Chunked(None),
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => Mode::Raw(Some((
            Sha256::new(),
            PayloadMode::Sha256(h.to_ascii_lowercase()),
        ))),
        _ => Mode::Raw(None),
    }
}

/// A decoder that checks no chunk signature, for development-mode roots whose secret is not
/// known: the unsigned-trailer form reads every aws-chunked variant.
fn lenient_decoder(scope: &CredentialScope, time: Timestamp) -> ChunkedDecoder {
    let key = SigningKey::derive("", &scope.date, &scope.region, &scope.service);
    ChunkedDecoder::new(
        ChunkedMode::UnsignedWithTrailer,
        ChunkSigner::new(key, time, scope),
        "",
    )
}

struct S3Auth {
    caller: Arc<Caller>,
    region: String,
    mode: Mode,
}

fn authenticate(
    state: &State,
    verifier: &Verifier,
    req: &rolegate_sigv4::Request<'_>,
    now: i64,
) -> Result<S3Auth, ServiceError> {
    let sigv2 = req
        .header("authorization")
        .is_some_and(|a| a.starts_with("AWS "))
        || req.query_param("AWSAccessKeyId").is_some();
    let parsed = match parse(req) {
        Err(SigV4Error::MissingAuthentication) if sigv2 => {
            return Err(ServiceError::new(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            ))
        }
        Err(SigV4Error::MissingAuthentication) => {
            return Ok(S3Auth {
                caller: Arc::new(Caller::anonymous()),
                region: "us-east-1".into(),
                mode: Mode::Raw(None),
            })
        }
        Err(e) => return Err(s3_sigv4(&e)),
        Ok(p) => p,
    };
    let key = parsed.access_key_id();
    if state.dev_mode && parsed.security_token().is_none() {
        if let Some(account) = dev_root(key) {
            // The secret is not checked, but a presigned URL still expires.
            if let (AuthKind::Presigned, Some(expires)) = (parsed.kind(), parsed.expires()) {
                if now > parsed.time().unix() + expires as i64 {
                    return Err(s3_sigv4(&SigV4Error::PresignedExpired {
                        request_time: parsed.time(),
                        expires,
                        now: Timestamp::from_unix(now),
                    }));
                }
            }
            ensure_account(state, account)?;
            let mut mode = match parsed.kind() {
                AuthKind::Presigned => Mode::Raw(None),
                AuthKind::Header => header_hash_mode(req.header("x-amz-content-sha256")),
            };
            if let Mode::Chunked(d) = &mut mode {
                *d = Some(Box::new(lenient_decoder(parsed.scope(), parsed.time())));
            }
            return Ok(S3Auth {
                caller: Arc::new(Caller::root(account, key)),
                region: parsed.into_scope().region,
                mode,
            });
        }
    }
    let snap = state.catalog.snapshot();
    match Caller::lookup(&snap, &state.tokens, key, parsed.security_token(), now) {
        KeyLookup::Found { secret, caller } => {
            let verified = verifier
                .verify(parsed, req, &secret, Timestamp::from_unix(now))
                .map_err(|e| s3_sigv4(&e))?;
            crate::auth::record_key_use(state, &verified, now);
            let mode = match verified.payload_mode() {
                PayloadMode::Chunked(_) => Mode::Chunked(verified.chunked_decoder().map(Box::new)),
                PayloadMode::Unsigned => Mode::Raw(None),
                declared @ PayloadMode::Sha256(_) => {
                    Mode::Raw(Some((Sha256::new(), declared.clone())))
                }
            };
            Ok(S3Auth {
                caller,
                region: verified.into_scope().region,
                mode,
            })
        }
        KeyLookup::Expired => Err(ServiceError::new(
            400,
            "ExpiredToken",
            "The provided token has expired.",
        )),
        KeyLookup::Unknown if parsed.security_token().is_some() => Err(ServiceError::new(
            400,
            "InvalidToken",
            "The provided token is malformed or otherwise invalid.",
        )),
        KeyLookup::Unknown => Err(ServiceError::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )),
    }
}

/// A response body read from an open file, `remaining` bytes.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Vec<u8>,
}

impl HttpBody for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want =
            usize::try_from(this.remaining).map_or(this.buf.len(), |r| r.min(this.buf.len()));
        let mut rb = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut rb) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into())));
                }
                this.remaining -= n as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(rb.filled())))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining)
    }
}

pub fn full(b: impl Into<Bytes>) -> RespBody {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

/// Header names built once, as `crate::http` builds its own.
static X_AMZ_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-amz-request-id");
static X_AMZ_ID_2: http::HeaderName = http::HeaderName::from_static("x-amz-id-2");

fn to_http(r: S3Response, rid: &str) -> Response<RespBody> {
    let body = match r.body {
        S3Body::Empty => Empty::new().map_err(|never| match never {}).boxed(),
        S3Body::Bytes(b) => full(b),
        S3Body::File { file, len } => FileBody {
            file: tokio::fs::File::from_std(file),
            remaining: len,
            buf: vec![0; 256 * 1024],
        }
        .boxed(),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    for (n, v) in r.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(n.as_bytes()),
            http::HeaderValue::from_str(&v),
        ) {
            h.append(n, v);
        }
    }
    if let Ok(v) = http::HeaderValue::from_str(rid) {
        h.insert(X_AMZ_REQUEST_ID.clone(), v.clone());
        h.insert(X_AMZ_ID_2.clone(), v);
    }
    resp
}

fn now() -> i64 {
    rolegate_core::clock::now()
}

/// Serves one S3 request. A read (GET or HEAD without a body) runs right here on the async
/// worker: it is answered from the in-memory index, and an object's data is opened here but
/// streamed asynchronously. Anything else runs on a blocking thread: it waits on the disk
/// (fsync), and it pulls the request body from this connection's task, which must keep
/// running meanwhile. (A read never reaches `block_on`: with an empty body, the body reader
/// and the drain return at once.)
pub async fn handle(
    app: Arc<App>,
    parts: http::request::Parts,
    body: Incoming,
    source_ip: Arc<str>,
    rid: String,
) -> Response<RespBody> {
    let rt = tokio::runtime::Handle::current();
    let read = matches!(parts.method, http::Method::GET | http::Method::HEAD);
    if read && body.is_end_stream() {
        let resp = serve_blocking(&app, parts, body, &source_ip, &rid, rt);
        return to_http(resp, &rid);
    }
    let task_rid = rid.clone();
    let resp = tokio::task::spawn_blocking(move || {
        serve_blocking(&app, parts, body, &source_ip, &task_rid, rt)
    })
    .await
    .unwrap_or_else(|_| S3Response {
        status: 500,
        headers: Vec::new(),
        body: S3Body::Empty,
    });
    to_http(resp, &rid)
}

/// The most of an unread request body we read and discard to keep a connection usable.
const MAX_DRAIN: usize = 8 * 1024 * 1024;

/// Reads and discards what is left of a body; false when it was too large (or broken).
fn drain(incoming: &mut Incoming, rt: &tokio::runtime::Handle) -> bool {
    if incoming.is_end_stream() {
        return true;
    }
    let mut seen = 0usize;
    loop {
        match rt.block_on(incoming.frame()) {
            None => return true,
            Some(Err(_)) => return false,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    seen += data.len();
                    if seen > MAX_DRAIN {
                        return false;
                    }
                }
            }
        }
    }
}

fn serve_blocking(
    app: &App,
    parts: http::request::Parts,
    body: Incoming,
    source_ip: &str,
    rid: &str,
    rt: tokio::runtime::Handle,
) -> S3Response {
    let (bucket, key) = address(&parts);
    let head = parts.method == http::Method::HEAD;
    let resource = match (&bucket, &key) {
        (Some(b), Some(k)) => format!("/{b}/{k}"),
        (Some(b), None) => format!("/{b}"),
        _ => "/".to_owned(),
    };
    let fail = |e: ServiceError| {
        let body = if head {
            S3Body::Empty
        } else {
            S3Body::Bytes(s3svc::error_body(&e, &resource, rid).into_bytes())
        };
        S3Response {
            status: e.status,
            headers: vec![("content-type".into(), "application/xml".into())],
            body,
        }
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let raw_query = parts.uri.query().unwrap_or("");
    let sreq = rolegate_sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: raw_query,
        headers: &header_refs,
        payload: Payload::Deferred,
    };
    let now = now();
    let auth = match authenticate(&app.state, &app.verifier, &sreq, now) {
        Ok(a) => a,
        Err(e) => {
            // The body is unread: drain it (see below) so the connection stays in step.
            let mut incoming = body;
            let mut r = fail(e);
            if !drain(&mut incoming, &rt) {
                r.headers.push(("connection".into(), "close".into()));
            }
            return r;
        }
    };
    let query: Vec<(String, String)> = sreq
        .query_params()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("X-Amz-"))
        .collect();
    let mut stream = StreamedBody {
        incoming: body,
        rt,
        mode: auth.mode,
        done: false,
        trailers: Vec::new(),
    };
    let facts = RequestFacts {
        source_ip,
        secure_transport: false,
        region: &auth.region,
        now,
    };
    let method = parts.method.as_str();
    let req = S3Request {
        method,
        bucket,
        key,
        query,
        headers: headers.clone(),
        body: &mut stream,
    };
    let mut resp = s3svc::handle(&app.state, &app.objects, &auth.caller, facts, req, rid);
    // A handler that answered without reading the body (an error, most often) leaves bytes the
    // client is still sending, or will send once its `Expect: 100-continue` wait runs out: read
    // them here, or they would be parsed as the next request on this connection. Past a bound,
    // close the connection instead.
    if !stream.done && !drain(&mut stream.incoming, &stream.rt) {
        resp.headers.push(("connection".into(), "close".into()));
    }
    if let S3Body::File { file, len } = &mut resp.body {
        // A small object is read here, whole: streaming it through `tokio::fs` would cost a
        // blocking-pool hand-off per read for a few KiB.
        if *len <= INLINE_BODY {
            let mut data = Vec::with_capacity(*len as usize);
            match io::Read::read_to_end(&mut io::Read::take(&mut *file, *len), &mut data) {
                Ok(n) if n as u64 == *len => resp.body = S3Body::Bytes(data),
                _ => {
                    resp = fail(ServiceError::new(
                        500,
                        "InternalError",
                        "We encountered an internal error. Please try again.",
                    ))
                }
            }
        }
    }
    if resp.status >= 500 {
        tracing::error!("s3 {method} {resource}: {} (request {rid})", resp.status);
    }
    resp
}

/// Object bodies up to this size are read whole before answering (see `serve_blocking`).
const INLINE_BODY: u64 = 64 * 1024;
