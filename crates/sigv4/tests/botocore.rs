//! Requests signed by botocore itself (see `fixtures/gen_botocore.py`), replayed as a server
//! receives them: STS and IAM form posts, a session token, DynamoDB JSON, S3 with awkward
//! keys and query strings, an S3 upload in aws-chunked form with an unsigned checksum
//! trailer, and presigned URLs for S3 and STS.
#![allow(clippy::unwrap_used)]

mod common;

use common::ts;
use rolegate_sigv4::{parse, AuthKind, ChunkedMode, Payload, PayloadMode, Request, Verifier};
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/botocore.json")).unwrap()
}

struct Case {
    name: String,
    service: String,
    region: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn cases(f: &Value) -> Vec<Case> {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: s(c, "name"),
            service: s(c, "service"),
            region: s(c, "region"),
            method: s(c, "method"),
            path: s(c, "path"),
            query: s(c, "query"),
            headers: c["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().unwrap().to_owned(),
                        h[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            body: hex::decode(s(c, "body_hex")).unwrap(),
        })
        .collect()
}

#[test]
fn botocore_signed_requests_verify() {
    let f = fixtures();
    let secret = f["secret_access_key"].as_str().unwrap();
    let token = f["session_token"].as_str().unwrap();
    let now = ts(f["now"].as_str().unwrap());
    let verifier = Verifier::new(8);
    let all = cases(&f);
    assert_eq!(all.len(), 9);
    for c in &all {
        let headers: Vec<(&str, &str)> = c
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = Request {
            method: &c.method,
            path: &c.path,
            query: &c.query,
            headers: &headers,
            payload: Payload::Bytes(&c.body),
        };
        let parsed = parse(&req).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        parsed.check_service(&c.service).unwrap();
        parsed.check_region(|r| r == c.region, None).unwrap();
        let v = verifier
            .verify(parsed.clone(), &req, secret, now)
            .unwrap_or_else(|e| panic!("{}: {}", c.name, e.message_with_details()));
        assert_eq!(v.access_key_id(), f["access_key_id"].as_str().unwrap());

        let expect_token = c.name.contains("session-token") || c.name.starts_with("sts-presigned");
        assert_eq!(
            v.security_token(),
            expect_token.then_some(token),
            "{}",
            c.name
        );
        let expect_kind = if c.name.contains("presigned") {
            AuthKind::Presigned
        } else {
            AuthKind::Header
        };
        assert_eq!(parsed.kind(), expect_kind, "{}", c.name);

        // And any change to what botocore signed is caught.
        let mut tampered = c.body.clone();
        tampered.push(b' ');
        let altered = Request {
            path: if c.body.is_empty() {
                "/elsewhere"
            } else {
                &c.path
            },
            payload: Payload::Bytes(&tampered),
            ..req
        };
        if !matches!(
            v.payload_mode(),
            PayloadMode::Chunked(_) | PayloadMode::Unsigned
        ) || c.body.is_empty()
        {
            assert!(
                verifier.verify(parsed, &altered, secret, now).is_err(),
                "{}",
                c.name
            );
        }
    }
}

#[test]
fn botocore_unsigned_trailer_upload_decodes() {
    let f = fixtures();
    let secret = f["secret_access_key"].as_str().unwrap();
    let now = ts(f["now"].as_str().unwrap());
    let all = cases(&f);
    let c = all
        .iter()
        .find(|c| c.name == "s3-put-object-https")
        .unwrap();
    let headers: Vec<(&str, &str)> = c
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = Request {
        method: &c.method,
        path: &c.path,
        query: &c.query,
        headers: &headers,
        payload: Payload::Deferred,
    };
    let parsed = parse(&req).unwrap();
    let v = rolegate_sigv4::verify(parsed, &req, secret, now).unwrap();
    assert_eq!(
        v.payload_mode(),
        &PayloadMode::Chunked(ChunkedMode::UnsignedWithTrailer)
    );
    let mut dec = v.chunked_decoder().unwrap();
    let mut out = Vec::new();
    for piece in c.body.chunks(3) {
        dec.feed(piece, &mut out).unwrap();
    }
    assert_eq!(out, b"Welcome to rolegate.\n");
    assert_eq!(
        dec.finish().unwrap(),
        vec![("x-amz-checksum-crc32".to_owned(), "VVqT5w==".to_owned())]
    );
}
