//! Cost of authenticating one request: `parse` then `Verifier::verify` with a warm key cache,
//! as the server does for every signed request.
//!
//! * `query_post`: STS GetCallerIdentity as the AWS SDKs send it (form body, no
//!   `x-amz-content-sha256`, so the body is hashed).
//! * `json_post_token`: a KMS call signed with temporary credentials (session token header).
//! * `s3_get`: S3 GetObject with `x-amz-content-sha256: UNSIGNED-PAYLOAD` and a longer path.
//!
//! `cargo bench -p rolegate-sigv4 --bench verify`. `ROLEGATE_PROBE=N target/release/deps/verify-*`
//! runs each case N times without criterion and exits, for `valgrind --tool=callgrind`.

use criterion::Criterion;
use rolegate_sigv4::{parse, sign, Payload, Request, SigningParams, Timestamp, Verifier};
use std::hint::black_box;
use std::time::Duration;

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20261128T120000Z";

struct Case {
    name: &'static str,
    service: &'static str,
    method: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: &'static [u8],
}

fn cases() -> Vec<Case> {
    let host = ("host", "127.0.0.1:4566".to_owned());
    let date = ("x-amz-date", DATE.to_owned());
    vec![
        Case {
            name: "query_post",
            service: "sts",
            method: "POST",
            path: "/",
            headers: vec![
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
                ),
                host.clone(),
                date.clone(),
            ],
            body: b"Action=GetCallerIdentity&Version=2011-06-15",
        },
        Case {
            name: "json_post_token",
            service: "kms",
            method: "POST",
            path: "/",
            headers: vec![
                ("content-type", "application/x-amz-json-1.1".to_owned()),
                host.clone(),
                date.clone(),
                ("x-amz-security-token", "T".repeat(600)),
                ("x-amz-target", "TrentService.Decrypt".to_owned()),
            ],
            body: br#"{"CiphertextBlob":"AQICAHh0ZXN0LWtleS1pZC0xMjM0NTY3ODkwYWJjZGVm"}"#,
        },
        Case {
            name: "s3_get",
            service: "s3",
            method: "GET",
            path: "/bench-bucket/objects/2026/11/report-0042.bin",
            headers: vec![
                host,
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD".to_owned()),
                date,
            ],
            body: b"",
        },
    ]
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let now = Timestamp::parse_amz(DATE).unwrap_or(Timestamp::from_unix(0));
    let verifier = Verifier::new(16);
    let probe: Option<u32> = std::env::var("ROLEGATE_PROBE")
        .ok()
        .and_then(|n| n.parse().ok());
    for case in cases() {
        let to_sign: Vec<(&str, &str)> =
            case.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let unsigned = Request {
            method: case.method,
            path: case.path,
            query: "",
            headers: &to_sign,
            payload: Payload::Bytes(case.body),
        };
        let params = SigningParams {
            access_key_id: KEY_ID,
            secret_access_key: SECRET,
            region: "us-east-1",
            service: case.service,
            time: now,
        };
        let Ok(signed) = sign(&unsigned, &params) else {
            panic!("{}: the request does not sign", case.name);
        };
        let mut headers = to_sign.clone();
        headers.push(("authorization", signed.authorization.as_str()));
        let req = Request {
            headers: &headers,
            ..unsigned
        };
        let check = || -> bool {
            parse(&req)
                .and_then(|p| verifier.verify(p, &req, SECRET, now))
                .is_ok()
        };
        assert!(check(), "{}: the signed request does not verify", case.name);
        if let Some(n) = probe {
            for _ in 0..n {
                black_box(check());
            }
            continue;
        }
        c.bench_function(&format!("parse_verify/{}", case.name), |b| {
            b.iter(|| black_box(check()))
        });
    }
    if probe.is_none() {
        c.final_summary();
    }
}
