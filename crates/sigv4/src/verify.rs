//! Step two: check a parsed request against the secret, at a given time.
//!
//! Order of checks: the clock (15 minutes either way, or the presigned expiry), the payload
//! hash the client declared, then the signature itself, compared in constant time. Only after
//! the signature holds is the declared body hash compared with the one the caller computed,
//! so an unauthenticated client learns nothing about the body check.

use subtle::ConstantTimeEq;

use hmac::Mac;

use crate::canonical::{
    hex_array, is_s3, put_string_to_sign, sha256_hex, string_to_sign, Signable,
};
use crate::chunked::{ChunkSigner, ChunkedDecoder, ChunkedMode};
use crate::error::SigV4Error;
use crate::key_cache::{SigningKey, SigningKeyCache};
use crate::parse::{AuthKind, CredentialScope, ParsedAuth};
use crate::request::{Payload, Request};
use crate::time::Timestamp;

/// How far the request time may be from the server's, either way (AWS: 15 minutes).
pub const MAX_SKEW_SECS: i64 = 15 * 60;

const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// What the signature says about the body, for the caller to enforce while reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadMode {
    /// The body must hash to this lowercase hex SHA-256. Already checked when the caller gave
    /// [`Payload::Bytes`] or [`Payload::Sha256`]; otherwise check it with
    /// [`PayloadMode::check_sha256`] once the body is read.
    Sha256(String),
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
    Unsigned,
    /// aws-chunked with a signature per chunk.
    Chunked(ChunkedMode),
}

impl PayloadMode {
    /// For [`PayloadMode::Sha256`], fails with `ContentSha256Mismatch` unless `computed` is
    /// the declared digest; other modes accept anything.
    pub fn check_sha256(&self, computed: &[u8; 32]) -> Result<(), SigV4Error> {
        match self {
            PayloadMode::Sha256(declared) => {
                let computed = crate::canonical::hex_lower(computed);
                if declared.eq_ignore_ascii_case(&computed) {
                    Ok(())
                } else {
                    Err(SigV4Error::ContentSha256Mismatch {
                        declared: declared.clone(),
                        computed,
                    })
                }
            }
            _ => Ok(()),
        }
    }
}

/// A request whose signature holds: its parsed authentication, and what the signature
/// obliges the caller to check of the body. Its `Debug` output leaves the session token and
/// the signing key out.
#[derive(Clone)]
pub struct Verified {
    parsed: ParsedAuth,
    signing_key: SigningKey,
    payload: PayloadMode,
    decoded_content_length: Option<u64>,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.parsed.access_key_id)
            .field("scope", &self.parsed.scope)
            .field("time", &self.parsed.time)
            .field("payload", &self.payload)
            .field(
                "security_token",
                &self.parsed.security_token.as_ref().map(|_| ".."),
            )
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// The access key that signed.
    pub fn access_key_id(&self) -> &str {
        &self.parsed.access_key_id
    }
    /// The credential scope it signed for.
    pub fn scope(&self) -> &CredentialScope {
        &self.parsed.scope
    }
    /// The credential scope, taken out.
    pub fn into_scope(self) -> CredentialScope {
        self.parsed.scope
    }
    /// The time it signed for.
    pub fn time(&self) -> Timestamp {
        self.parsed.time
    }
    /// The session token sent with it, signed or not.
    pub fn security_token(&self) -> Option<&str> {
        self.parsed.security_token.as_deref()
    }
    /// What the caller must still check about the body.
    pub fn payload_mode(&self) -> &PayloadMode {
        &self.payload
    }
    /// The request's signature, which seeds the chunk signatures of an aws-chunked body.
    pub fn signature(&self) -> &str {
        &self.parsed.signature
    }

    /// A decoder for an aws-chunked body, seeded with this request's signature and checking
    /// `x-amz-decoded-content-length` when it was sent; `None` unless the body is aws-chunked.
    pub fn chunked_decoder(&self) -> Option<ChunkedDecoder> {
        let PayloadMode::Chunked(mode) = self.payload else {
            return None;
        };
        let signer = ChunkSigner::new(self.signing_key.clone(), self.time(), self.scope());
        let decoder = ChunkedDecoder::new(mode, signer, self.signature());
        Some(match self.decoded_content_length {
            Some(n) => decoder.with_decoded_length(n),
            None => decoder,
        })
    }
}

