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

use hmac::{Hmac, Mac};
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

/// Where a canonical request is written: a `String` when it must be shown (a signature that
/// does not match, a client signing), or straight into SHA-256 when the verifier only needs
/// its hash, which spares every request the strings it would otherwise build and free.
pub(crate) trait Sink {
    fn put_bytes(&mut self, b: &[u8]);

    fn put(&mut self, s: &str) {
        self.put_bytes(s.as_bytes());
    }
}

impl Sink for String {
    fn put_bytes(&mut self, b: &[u8]) {
        // Everything written is text (or hex); a stray byte would show as U+FFFD.
        match std::str::from_utf8(b) {
            Ok(text) => self.push_str(text),
            Err(_) => self.push_str(&String::from_utf8_lossy(b)),
        }
    }
}

/// SHA-256 fed through a stack buffer. A canonical request arrives in dozens of pieces of a few
/// bytes, and each `update` of the hasher costs more than copying a piece.
struct BufferedSha256 {
    hasher: Sha256,
    buf: [u8; 512],
    len: usize,
}

impl BufferedSha256 {
    fn new() -> Self {
        BufferedSha256 {
            hasher: Sha256::new(),
            buf: [0; 512],
            len: 0,
        }
    }

    fn finish(mut self) -> [u8; 32] {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize().into()
    }
}

impl Sink for BufferedSha256 {
    fn put_bytes(&mut self, b: &[u8]) {
        if self.len + b.len() > self.buf.len() {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if b.len() > self.buf.len() {
                self.hasher.update(b);
                return;
            }
        }
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }
}

impl Sink for Hmac<Sha256> {
    fn put_bytes(&mut self, b: &[u8]) {
        Mac::update(self, b);
    }
}

/// Whether SigV4 leaves `b` bare (the bytes `UNRESERVED` does not encode).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Writes the canonical URI of `raw_path`. Most paths are their own canonical form (only
/// unreserved characters and `/`, no empty or dot segments), and are written as they are.
fn put_canonical_uri(out: &mut impl Sink, raw_path: &str, s3: bool) {
    let plain = raw_path.starts_with('/')
        && raw_path.bytes().all(|b| b == b'/' || is_unreserved(b))
        && (s3
            || (!raw_path.contains("//")
                && !crate::request::split_ascii(raw_path, b'/')
                    .any(|seg| seg == "." || seg == "..")));
    if plain {
        out.put(raw_path);
    } else {
        out.put(&canonical_uri(raw_path, s3));
    }
}

/// Trims a header value and collapses each inner run of whitespace to one space.
fn put_normalized_value(out: &mut impl Sink, value: &str) {
    for (i, word) in value.split_ascii_whitespace().enumerate() {
        if i > 0 {
            out.put(" ");
        }
        out.put(word);
    }
}

/// The canonical header lines (each ending in `\n`) for the signed header names (lowercase,
/// `;`-separated), in the order given. A signed header the request lacks gets an empty value,
/// so the signature simply fails to match rather than the server inventing a rule AWS does
/// not state.
fn put_canonical_headers(out: &mut impl Sink, req: &Request<'_>, signed: &str) {
    for name in crate::request::split_ascii(signed, b';') {
        out.put(name);
        out.put(":");
        for (i, v) in req.header_values(name).enumerate() {
            if i > 0 {
                out.put(",");
            }
            put_normalized_value(out, v);
        }
        out.put("\n");
    }
}

/// Everything a canonical request is built from, once the caller has settled the payload hash.
pub(crate) struct Signable<'r> {
    pub req: &'r Request<'r>,
    pub s3: bool,
    /// Signed header names: lowercase, trimmed, `;`-separated, in the client's order.
    pub signed_headers: &'r str,
    /// The `SignedHeaders` value exactly as the client sent it.
    pub signed_headers_raw: &'r str,
    pub payload_hash: &'r str,
    /// Decoded query parameter names left out of the canonical query.
    pub skip_params: &'r [&'r str],
}

