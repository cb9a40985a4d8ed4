//! Client-side signing, for tests and load generators: the same canonicalization as the
//! verifier, run from the other side.
//!
//! [`sign`] returns the `Authorization` value for a request that already carries every header
//! it will send (`host`, `x-amz-date` equal to [`SigningParams::time`], and as needed
//! `x-amz-security-token`, `x-amz-content-sha256`). [`presign`] returns the query string of a
//! presigned URL. Like botocore, both sign every header present except a few hop-by-hop ones.

use crate::canonical::{
    encode_component, hex_lower, is_s3, put_string_to_sign, string_to_sign, Signable, ALGORITHM,
};
use crate::error::SigV4Error;
use crate::key_cache::SigningKey;
use crate::parse::CredentialScope;
use crate::request::Request;
use crate::time::Timestamp;
use crate::verify::payload_hash;
use hmac::Mac;

/// Headers botocore never signs (and `authorization`, which cannot sign itself).
const NEVER_SIGNED: [&str; 12] = [
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Who signs, for what, and when.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// Its secret.
    pub secret_access_key: &'a str,
    /// The region of the scope.
    pub region: &'a str,
    /// The service of the scope.
    pub service: &'a str,
    /// The signing time; the request's `x-amz-date` must say the same.
    pub time: Timestamp,
}

impl SigningParams<'_> {
    fn scope(&self) -> CredentialScope {
        CredentialScope {
            date: self.time.date_stamp(),
            region: self.region.to_owned(),
            service: self.service.to_owned(),
        }
    }

    fn key(&self) -> SigningKey {
        SigningKey::derive(
            self.secret_access_key,
            &self.time.date_stamp(),
            self.region,
            self.service,
        )
    }
}

/// The result of signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The `Authorization` header value.
    pub authorization: String,
    /// The signature alone (the seed of an aws-chunked body).
    pub signature: String,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
}

/// What a header signature needs besides the request: the payload hash and the signed headers.
struct SignedParts {
    s3: bool,
    payload_hash: String,
    signed_raw: String,
}

impl SignedParts {
    fn of(req: &Request<'_>, params: &SigningParams<'_>) -> Result<SignedParts, SigV4Error> {
        let s3 = is_s3(params.service);
        let (payload_hash, _) = payload_hash(req, s3, false)?;
        Ok(SignedParts {
            s3,
            payload_hash,
            signed_raw: headers_to_sign(req).join(";"),
        })
    }

    fn signable<'r>(&'r self, req: &'r Request<'r>) -> Signable<'r> {
        Signable {
            req,
            s3: self.s3,
            signed_headers: &self.signed_raw,
            signed_headers_raw: &self.signed_raw,
            payload_hash: &self.payload_hash,
            skip_params: &[],
        }
    }
}

/// Signs `req` for the `Authorization` header.
pub fn sign(req: &Request<'_>, params: &SigningParams<'_>) -> Result<Signed, SigV4Error> {
    sign_with_key(req, params, &params.key())
}

/// [`sign`] with the signing key already derived for the params' secret and scope (a client
/// signing many requests derives it once a day rather than with four HMACs per request).
pub fn sign_with_key(
    req: &Request<'_>,
    params: &SigningParams<'_>,
    key: &SigningKey,
) -> Result<Signed, SigV4Error> {
    let parts = SignedParts::of(req, params)?;
    let signed_raw = &parts.signed_raw;
    let scope = params.scope();
    let canonical_request = parts.signable(req).canonical_request();
    let string_to_sign = string_to_sign(
        &params.time.to_amz(),
        &scope.to_scope_string(),
        &canonical_request,
    );
    let signature = key.sign(&string_to_sign);
    Ok(Signed {
        authorization: format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={signed_raw}, Signature={signature}",
            params.access_key_id,
            scope.to_scope_string()
        ),
        signature,
        canonical_request,
        string_to_sign,
    })
}

/// Only the `Authorization` value of [`sign_with_key`], for a client that sends many requests:
/// neither the canonical request nor the string to sign is built as text, both are streamed
/// into their hashes as the verifier does.
pub fn authorization_with_key(
    req: &Request<'_>,
    params: &SigningParams<'_>,
    key: &SigningKey,
) -> Result<String, SigV4Error> {
    let parts = SignedParts::of(req, params)?;
    let signed_raw = &parts.signed_raw;
    let canonical_hash = parts.signable(req).hash();
    let date = params.time.date_stamp();
    let scope = [
        &*date,
        "/",
        params.region,
        "/",
        params.service,
        "/aws4_request",
    ];
    let mut mac = key.mac();
    put_string_to_sign(
        &mut mac,
        params.time.to_amz().as_bytes(),
        &scope,
        &canonical_hash,
    );
    let signature: [u8; 32] = mac.finalize().into_bytes().into();
    let mut out = String::with_capacity(160 + signed_raw.len());
    for part in [ALGORITHM, " Credential=", params.access_key_id, "/"]
        .into_iter()
        .chain(scope)
        .chain([", SignedHeaders=", signed_raw, ", Signature="])
    {
        out.push_str(part);
    }
    out.push_str(&hex_lower(&signature));
    Ok(out)
}

/// Presigns `req` for `expires` seconds and returns its full new query string (the original
/// parameters, the `X-Amz-*` ones, and `X-Amz-Signature` last).
pub fn presign(
    req: &Request<'_>,
    params: &SigningParams<'_>,
    expires: u64,
    security_token: Option<&str>,
) -> Result<String, SigV4Error> {
    let s3 = is_s3(params.service);
    let signed = headers_to_sign(req);
    let signed_raw = signed.join(";");
    let scope = params.scope();
    let credential = format!("{}/{}", params.access_key_id, scope.to_scope_string());
    let expires = expires.to_string();
    let amz_date = params.time.to_amz();
    let mut auth: Vec<(&str, &str)> = vec![
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", &amz_date),
        ("X-Amz-Expires", &expires),
        ("X-Amz-SignedHeaders", &signed_raw),
    ];
    if let Some(token) = security_token {
        auth.push(("X-Amz-Security-Token", token));
    }
    let mut query = req.query.to_owned();
    for (n, v) in auth {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(n);
        query.push('=');
        query.push_str(&encode_component(v.as_bytes()));
    }
    let with_query = Request {
        query: &query,
        ..*req
    };
    let (payload_hash, _) = payload_hash(&with_query, s3, true)?;
    let canonical_request = Signable {
        req: &with_query,
        s3,
        signed_headers: &signed_raw,
        signed_headers_raw: &signed_raw,
        payload_hash: &payload_hash,
        skip_params: &["X-Amz-Signature"],
    }
    .canonical_request();
    let sts = string_to_sign(&amz_date, &scope.to_scope_string(), &canonical_request);
    let signature = params.key().sign(&sts);
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature);
    Ok(query)
}

/// Lowercase names of the headers to sign, sorted and without repeats.
fn headers_to_sign(req: &Request<'_>) -> Vec<String> {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.trim().to_ascii_lowercase())
        .filter(|n| !NEVER_SIGNED.contains(&n.as_str()))
        .collect();
    names.sort();
    names.dedup();
    names
}