/// Verifies requests, keeping recently derived signing keys.
#[derive(Debug, Default)]
pub struct Verifier {
    cache: SigningKeyCache,
}

impl Verifier {
    /// A verifier caching up to `cache_capacity` signing keys.
    pub fn new(cache_capacity: usize) -> Self {
        Verifier {
            cache: SigningKeyCache::new(cache_capacity),
        }
    }

    /// [`verify`], with the signing key taken from (or added to) the cache.
    pub fn verify(
        &self,
        parsed: ParsedAuth,
        req: &Request<'_>,
        secret: &str,
        now: Timestamp,
    ) -> Result<Verified, SigV4Error> {
        verify_inner(parsed, req, now, |s| {
            self.cache.get(secret, &s.date, &s.region, &s.service)
        })
    }
}

/// Checks `parsed` (from [`crate::parse`] of the same `req`) with the secret of its access key,
/// at server time `now`. Derives the signing key every time; a server should hold a
/// [`Verifier`] instead.
pub fn verify(
    parsed: ParsedAuth,
    req: &Request<'_>,
    secret: &str,
    now: Timestamp,
) -> Result<Verified, SigV4Error> {
    verify_inner(parsed, req, now, |s| {
        SigningKey::derive(secret, &s.date, &s.region, &s.service)
    })
}