impl Signable<'_> {
    /// The canonical request of this request.
    pub fn canonical_request(&self) -> String {
        let mut s = String::with_capacity(256 + self.req.query.len());
        self.write(&mut s);
        s
    }

    /// The SHA-256 of the canonical request, without building it.
    pub fn hash(&self) -> [u8; 32] {
        let mut h = BufferedSha256::new();
        self.write(&mut h);
        h.finish()
    }

    fn write(&self, out: &mut impl Sink) {
        out.put(self.req.method);
        out.put("\n");
        put_canonical_uri(out, self.req.path, self.s3);
        out.put("\n");
        if !self.req.query.is_empty() {
            let params = crate::request::parse_query(self.req.query);
            out.put(&canonical_query(&params, |n| {
                self.skip_params.iter().any(|s| s.as_bytes() == n)
            }));
        }
        out.put("\n");
        put_canonical_headers(out, self.req, self.signed_headers);
        out.put("\n");
        out.put(self.signed_headers_raw);
        out.put("\n");
        out.put(self.payload_hash);
    }
}

/// `AWS4-HMAC-SHA256\n<time>\n<scope>\n<hex(sha256(canonical request))>`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut s = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 67);
    let hash: [u8; 32] = Sha256::digest(canonical_request.as_bytes()).into();
    put_string_to_sign(&mut s, amz_date.as_bytes(), &[scope], &hash);
    s
}

/// Writes the string to sign from the request time, the scope (in pieces, so that the
/// verifier need not join them) and the canonical request's hash.
pub(crate) fn put_string_to_sign(
    out: &mut impl Sink,
    amz_date: &[u8],
    scope: &[&str],
    canonical_request_hash: &[u8; 32],
) {
    out.put(ALGORITHM);
    out.put("\n");
    out.put_bytes(amz_date);
    out.put("\n");
    for part in scope {
        out.put(part);
    }
    out.put("\n");
    out.put_bytes(&hex_array(canonical_request_hash));
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of a digest, on the stack.
pub(crate) fn hex_array(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&Sha256::digest(data))
}

/// Lowercase hex, written by table: every request hashes and signs several times, and the
/// `hex` crate's `char` iterator showed in profiles.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    // Bytes first, then one UTF-8 check of the whole (ASCII, so quick): pushing `char`s
    // checked capacity and encoding twice per input byte.
    let mut out = vec![0u8; bytes.len() * 2];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 15)];
    }
    String::from_utf8(out).unwrap_or_default()
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
    fn paths_written_as_they_are_only_when_canonical() {
        for s3 in [false, true] {
            for path in [
                "/",
                "/a",
                "/a/",
                "/a.b/c~d_e-f",
                "/a/.../b",
                "//a",
                "/a//",
                "/./a",
                "/a/.",
                "/a/..",
                "/a%20b",
                "/a b",
                "/a+b",
                "",
                "a/b",
                "/%2F",
            ] {
                let mut streamed = String::new();
                put_canonical_uri(&mut streamed, path, s3);
                assert_eq!(streamed, canonical_uri(path, s3), "{path:?}, s3: {s3}");
            }
        }
    }

    #[test]
    fn hashing_the_canonical_request_equals_hashing_its_text() {
        let headers = [
            ("Host", "example.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("My-Header1", "  a   b  "),
            ("my-header1", "c"),
        ];
        let req = Request {
            method: "GET",
            path: "/a/./b//c",
            query: "z=1&a=%20x",
            headers: &headers,
            payload: crate::request::Payload::Bytes(b""),
        };
        let signable = Signable {
            req: &req,
            s3: false,
            signed_headers: "host;my-header1;x-amz-date",
            signed_headers_raw: "host;my-header1;x-amz-date",
            payload_hash: EMPTY_SHA256,
            skip_params: &[],
        };
        let text = signable.canonical_request();
        assert_eq!(
            text,
            format!("GET\n/a/b/c\na=%20x&z=1\nhost:example.com\nmy-header1:a b,c\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n{EMPTY_SHA256}")
        );
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        assert_eq!(signable.hash(), digest);

        // Pieces longer than the hashing buffer, and pieces that straddle it.
        for n in [300, 505, 511, 512, 513, 1500] {
            let long = "v".repeat(n);
            let headers = [("host", "example.com"), ("x-long", long.as_str())];
            let req = Request {
                headers: &headers,
                ..req
            };
            let signable = Signable {
                req: &req,
                signed_headers: "host;x-long",
                signed_headers_raw: "host;x-long",
                ..signable
            };
            let digest: [u8; 32] = Sha256::digest(signable.canonical_request().as_bytes()).into();
            assert_eq!(signable.hash(), digest, "{n}");
        }
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
