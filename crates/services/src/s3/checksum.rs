//! The pure parts of object I/O: upload checksums (Content-MD5 and the x-amz-checksum-*
//! algorithms, from headers or aws-chunked trailers) and Range headers.

use super::common::{invalid_argument, s3_error};
use crate::error::ServiceError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::Md5;
use sha2::{Digest, Sha256};

/// A checksum computed while the body streams in.
pub(crate) enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Sha256(Box<Sha256>),
    Sha1Unsupported,
    Md5(Box<Md5>),
}

impl Hasher {
    /// For an `x-amz-checksum-<algorithm>` name (lowercase, without the prefix).
    pub fn for_algorithm(algorithm: &str) -> Option<Hasher> {
        Some(match algorithm {
            "crc32" => Hasher::Crc32(crc32fast::Hasher::new()),
            "crc32c" => Hasher::Crc32c(0),
            "sha256" => Hasher::Sha256(Box::default()),
            "sha1" => Hasher::Sha1Unsupported,
            _ => return None,
        })
    }

    pub fn md5() -> Hasher {
        Hasher::Md5(Box::default())
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(data),
            Hasher::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha1Unsupported => {}
        }
    }

    /// The base64 digest, as the checksum headers carry it; `None` when not computed.
    pub fn finish_base64(self) -> Option<String> {
        Some(match self {
            Hasher::Crc32(h) => STANDARD.encode(h.finalize().to_be_bytes()),
            Hasher::Crc32c(c) => STANDARD.encode(c.to_be_bytes()),
            Hasher::Sha256(h) => STANDARD.encode(h.finalize()),
            Hasher::Md5(h) => STANDARD.encode(h.finalize()),
            Hasher::Sha1Unsupported => return None,
        })
    }
}

/// The checksum algorithms a request announces: from `x-amz-checksum-<alg>` headers (value
/// known now) and `x-amz-trailer` (value at the end of an aws-chunked body).
pub(crate) fn announced(headers: &[(String, String)]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for (n, v) in headers {
        let n = n.to_ascii_lowercase();
        if let Some(alg) = n.strip_prefix("x-amz-checksum-") {
            if alg != "algorithm" && alg != "type" {
                out.push((alg.to_owned(), Some(v.trim().to_owned())));
            }
        } else if n == "x-amz-trailer" {
            for t in v.split(',') {
                if let Some(alg) = t
                    .trim()
                    .to_ascii_lowercase()
                    .strip_prefix("x-amz-checksum-")
                {
                    out.push((alg.to_owned(), None));
                }
            }
        }
    }
    out
}

/// Compares a computed checksum with the one sent, with S3's error.
pub(crate) fn check(algorithm: &str, sent: &str, computed: &str) -> Result<(), ServiceError> {
    if sent == computed {
        return Ok(());
    }
    if algorithm == "content-md5" {
        return Err(s3_error(
            400,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        ));
    }
    Err(s3_error(
        400,
        "BadDigest",
        format!(
            "The {} you specified did not match the calculated checksum.",
            algorithm.to_ascii_uppercase()
        ),
    ))
}

/// A resolved byte range: first byte and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub start: u64,
    pub len: u64,
}

/// Parses a `Range` header against an object of `size` bytes. `Ok(None)`: serve the whole
/// object (no header, or one S3 ignores, such as several ranges); `Err`: InvalidRange (416).
pub(crate) fn parse_range(
    header: Option<&str>,
    size: u64,
) -> Result<Option<ByteRange>, ServiceError> {
    let Some(h) = header else { return Ok(None) };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let unsatisfiable = || {
        s3_error(
            416,
            "InvalidRange",
            "The requested range is not satisfiable",
        )
    };
    let range = if a.is_empty() {
        // Suffix: the last N bytes.
        let Ok(n) = b.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 {
            return Err(unsatisfiable());
        }
        let n = n.min(size);
        ByteRange {
            start: size - n,
            len: n,
        }
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return Ok(None);
        };
        let end = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            let Ok(end) = b.parse::<u64>() else {
                return Ok(None);
            };
            if end < start {
                return Ok(None);
            }
            end.min(size.saturating_sub(1))
        };
        if start >= size {
            return Err(unsatisfiable());
        }
        ByteRange {
            start,
            len: end - start + 1,
        }
    };
    if size == 0 {
        return Err(unsatisfiable());
    }
    Ok(Some(range))
}

