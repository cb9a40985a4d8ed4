//! The AWS Signature Version 4 test suite (secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`,
//! key `AKIDEXAMPLE`, 20150830T123600Z, us-east-1, service `service`): each signed request,
//! as published, must verify. The request lines are the raw wire path and query, which a
//! non-S3 service encodes once more (so `/example space/` canonicalizes to
//! `/example%20space/`, as the suite expects).
#![allow(clippy::unwrap_used)]

mod common;

use common::{ts, RawRequest, SUITE_SECRET, SUITE_TIME};
use rolegate_sigv4::{AuthKind, SigV4Error};

const AUTH: &str = "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

/// (name, request line, extra header lines, signed headers, signature)
const HEADER_CASES: &[(&str, &str, &str, &str, &str)] = &[
    ("get-vanilla", "GET / HTTP/1.1", "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-query", "GET / HTTP/1.1", "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-empty-query-key", "GET /?Param1=value1 HTTP/1.1", "", "host;x-amz-date", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
    ("get-vanilla-query-order-key", "GET /?Param1=value2&Param1=Value1 HTTP/1.1", "", "host;x-amz-date", "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
    ("get-vanilla-query-order-key-case", "GET /?Param2=value2&Param1=value1 HTTP/1.1", "", "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("get-vanilla-query-order-value", "GET /?Param1=value2&Param1=value1 HTTP/1.1", "", "host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
    ("get-vanilla-query-unreserved", "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1", "", "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
    ("get-vanilla-utf8-query", "GET /?ሴ=bar HTTP/1.1", "", "host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    ("get-vanilla-query-order-encoded", "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 HTTP/1.1", "", "host;x-amz-date", "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"),
    ("get-unreserved", "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1", "", "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    ("get-utf8", "GET /ሴ HTTP/1.1", "", "host;x-amz-date", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    ("get-header-key-duplicate", "GET / HTTP/1.1", "My-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\n", "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
    ("get-header-value-order", "GET / HTTP/1.1", "My-Header1:value4\nMy-Header1:value1\nMy-Header1:value3\nMy-Header1:value2\n", "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
    // The suite's folded header (value1 / value2 / value3 on continuation lines), as an HTTP
    // server that unfolds obs-fold into separate values hands it over.
    ("get-header-value-multiline", "GET / HTTP/1.1", "My-Header1:value1\nMy-Header1:  value2\nMy-Header1:     value3\n", "host;my-header1;x-amz-date", "ba17b383a53190154eb5fa66a1b836cc297cc0a3d70a5d00705980573d8ff790"),
    ("get-header-value-trim", "GET / HTTP/1.1", "My-Header1: value1\nMy-Header2: \"a   b   c\"\n", "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    ("post-vanilla", "POST / HTTP/1.1", "", "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("post-header-key-case", "POST / HTTP/1.1", "", "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("post-header-key-sort", "POST / HTTP/1.1", "My-Header1:value1\n", "host;my-header1;x-amz-date", "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
    ("post-header-value-case", "POST / HTTP/1.1", "My-Header1:VALUE1\n", "host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    ("post-vanilla-query", "POST /?Param1=value1 HTTP/1.1", "", "host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    ("post-vanilla-empty-query-value", "POST /?Param1=value1 HTTP/1.1", "", "host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    // normalize-path group
    ("get-relative", "GET /example/.. HTTP/1.1", "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-relative-relative", "GET /example1/example2/../.. HTTP/1.1", "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-slash", "GET // HTTP/1.1", "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-slash-dot-slash", "GET /./ HTTP/1.1", "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-slash-pointless-dot", "GET /./example HTTP/1.1", "", "host;x-amz-date", "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),
    ("get-slashes", "GET //example// HTTP/1.1", "", "host;x-amz-date", "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
    ("get-space", "GET /example space/ HTTP/1.1", "", "host;x-amz-date", "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
];

fn header_request(line: &str, extra: &str, signed: &str, sig: &str, body: &str) -> String {
    format!(
        "{line}\nHost:example.amazonaws.com\n{extra}X-Amz-Date:{SUITE_TIME}\n{AUTH}, SignedHeaders={signed}, Signature={sig}\n\n{body}"
    )
}

#[test]
fn header_signed_suite_requests_verify() {
    for (name, line, extra, signed, sig) in HEADER_CASES {
        let req = RawRequest::parse(&header_request(line, extra, signed, sig, ""));
        let v = req
            .verify(SUITE_SECRET, ts(SUITE_TIME))
            .unwrap_or_else(|e| panic!("{name}: {}", e.message_with_details()));
        assert_eq!(v.access_key_id(), "AKIDEXAMPLE", "{name}");
        assert_eq!(v.scope().service, "service", "{name}");
    }
}

#[test]
fn header_signed_suite_requests_fail_when_one_byte_changes() {
    for (name, line, extra, signed, sig) in HEADER_CASES {
        let mut bad = sig.to_string();
        bad.replace_range(0..1, if bad.starts_with('0') { "1" } else { "0" });
        let req = RawRequest::parse(&header_request(line, extra, signed, &bad, ""));
        let err = req.verify(SUITE_SECRET, ts(SUITE_TIME)).unwrap_err();
        assert!(
            matches!(err, SigV4Error::SignatureDoesNotMatch { .. }),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn post_x_www_form_urlencoded_with_body_hash_header() {
    // aws-c-auth's version of the suite case: the body hash is also sent and signed.
    let text = "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\nHost:example.amazonaws.com\nContent-Length:13\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b\nX-Amz-Date:20150830T123600Z\n\nParam1=value1";
    RawRequest::parse(text)
        .verify(SUITE_SECRET, ts(SUITE_TIME))
        .unwrap();
}

#[test]
fn post_sts_token_signed_before() {
    let text = format!(
        "POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:{SUITE_TIME}\nX-Amz-Security-Token:{TOKEN}\n{AUTH}, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead\n\n"
    );
    let req = RawRequest::parse(&text);
    let v = req.verify(SUITE_SECRET, ts(SUITE_TIME)).unwrap();
    assert_eq!(v.security_token(), Some(TOKEN));
    // Neither value's Debug form leaks the token (or the signing key).
    let parsed = req.with(None, rolegate_sigv4::parse).unwrap();
    assert!(!format!("{parsed:?}").contains("AQoDYXdz"));
    assert!(!format!("{v:?}").contains("AQoDYXdz"));
}

#[test]
fn post_sts_token_added_after_signing() {
    // The token is present but not signed: accepted, and still reported to the caller.
    let text = format!(
        "POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:{SUITE_TIME}\nX-Amz-Security-Token:{TOKEN}\n{AUTH}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b\n\n"
    );
    let v = RawRequest::parse(&text)
        .verify(SUITE_SECRET, ts(SUITE_TIME))
        .unwrap();
    assert_eq!(v.security_token(), Some(TOKEN));
}

#[test]
fn get_vanilla_with_session_token() {
    // aws-c-auth's addition to the suite.
    let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let text = format!(
        "GET / HTTP/1.1\nHost:example.amazonaws.com\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8\nX-Amz-Date:{SUITE_TIME}\nX-Amz-Security-Token:{token}\n\n"
    );
    let v = RawRequest::parse(&text)
        .verify(SUITE_SECRET, ts(SUITE_TIME))
        .unwrap();
    assert_eq!(v.security_token(), Some(token));
}

/// aws-c-auth's presigned ("query-signed") forms of suite cases, X-Amz-Expires=3600. Their
/// files also carry an unsigned `X-Amz-Date` header, which plays no part in the signature
/// and which this server would reject as an unsigned x-amz-* header, so it is left out.
const PRESIGNED_CASES: &[(&str, &str, &str)] = &[
    ("get-vanilla-query-order-encoded", "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787 HTTP/1.1", ""),
    ("get-vanilla-query-order-key-case", "GET /?Param2=value2&Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5 HTTP/1.1", ""),
    ("get-vanilla-query-unreserved", "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf HTTP/1.1", ""),
    ("get-utf8", "GET /ሴ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44 HTTP/1.1", ""),
    ("get-header-value-trim", "GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bmy-header1%3Bmy-header2&X-Amz-Expires=3600&X-Amz-Signature=e7bb0fd515e125e1aec2ecc4c0c17484fb06f6846b927c35e46005dd3df3acd4 HTTP/1.1", "My-Header1: value1\nMy-Header2: \"a   b   c\"\n"),
    ("post-vanilla", "POST /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b HTTP/1.1", ""),
];

#[test]
fn presigned_suite_requests_verify() {
    for (name, line, extra) in PRESIGNED_CASES {
        let req = RawRequest::parse(&format!("{line}\nHost:example.amazonaws.com\n{extra}\n"));
        let v = req
            .verify(SUITE_SECRET, ts(SUITE_TIME).add_secs(3599))
            .unwrap_or_else(|e| panic!("{name}: {}", e.message_with_details()));
        assert_eq!(v.access_key_id(), "AKIDEXAMPLE");
        let parsed = req.with(None, rolegate_sigv4::parse).unwrap();
        assert_eq!(parsed.kind(), AuthKind::Presigned);
        assert_eq!(parsed.expires(), Some(3600));
    }
}

#[test]
fn presigned_suite_requests_expire_after_an_hour() {
    for (name, line, extra) in PRESIGNED_CASES {
        let req = RawRequest::parse(&format!("{line}\nHost:example.amazonaws.com\n{extra}\n"));
        let err = req
            .verify(SUITE_SECRET, ts(SUITE_TIME).add_secs(3601))
            .unwrap_err();
        assert!(
            matches!(err, SigV4Error::PresignedExpired { expires: 3600, .. }),
            "{name}: {err:?}"
        );
        assert_eq!(err.message(), "Request has expired");
    }
}