fn verify_inner(
    parsed: ParsedAuth,
    req: &Request<'_>,
    now: Timestamp,
    key: impl FnOnce(&CredentialScope) -> SigningKey,
) -> Result<Verified, SigV4Error> {
    check_time(&parsed, now)?;
    let presigned = parsed.kind == AuthKind::Presigned;
    let s3 = is_s3(&parsed.scope.service);
    let (payload_hash, payload) = payload_hash(req, s3, presigned)?;
    // A hash the client declared must match the body; one computed here from the body (no
    // `x-amz-content-sha256`, as the query and JSON services allow) matches it by definition,
    // so the body is not hashed a second time.
    let declared = (presigned && s3) || req.header("x-amz-content-sha256").is_some();

    let key = key(&parsed.scope);
    let signable = |skip_params| Signable {
        req,
        s3,
        signed_headers: parsed.signed_headers_lower(),
        signed_headers_raw: &parsed.signed_headers_raw,
        payload_hash: &payload_hash,
        skip_params,
    };
    let skip: &[&str] = if presigned { &["X-Amz-Signature"] } else { &[] };
    let mut ok = signature_matches(&parsed, &key, &signable(skip));
    // Some services let a presigned URL gain X-Amz-Security-Token after it was signed; accept
    // that form too (the token itself is still checked by the caller).
    if !ok && presigned && req.query_param("X-Amz-Security-Token").is_some() {
        ok = signature_matches(
            &parsed,
            &key,
            &signable(&["X-Amz-Signature", "X-Amz-Security-Token"]),
        );
    }
    if !ok {
        // Only now are the canonical request and the string to sign written out, for the
        // error that shows them.
        let creq = signable(skip).canonical_request();
        let sts = string_to_sign(
            &parsed.time.to_amz(),
            &parsed.scope.to_scope_string(),
            &creq,
        );
        return Err(SigV4Error::SignatureDoesNotMatch {
            canonical_request: creq,
            string_to_sign: sts,
            provided: parsed.signature.clone(),
        });
    }

    if declared && matches!(payload, PayloadMode::Sha256(_)) {
        if let Some(computed) = computed_sha256(req.payload) {
            payload.check_sha256(&computed)?;
        }
    }
    let decoded_content_length = req
        .header("x-amz-decoded-content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());

    Ok(Verified {
        parsed,
        signing_key: key,
        payload,
        decoded_content_length,
    })
}

/// Whether the client's signature is the HMAC of this request's string to sign. Neither the
/// canonical request nor the string to sign is built: both are streamed into their hashes.
fn signature_matches(parsed: &ParsedAuth, key: &SigningKey, signable: &Signable<'_>) -> bool {
    let s = &parsed.scope;
    // `parse` refuses a time without a four-digit year (its scope date cannot match).
    let Some(amz_date) = parsed.time.amz_bytes() else {
        return false;
    };
    let mut mac = key.mac();
    put_string_to_sign(
        &mut mac,
        &amz_date,
        &[&s.date, "/", &s.region, "/", &s.service, "/aws4_request"],
        &signable.hash(),
    );
    let signature: [u8; 32] = mac.finalize().into_bytes().into();
    hex_array(&signature)
        .ct_eq(parsed.signature.as_bytes())
        .into()
}

fn check_time(parsed: &ParsedAuth, now: Timestamp) -> Result<(), SigV4Error> {
    let t = parsed.time;
    let latest = now.add_secs(MAX_SKEW_SECS);
    if t > latest {
        return Err(SigV4Error::SignatureNotYetCurrent {
            request_time: t,
            latest,
            now,
        });
    }
    match (parsed.kind, parsed.expires) {
        (AuthKind::Presigned, Some(expires)) => {
            // `expires` is at most a week, so the cast cannot wrap.
            if now > t.add_secs(expires as i64) {
                return Err(SigV4Error::PresignedExpired {
                    request_time: t,
                    expires,
                    now,
                });
            }
        }
        _ => {
            let earliest = now.add_secs(-MAX_SKEW_SECS);
            if t < earliest {
                return Err(SigV4Error::SignatureExpired {
                    request_time: t,
                    earliest,
                    now,
                });
            }
        }
    }
    Ok(())
}

/// The payload hash for the canonical request, and what it obliges the caller to check.
pub(crate) fn payload_hash(
    req: &Request<'_>,
    s3: bool,
    presigned: bool,
) -> Result<(String, PayloadMode), SigV4Error> {
    if presigned && s3 {
        // S3 presigned URLs sign no body, unless the URL itself pins one.
        let declared = req
            .query_param("X-Amz-Content-Sha256")
            .unwrap_or_else(|| UNSIGNED_PAYLOAD.to_owned());
        return classify(&declared);
    }
    if let Some(declared) = req.header("x-amz-content-sha256") {
        return classify(declared.trim_ascii());
    }
    if s3 {
        return Err(SigV4Error::ContentSha256Missing);
    }
    let hash = match req.payload {
        Payload::Bytes(b) => sha256_hex(b),
        Payload::Sha256(h) => hex::encode(h),
        Payload::Deferred => return Err(SigV4Error::PayloadHashRequired),
    };
    Ok((hash.clone(), PayloadMode::Sha256(hash)))
}

fn classify(declared: &str) -> Result<(String, PayloadMode), SigV4Error> {
    let mode = match declared {
        UNSIGNED_PAYLOAD => PayloadMode::Unsigned,
        STREAMING_SIGNED => PayloadMode::Chunked(ChunkedMode::Signed),
        STREAMING_SIGNED_TRAILER => PayloadMode::Chunked(ChunkedMode::SignedWithTrailer),
        STREAMING_UNSIGNED_TRAILER => PayloadMode::Chunked(ChunkedMode::UnsignedWithTrailer),
        h if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            PayloadMode::Sha256(h.to_ascii_lowercase())
        }
        _ => {
            return Err(SigV4Error::ContentSha256Invalid {
                value: declared.to_owned(),
            })
        }
    };
    Ok((declared.to_owned(), mode))
}

fn computed_sha256(payload: Payload<'_>) -> Option<[u8; 32]> {
    use sha2::{Digest, Sha256};
    match payload {
        Payload::Bytes(b) => Some(Sha256::digest(b).into()),
        Payload::Sha256(h) => Some(h),
        Payload::Deferred => None,
    }
}
