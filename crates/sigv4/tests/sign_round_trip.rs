//! The client-side signer against the published vectors and against the verifier.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ts, SUITE_SECRET, SUITE_TIME};
use proptest::prelude::*;
use rolegate_sigv4::{
    authorization_with_key, parse, presign, sign, sign_with_key, Payload, Request, SigningKey,
    SigningParams, Verifier,
};

fn suite_params() -> SigningParams<'static> {
    SigningParams {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: SUITE_SECRET,
        region: "us-east-1",
        service: "service",
        time: ts(SUITE_TIME),
    }
}

#[test]
fn sign_reproduces_the_suite() {
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("My-Header1", "value4"),
        ("My-Header1", "value1"),
        ("My-Header1", "value3"),
        ("My-Header1", "value2"),
        ("X-Amz-Date", SUITE_TIME),
        ("User-Agent", "not signed"),
    ];
    let req = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload: Payload::Bytes(b""),
    };
    let s = sign(&req, &suite_params()).unwrap();
    assert_eq!(s.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01");
    assert_eq!(s.string_to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86");
    // A key derived once signs the same; a key of another day does not.
    let key = SigningKey::derive(SUITE_SECRET, "20150830", "us-east-1", "service");
    assert_eq!(sign_with_key(&req, &suite_params(), &key).unwrap(), s);
    assert_eq!(
        authorization_with_key(&req, &suite_params(), &key).unwrap(),
        s.authorization
    );
    let stale = SigningKey::derive(SUITE_SECRET, "20150829", "us-east-1", "service");
    assert_ne!(
        sign_with_key(&req, &suite_params(), &stale)
            .unwrap()
            .signature,
        s.signature
    );
}

#[test]
fn presign_reproduces_the_s3_example() {
    let headers = [("Host", "examplebucket.s3.amazonaws.com")];
    let req = Request {
        method: "GET",
        path: "/test.txt",
        query: "",
        headers: &headers,
        payload: Payload::Deferred,
    };
    let params = SigningParams {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: common::S3_DOC_SECRET,
        region: "us-east-1",
        service: "s3",
        time: ts(common::S3_DOC_TIME),
    };
    let q = presign(&req, &params, 86_400, None).unwrap();
    assert!(
        q.ends_with(
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        ),
        "{q}"
    );
}

#[test]
fn presigned_token_signed_or_appended_after_signing() {
    let headers = [("Host", "sts.amazonaws.com")];
    let base = Request {
        method: "GET",
        path: "/",
        query: "Action=GetCallerIdentity&Version=2011-06-15",
        headers: &headers,
        payload: Payload::Bytes(b""),
    };
    let params = SigningParams {
        service: "sts",
        ..suite_params()
    };
    let verifier = Verifier::new(4);
    let token = "tok+/=";

    let signed_with = presign(&base, &params, 60, Some(token)).unwrap();
    let req = Request {
        query: &signed_with,
        ..base
    };
    let p = parse(&req).unwrap();
    assert_eq!(p.security_token(), Some(token));
    verifier
        .verify(p, &req, SUITE_SECRET, ts(SUITE_TIME))
        .unwrap();

    let appended =
        presign(&base, &params, 60, None).unwrap() + "&X-Amz-Security-Token=tok%2B%2F%3D";
    let req = Request {
        query: &appended,
        ..base
    };
    let p = parse(&req).unwrap();
    assert_eq!(p.security_token(), Some(token));
    verifier
        .verify(p, &req, SUITE_SECRET, ts(SUITE_TIME))
        .unwrap();
}

#[test]
fn date_header_instead_of_x_amz_date() {
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
    ];
    let mut req = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload: Payload::Bytes(b""),
    };
    let s = sign(&req, &suite_params()).unwrap();
    let with_auth = [
        headers[0],
        headers[1],
        ("Authorization", s.authorization.as_str()),
    ];
    req.headers = &with_auth;
    let p = parse(&req).unwrap();
    assert_eq!(p.time(), ts(SUITE_TIME));
    rolegate_sigv4::verify(p, &req, SUITE_SECRET, ts(SUITE_TIME)).unwrap();
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("X-Amz-Meta-Note".to_owned()),
        Just("Content-Type".to_owned()),
        Just("x-amz-target".to_owned()),
        "[A-Za-z][A-Za-z0-9-]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever a client signs with this signer, the verifier accepts, for S3 and others,
    /// with paths and queries full of characters that need encoding.
    #[test]
    fn signed_requests_verify(
        s3 in any::<bool>(),
        segments in proptest::collection::vec("[a-zA-Z0-9 ._~!$&'()*+,;=:@%é-]{0,8}", 0..4),
        query in proptest::collection::vec(("[a-zA-Z0-9 ._~+/=&é-]{0,6}", "[a-zA-Z0-9 ._~+/=é-]{0,6}"), 0..4),
        extra in proptest::collection::vec((header_name(), "[ -~]{0,16}"), 0..4),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        skew in -900i64..=900,
    ) {
        let service = if s3 { "s3" } else { "dynamodb" };
        // The wire path: each segment percent-encoded the way an HTTP client would.
        let path = format!("/{}", segments.iter().map(|s| s.replace('%', "%25").replace(' ', "%20").replace('é', "%C3%A9")).collect::<Vec<_>>().join("/"));
        let raw_query = query
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let body_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
        let mut headers: Vec<(String, String)> = vec![
            ("Host".into(), "localhost:8080".into()),
            ("X-Amz-Date".into(), SUITE_TIME.into()),
        ];
        if s3 {
            headers.push(("x-amz-content-sha256".into(), body_hash));
        }
        headers.extend(extra.into_iter().filter(|(n, _)| !n.eq_ignore_ascii_case("authorization") && !n.eq_ignore_ascii_case("host") && !n.eq_ignore_ascii_case("x-amz-date") && !n.eq_ignore_ascii_case("x-amz-content-sha256") && !n.eq_ignore_ascii_case("date")));
        let refs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let mut req = Request { method: "PUT", path: &path, query: &raw_query, headers: &refs, payload: Payload::Bytes(&body) };
        let params = SigningParams { service, ..suite_params() };
        let signed = sign(&req, &params).unwrap();
        // The streaming signer writes the same header as the one that builds the texts.
        let key = SigningKey::derive(SUITE_SECRET, "20150830", "us-east-1", service);
        prop_assert_eq!(&authorization_with_key(&req, &params, &key).unwrap(), &signed.authorization);

        let mut with_auth = refs.clone();
        with_auth.push(("Authorization", &signed.authorization));
        req.headers = &with_auth;
        let parsed = parse(&req).unwrap();
        let v = Verifier::new(2).verify(parsed, &req, SUITE_SECRET, ts(SUITE_TIME).add_secs(skew));
        prop_assert!(v.is_ok(), "{:?}", v.err().map(|e| e.message_with_details()));
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
