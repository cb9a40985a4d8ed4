//! Pre-built request templates, signed afresh for every request with rolegate's own SigV4
//! signer (`rolegate_sigv4::authorization_with_key`), the way an SDK signs: a new `x-amz-date` each second and a
//! new signature each request.
//!
//! Everything that does not change between requests (request line, header lines, body and
//! its hash) is built once; per request only the signature (and, for CreateUser, the body) is
//! made, and the request is written out as HTTP/1.1 bytes for `crate::conn`.

use bytes::{BufMut, Bytes, BytesMut};
use http::Method;
use rolegate_sigv4::{authorization_with_key, Payload, SigningKey, SigningParams, Timestamp};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The payload hash S3 wants for an empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const REGION: &str = "us-east-1";
/// At most this many headers are signed (host, x-amz-date and the template's own).
const MAX_SIGNED: usize = 6;

/// An access key pair.
#[derive(Clone, Debug)]
pub struct Creds {
    pub key: String,
    pub secret: String,
}

impl Creds {
    pub fn new(key: &str, secret: &str) -> Arc<Creds> {
        Arc::new(Creds {
            key: key.to_owned(),
            secret: secret.to_owned(),
        })
    }
}

/// What a template sends as its body.
#[derive(Clone, Debug)]
pub enum Body {
    /// The same bytes every time, hashed once.
    Fixed { bytes: Bytes, sha: [u8; 32] },
    /// IAM CreateUser of a name that is new for every request (`{prefix}-{conn}-{n}`, `n`
    /// from a process-wide counter so that later phases never reuse a name).
    NewUser { prefix: String },
}

impl Body {
    pub fn fixed(bytes: impl Into<Bytes>) -> Body {
        let bytes = bytes.into();
        let sha = Sha256::digest(&bytes).into();
        Body::Fixed { bytes, sha }
    }
}

