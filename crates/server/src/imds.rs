//! The instance metadata service (IMDSv1 and IMDSv2) of every running instance, served under
//! `/_rolegate/imds/<capability>/` (see `imds_keys` for why the path carries a capability).
//!
//! IMDSv2: `PUT latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1..=21600)
//! returns a session token, sent back in `X-aws-ec2-metadata-token` on every GET. IMDSv1 (no
//! token) is answered unless the instance requires tokens (`HttpTokens=required`). A token that
//! is sent must be valid, whatever the setting. Errors carry EC2's small HTML bodies.

use crate::http::App;
use crate::imds_credentials::CredentialCache;
use crate::imds_keys::ImdsKeys;
use crate::imds_paths::{aws_json, resolve, Reply, View};
use crate::open::StartError;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::Full;
use hyper::Response;
use rolegate_core::clock::iso;
use rolegate_core::crypto::MasterKey;
use rolegate_core::ec2::{HttpEndpoint, HttpTokens, InstanceState};
use std::path::Path;

const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const MAX_TTL: i64 = 21_600;

/// The metadata service's own state: its keys and the credentials it has handed out.
pub(crate) struct Imds {
    pub(crate) keys: ImdsKeys,
    credentials: CredentialCache,
}

impl Imds {
    /// Reads the master key the rest of the data directory uses (already opened by then).
    pub(crate) fn open(data_dir: &Path) -> Result<Imds, StartError> {
        let master = MasterKey::load_or_create(&data_dir.join("master.key"))
            .map_err(|e| StartError::DataDir(data_dir.display().to_string(), e.to_string()))?;
        Ok(Imds {
            keys: ImdsKeys::new(&master),
            credentials: CredentialCache::default(),
        })
    }
}

/// EC2's IMDS error page for `status`.
fn error(status: StatusCode) -> Response<Full<Bytes>> {
    let title = format!(
        "{} - {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n\
         <!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\
         \t\t \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n \
         <head>\n  <title>{title}</title>\n </head>\n \
         <body>\n  <h1>{title}</h1>\n </body>\n</html>\n"
    );
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/html"));
    r
}

fn text(body: String, ttl: Option<i64>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("text/plain"));
    if let Some(ttl) = ttl.and_then(|t| HeaderValue::from_str(&t.to_string()).ok()) {
        h.insert(TTL_HEADER, ttl);
    }
    r
}

fn header<'p>(parts: &'p http::request::Parts, name: &str) -> Option<&'p str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Serves `rest`, the request path after `/_rolegate/imds/`.
pub(crate) fn handle(
    app: &App,
    parts: &http::request::Parts,
    rest: &str,
    now: i64,
) -> Response<Full<Bytes>> {
    let (capability, path) = rest.split_once('/').unwrap_or((rest, ""));
    // A capability we did not make is indistinguishable from an unknown path.
    let Some(instance_id) = app.imds.keys.open_capability(capability) else {
        return error(StatusCode::NOT_FOUND);
    };
    let snap = app.state.catalog.snapshot();
    let Some((account, instance)) = snap.find_instance(&instance_id) else {
        return error(StatusCode::NOT_FOUND);
    };
    // Nothing answers for an instance that is not running.
    if instance.state != InstanceState::Running {
        return error(StatusCode::NOT_FOUND);
    }
    if instance.metadata.http_endpoint == HttpEndpoint::Disabled {
        return error(StatusCode::FORBIDDEN);
    }
    let path = path.trim_start_matches('/');

    if path == "latest/api/token" {
        if parts.method != Method::PUT {
            return error(StatusCode::METHOD_NOT_ALLOWED);
        }
        // EC2 refuses token requests that went through a proxy.
        if parts.headers.contains_key("x-forwarded-for") {
            return error(StatusCode::FORBIDDEN);
        }
        let ttl = header(parts, TTL_HEADER).and_then(|v| v.trim().parse::<i64>().ok());
        let Some(ttl) = ttl.filter(|t| (1..=MAX_TTL).contains(t)) else {
            return error(StatusCode::BAD_REQUEST);
        };
        let token = app
            .imds
            .keys
            .token(&instance.id, instance.launch_time, now + ttl);
        return text(token, Some(ttl));
    }
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return error(StatusCode::METHOD_NOT_ALLOWED);
    }
    let ttl = match header(parts, TOKEN_HEADER) {
        Some(token) => {
            match app
                .imds
                .keys
                .check_token(token, &instance.id, instance.launch_time, now)
            {
                Some(left) => Some(left),
                None => return error(StatusCode::UNAUTHORIZED),
            }
        }
        None if instance.metadata.http_tokens == HttpTokens::Required => {
            return error(StatusCode::UNAUTHORIZED)
        }
        None => None,
    };
    let view = View { account, instance };
    // Only the `latest` version is served (AWS also lists dated versions here).
    let reply = match path {
        "" => Some(Reply::Text("latest".to_owned())),
        _ => path
            .strip_prefix("latest")
            .filter(|p| p.is_empty() || p.starts_with('/'))
            .and_then(|p| resolve(&view, p.trim_start_matches('/'))),
    };
    match reply {
        None => error(StatusCode::NOT_FOUND),
        Some(Reply::Text(body)) => text(body, ttl),
        Some(Reply::Credentials { association, role }) => {
            let c = app.imds.credentials.get(
                &app.state.tokens,
                instance,
                &association.association_id,
                role,
                ttl.is_some(),
                now,
            );
            let body = aws_json(&[
                ("Code", Some("Success")),
                ("LastUpdated", Some(&iso(c.issued))),
                ("Type", Some("AWS-HMAC")),
                ("AccessKeyId", Some(&c.access_key_id)),
                ("SecretAccessKey", Some(&c.secret)),
                ("Token", Some(&c.token)),
                ("Expiration", Some(&iso(c.expires))),
            ]);
            text(body, ttl)
        }
    }
}
