//! Helpers shared by the integration tests: requests written as raw HTTP text.
#![allow(dead_code, clippy::unwrap_used)]

use rolegate_sigv4::{parse, Payload, Request, SigV4Error, Timestamp, Verified, Verifier};

/// The AWS SigV4 test suite's credentials and time.
pub const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const SUITE_TIME: &str = "20150830T123600Z";
/// The S3 documentation examples' secret and time.
pub const S3_DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const S3_DOC_TIME: &str = "20130524T000000Z";

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse_amz(s).unwrap()
}

/// A request owned by a test, parsed from `METHOD target HTTP/1.1\nName:value\n...\n\nbody`
/// as the suite's `.sreq` files are written. The target is taken as the raw path and query.
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn parse(text: &str) -> RawRequest {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let first = lines.next().unwrap();
        let (method, rest) = first.split_once(' ').unwrap();
        let target = rest.strip_suffix(" HTTP/1.1").unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.to_owned(), v.to_owned())
            })
            .collect();
        RawRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    /// Runs `f` on the borrowed view of this request with the given payload knowledge.
    pub fn with<R>(&self, payload: Option<Payload<'_>>, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let headers = self.header_refs();
        let req = Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            payload: payload.unwrap_or(Payload::Bytes(&self.body)),
        };
        f(&req)
    }

    /// parse + verify with `secret` at `now`.
    pub fn verify(&self, secret: &str, now: Timestamp) -> Result<Verified, SigV4Error> {
        self.with(None, |req| {
            let parsed = parse(req)?;
            Verifier::new(16).verify(parsed, req, secret, now)
        })
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
}