/// One request, ready to be signed and sent any number of times.
#[derive(Clone, Debug)]
pub struct Template {
    method: Method,
    path: String,
    query: String,
    /// `METHOD path?query HTTP/1.1\r\n`.
    request_line: String,
    service: &'static str,
    /// The template's own signed headers (names lowercase).
    signed: Vec<(&'static str, String)>,
    body: Body,
    creds: Arc<Creds>,
    /// The signing key of the day (days since the epoch) it was derived for: an SDK's
    /// credentials provider caches it too, and four HMACs per request are the generator's
    /// time taken from the server.
    key: RefCell<Option<(i64, SigningKey)>>,
}

/// A signed request as the bytes to write.
pub struct Outgoing {
    pub bytes: Bytes,
}

impl Template {
    pub fn new(
        method: Method,
        path_and_query: &str,
        service: &'static str,
        headers: &[(&'static str, &str)],
        body: Body,
        creds: Arc<Creds>,
    ) -> Result<Template, String> {
        if headers.len() + 2 > MAX_SIGNED {
            return Err("too many headers".to_owned());
        }
        let printable = |t: &str| t.bytes().all(|b| (0x20..0x7f).contains(&b));
        if !path_and_query.starts_with('/') || path_and_query.contains(' ') {
            return Err(format!("bad uri {path_and_query}"));
        }
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut signed = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            if !printable(name) || !printable(value) || name.contains(':') {
                return Err(format!("bad header {name}: {value}"));
            }
            signed.push((*name, (*value).to_owned()));
        }
        Ok(Template {
            request_line: format!("{method} {path_and_query} HTTP/1.1\r\n"),
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            service,
            signed,
            body,
            creds,
            key: RefCell::new(None),
        })
    }

    /// The AWS query protocol (IAM, STS): a form POSTed to `/`.
    pub fn query(service: &'static str, form: &str, creds: &Arc<Creds>) -> Result<Self, String> {
        Template::new(
            Method::POST,
            "/",
            service,
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            Body::fixed(form.to_owned()),
            creds.clone(),
        )
    }

    /// IAM CreateUser with a new user name on each request.
    pub fn create_user(prefix: &str, creds: &Arc<Creds>) -> Result<Self, String> {
        Template::new(
            Method::POST,
            "/",
            "iam",
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            Body::NewUser {
                prefix: prefix.to_owned(),
            },
            creds.clone(),
        )
    }

    /// awsJson 1.0 (DynamoDB) or 1.1 (KMS): the operation in `X-Amz-Target`.
    pub fn json(
        service: &'static str,
        version: &str,
        target: &str,
        body: &serde_json::Value,
        creds: &Arc<Creds>,
    ) -> Result<Self, String> {
        let content_type = format!("application/x-amz-json-{version}");
        Template::new(
            Method::POST,
            "/",
            service,
            &[("content-type", &content_type), ("x-amz-target", target)],
            Body::fixed(body.to_string()),
            creds.clone(),
        )
    }

    /// S3 path-style, with the payload hash in `x-amz-content-sha256` as the SDKs send it.
    pub fn s3(method: Method, path: &str, body: Bytes, creds: &Arc<Creds>) -> Result<Self, String> {
        let body = Body::fixed(body);
        let sha = match &body {
            Body::Fixed { sha, .. } => hex::encode(sha),
            Body::NewUser { .. } => EMPTY_SHA256.to_owned(),
        };
        Template::new(
            method,
            path,
            "s3",
            &[("x-amz-content-sha256", &sha)],
            body,
            creds.clone(),
        )
    }

    /// Signs and builds one request. `conn` goes into CreateUser's name.
    pub fn build(
        &self,
        host: &HostHeader,
        clock: &mut Clock,
        conn: usize,
    ) -> Result<Outgoing, String> {
        clock.tick();
        let (bytes, sha) = match &self.body {
            Body::Fixed { bytes, sha } => (bytes.clone(), *sha),
            Body::NewUser { prefix } => {
                let n = NEXT_USER.fetch_add(1, Ordering::Relaxed);
                let b = Bytes::from(format!(
                    "Action=CreateUser&Version=2010-05-08&UserName={prefix}-{conn}-{n}"
                ));
                let sha: [u8; 32] = Sha256::digest(&b).into();
                (b, sha)
            }
        };
        let mut pairs = [("", ""); MAX_SIGNED];
        pairs[0] = ("host", host.text.as_str());
        pairs[1] = ("x-amz-date", clock.amz.as_str());
        for (slot, (name, value)) in pairs[2..].iter_mut().zip(&self.signed) {
            *slot = (*name, value.as_str());
        }
        let n = 2 + self.signed.len();
        let sreq = rolegate_sigv4::Request {
            method: self.method.as_str(),
            path: &self.path,
            query: &self.query,
            headers: &pairs[..n],
            payload: Payload::Sha256(sha),
        };
        let params = SigningParams {
            access_key_id: &self.creds.key,
            secret_access_key: &self.creds.secret,
            region: REGION,
            service: self.service,
            time: clock.now,
        };
        let day = clock.secs.div_euclid(86_400);
        let mut cached = self.key.borrow_mut();
        let key = match &*cached {
            Some((d, k)) if *d == day => k,
            _ => {
                let k = SigningKey::derive(
                    &self.creds.secret,
                    &clock.now.date_stamp(),
                    REGION,
                    self.service,
                );
                &cached.insert((day, k)).1
            }
        };
        let authorization =
            authorization_with_key(&sreq, &params, key).map_err(|e| format!("sign: {e}"))?;
        drop(cached);
        let mut out = BytesMut::with_capacity(512 + bytes.len());
        out.put_slice(self.request_line.as_bytes());
        for (name, value) in [
            ("host", host.text.as_str()),
            ("x-amz-date", clock.amz.as_str()),
        ]
        .into_iter()
        .chain(self.signed.iter().map(|(n, v)| (*n, v.as_str())))
        .chain([("authorization", authorization.as_str())])
        {
            out.put_slice(name.as_bytes());
            out.put_slice(b": ");
            out.put_slice(value.as_bytes());
            out.put_slice(b"\r\n");
        }
        out.put_slice(format!("content-length: {}\r\n\r\n", bytes.len()).as_bytes());
        out.put_slice(&bytes);
        Ok(Outgoing {
            bytes: out.freeze(),
        })
    }
}

/// The number in the next CreateUser's user name.
static NEXT_USER: AtomicU64 = AtomicU64::new(0);

/// The `Host` header of a target.
#[derive(Clone, Debug)]
pub struct HostHeader {
    text: String,
}

impl HostHeader {
    pub fn new(authority: &str) -> Result<HostHeader, String> {
        if authority.is_empty() || !authority.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("host: {authority:?} is not a host"));
        }
        Ok(HostHeader {
            text: authority.to_owned(),
        })
    }
}

/// The signing time, reformatted only when the second changes.
pub struct Clock {
    secs: i64,
    now: Timestamp,
    amz: String,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            secs: -1,
            now: Timestamp::from_unix(0),
            amz: String::new(),
        }
    }
}

impl Clock {
    fn tick(&mut self) {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        if secs != self.secs {
            self.secs = secs;
            self.now = Timestamp::from_unix(secs);
            self.amz = self.now.to_amz();
        }
    }
}