/// Content-MD5 must be base64 of 16 bytes.
pub(crate) fn content_md5(v: &str) -> Result<String, ServiceError> {
    let v = v.trim();
    match STANDARD.decode(v) {
        Ok(b) if b.len() == 16 => Ok(v.to_owned()),
        _ => Err(invalid_digest()),
    }
}

fn invalid_digest() -> ServiceError {
    s3_error(
        400,
        "InvalidDigest",
        "The Content-MD5 you specified was invalid.",
    )
}

/// Rejects checksum algorithms S3 does not know.
pub(crate) fn known_algorithm(alg: &str) -> Result<(), ServiceError> {
    match alg {
        "crc32" | "crc32c" | "sha1" | "sha256" | "crc64nvme" => Ok(()),
        _ => Err(invalid_argument(format!(
            "Value for x-amz-checksum-algorithm header is invalid: {alg}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(h: Hasher, data: &[u8]) -> Option<String> {
        let mut h = h;
        h.update(data);
        h.finish_base64()
    }

    #[test]
    fn checksums_match_known_values() {
        // Values from `aws s3api put-object --checksum-algorithm ...` on "hello world".
        let data = b"hello world";
        assert_eq!(
            b64(Hasher::for_algorithm("crc32").expect("crc32"), data).as_deref(),
            Some("DUoRhQ==")
        );
        assert_eq!(
            b64(Hasher::for_algorithm("crc32c").expect("crc32c"), data).as_deref(),
            Some("yZRlqg==")
        );
        assert_eq!(
            b64(Hasher::for_algorithm("sha256").expect("sha256"), data).as_deref(),
            Some("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
        );
        assert_eq!(
            b64(Hasher::md5(), data).as_deref(),
            Some("XrY7u+Ae7tCTyyK7j1rNww==")
        );
        assert!(check("crc32", "DUoRhQ==", "DUoRhQ==").is_ok());
        assert_eq!(
            check("crc32", "AAAAAA==", "DUoRhQ==").err().map(|e| e.code),
            Some("BadDigest".to_owned())
        );
    }

    #[test]
    fn announced_checksums_from_headers_and_trailer() {
        let h = vec![
            ("x-amz-checksum-crc32".to_owned(), "DUoRhQ==".to_owned()),
            (
                "x-amz-trailer".to_owned(),
                "x-amz-checksum-crc32c".to_owned(),
            ),
            ("x-amz-checksum-algorithm".to_owned(), "CRC32".to_owned()),
        ];
        assert_eq!(
            announced(&h),
            vec![
                ("crc32".to_owned(), Some("DUoRhQ==".to_owned())),
                ("crc32c".to_owned(), None)
            ]
        );
    }

    #[test]
    fn ranges() {
        let r = |h: &str, size| parse_range(Some(h), size).map_err(|e| e.status);
        let br = |start, len| Ok(Some(ByteRange { start, len }));
        assert_eq!(r("bytes=0-4", 10), br(0, 5));
        assert_eq!(r("bytes=5-", 10), br(5, 5));
        assert_eq!(r("bytes=-3", 10), br(7, 3));
        assert_eq!(r("bytes=-30", 10), br(0, 10));
        assert_eq!(r("bytes=8-100", 10), br(8, 2));
        assert_eq!(r("bytes=10-", 10), Err(416));
        assert_eq!(r("bytes=0-0", 0), Err(416));
        assert_eq!(r("bytes=5-2", 10), Ok(None));
        assert_eq!(r("bytes=0-1,4-5", 10), Ok(None));
        assert_eq!(r("items=0-1", 10), Ok(None));
        assert_eq!(parse_range(None, 10).ok(), Some(None));
    }
}
