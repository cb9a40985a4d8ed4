//! The canonical request and the string to sign, built exactly as AWS builds them.
//!
//! Shared by the verifier and the client-side signer, so the two can never disagree.
//!
//! - Path: S3 decodes the received path once and re-encodes it, without normalizing. Every
//!   other service (as botocore and the AWS SDKs sign it) removes dot segments and empty
//!   segments from the path *as received* and percent-encodes the result again, so `%20` on
//!   the wire becomes `%2520` in the canonical URI.
//! - Query: names and values are decoded (`+` is a space), re-encoded with only `A-Za-z0-9-_.~`
//!   left bare, and sorted by name then value.
//! - Headers: the signed headers in the order the client listed them, values trimmed, inner
//!   whitespace runs collapsed to one space, repeated headers joined with `,`.

use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::request::Request;

/// SigV4's unreserved set: everything else is `%XX` with uppercase hex.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
const PATH_SAFE: &AsciiSet = &UNRESERVED.remove(b'/');

/// The algorithm name in headers, query parameters and strings to sign.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Hex SHA-256 of the empty string.
pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Whether `service` follows S3's path rules (no normalization, single encoding).
pub(crate) fn is_s3(service: &str) -> bool {
    service == "s3"
}

/// The canonical URI of a path as received.
pub(crate) fn canonical_uri(raw_path: &str, s3: bool) -> String {
    let encoded = if s3 {
        let decoded: Vec<u8> = percent_decode_str(raw_path).collect();
        percent_encode(&decoded, PATH_SAFE).to_string()
    } else {
        percent_encode(remove_dot_segments(raw_path).as_bytes(), PATH_SAFE).to_string()
    };
    if encoded.is_empty() {
        "/".to_owned()
    } else {
        encoded
    }
}

/// RFC 3986 dot-segment removal as botocore does it, which also drops empty segments
/// (`//a//` becomes `/a/`) because AWS services expect that.
fn remove_dot_segments(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut s = String::with_capacity(path.len());
    if path.starts_with('/') {
        s.push('/');
    }
    s.push_str(&out.join("/"));
    if path.ends_with('/') && !out.is_empty() {
        s.push('/');
    }
    s
}

/// Percent-encodes a query name or value (or anything else) with SigV4's unreserved set.
pub(crate) fn encode_component(bytes: &[u8]) -> String {
    percent_encode(bytes, UNRESERVED).to_string()
}

/// The canonical query string of decoded parameters, leaving out those `skip` rejects.
pub(crate) fn canonical_query(
    params: &[(Vec<u8>, Vec<u8>)],
    skip: impl Fn(&[u8]) -> bool,
) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(n, _)| !skip(n))
        .map(|(n, v)| (encode_component(n), encode_component(v)))
        .collect();
    pairs.sort();
    let mut s = String::new();
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(n);
        s.push('=');
        s.push_str(v);
    }
    s
}

/// Trims a header value and collapses each inner run of whitespace to one space.
fn push_normalized_value(out: &mut String, value: &str) {
    for (i, word) in value.split_ascii_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The canonical header lines (each ending in `\n`) for the signed header names, in the order
/// given. A signed header the request lacks gets an empty value, so the signature simply
/// fails to match rather than the server inventing a rule AWS does not state.
pub(crate) fn canonical_headers(req: &Request<'_>, signed: &[String]) -> String {
    let mut s = String::with_capacity(256);
    for name in signed {
        s.push_str(name);
        s.push(':');
        for (i, v) in req.header_values(name).enumerate() {
            if i > 0 {
                s.push(',');
            }
            push_normalized_value(&mut s, v);
        }
        s.push('\n');
    }
    s
}

/// Everything a canonical request is built from, once the caller has settled the payload hash.
pub(crate) struct Signable<'r> {
    pub req: &'r Request<'r>,
    pub s3: bool,
    /// Lowercase signed header names, in the client's order.
    pub signed_headers: &'r [String],
    /// The `SignedHeaders` value exactly as the client sent it.
    pub signed_headers_raw: &'r str,
    pub payload_hash: &'r str,
    /// Decoded query parameter names left out of the canonical query.
    pub skip_params: &'r [&'r str],
}

impl Signable<'_> {
    /// The canonical request of this request.
    pub fn canonical_request(&self) -> String {
        let params = crate::request::parse_query(self.req.query);
        let query = canonical_query(&params, |n| {
            self.skip_params.iter().any(|s| s.as_bytes() == n)
        });
        canonical_request(
            self.req.method,
            &canonical_uri(self.req.path, self.s3),
            &query,
            &canonical_headers(self.req, self.signed_headers),
            self.signed_headers_raw,
            self.payload_hash,
        )
    }
}

/// Assembles the canonical request from its parts.
pub(crate) fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut s = String::with_capacity(
        method.len() + uri.len() + query.len() + headers.len() + signed_headers.len() + 80,
    );
    for part in [
        method,
        "\n",
        uri,
        "\n",
        query,
        "\n",
        headers,
        "\n",
        signed_headers,
        "\n",
    ] {
        s.push_str(part);
    }
    s.push_str(payload_hash);
    s
}

/// `AWS4-HMAC-SHA256\n<time>\n<scope>\n<hex(sha256(canonical request))>`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut s = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 67);
    for part in [ALGORITHM, "\n", amz_date, "\n", scope, "\n"] {
        s.push_str(part);
    }
    push_hex(&mut s, &Sha256::digest(canonical_request.as_bytes()));
    s
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&Sha256::digest(data))
}

/// Lowercase hex, written by table: every request hashes and signs several times, and the
/// `hex` crate's `char` iterator showed in profiles.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_the_string_to_sign() {
        assert_eq!(hex_lower(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
        assert_eq!(
            string_to_sign("20150830T123600Z", "20150830/us-east-1/iam/aws4_request", ""),
            format!(
                "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n{EMPTY_SHA256}"
            )
        );
    }

    #[test]
    fn dot_segments_as_botocore() {
        for (input, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c/./d", "/a/c/d"),
            ("/../../a", "/a"),
        ] {
            assert_eq!(remove_dot_segments(input), want, "{input}");
        }
    }

    #[test]
    fn uri_double_encodes_outside_s3() {
        assert_eq!(
            canonical_uri("/example%20space/", false),
            "/example%2520space/"
        );
        assert_eq!(canonical_uri("/example space/", false), "/example%20space/");
        assert_eq!(
            canonical_uri("/example%20space/", true),
            "/example%20space/"
        );
        assert_eq!(canonical_uri("/a/../b", true), "/a/../b");
        assert_eq!(canonical_uri("/test$file.text", true), "/test%24file.text");
        assert_eq!(canonical_uri("", true), "/");
    }

    #[test]
    fn query_sorted_by_encoded_name_then_value() {
        let params = crate::request::parse_query("b=2&a=z&a=y&c&%E1%88%B4=x+y");
        assert_eq!(
            canonical_query(&params, |_| false),
            "%E1%88%B4=x%20y&a=y&a=z&b=2&c="
        );
    }
}
