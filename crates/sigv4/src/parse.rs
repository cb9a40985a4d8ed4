//! Step one: read the SigV4 authentication out of a request, before any secret is known.
//!
//! [`parse`] finds the `Authorization` header or the presigned `X-Amz-*` query parameters,
//! checks their shape (AWS's texts for every malformation), the request date, the credential
//! scope's date and terminator, and that `host` and every `x-amz-*` header are signed. The
//! caller then looks up the secret for [`ParsedAuth::access_key_id`], checks the region and
//! service it serves ([`ParsedAuth::check_region`], [`ParsedAuth::check_service`]), and calls
//! [`crate::verify`].

use crate::canonical::{is_s3, ALGORITHM};
use crate::error::{ScopeError, SigV4Error};
use crate::request::{parse_query, split_ascii, split_once_ascii, Request};
use crate::time::Timestamp;

/// `X-Amz-Expires` may not reach a week.
pub const MAX_PRESIGNED_EXPIRES: u64 = 604_800;

/// Where the signature came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// The `Authorization` header.
    Header,
    /// `X-Amz-*` query parameters (a presigned URL).
    Presigned,
}

/// The `DATE/REGION/SERVICE` of a credential (its terminator is always `aws4_request`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// The region, e.g. `us-east-1`.
    pub region: String,
    /// The service, e.g. `sts`.
    pub service: String,
}

impl CredentialScope {
    /// `DATE/REGION/SERVICE/aws4_request`, as it appears in the string to sign.
    pub fn to_scope_string(&self) -> String {
        let mut s =
            String::with_capacity(self.date.len() + self.region.len() + self.service.len() + 15);
        for part in [
            &self.date,
            "/",
            &self.region,
            "/",
            &self.service,
            "/aws4_request",
        ] {
            s.push_str(part);
        }
        s
    }
}

/// The authentication of one request, parsed but not yet verified. Its `Debug` output leaves
/// the session token out, so it can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    pub(crate) kind: AuthKind,
    pub(crate) access_key_id: String,
    pub(crate) scope: CredentialScope,
    /// Signed header names as the client listed them (lowercase, trimmed, `;`-separated, in
    /// its order), when that differs from the raw value (clients send them so already).
    pub(crate) signed_headers: Option<String>,
    /// The `SignedHeaders` value exactly as received, for the canonical request.
    pub(crate) signed_headers_raw: String,
    pub(crate) signature: String,
    pub(crate) time: Timestamp,
    pub(crate) security_token: Option<String>,
    pub(crate) expires: Option<u64>,
}

impl std::fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field("time", &self.time)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| ".."),
            )
            .field("expires", &self.expires)
            .finish()
    }
}

impl ParsedAuth {
    /// Header or presigned.
    pub fn kind(&self) -> AuthKind {
        self.kind
    }
    /// The access key id to look the secret up by.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// The credential scope.
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }
    /// The credential scope, taken out.
    pub fn into_scope(self) -> CredentialScope {
        self.scope
    }
    /// The signed header names, lowercase, in the client's order.
    pub fn signed_headers(&self) -> impl Iterator<Item = &str> {
        split_ascii(self.signed_headers_lower(), b';')
    }
    /// The signed header names, lowercase and trimmed, `;`-separated.
    pub(crate) fn signed_headers_lower(&self) -> &str {
        self.signed_headers
            .as_deref()
            .unwrap_or(&self.signed_headers_raw)
    }
    /// The signature the client sent.
    pub fn signature(&self) -> &str {
        &self.signature
    }
    /// The time the request was signed for (`X-Amz-Date`, or the `Date` header).
    pub fn time(&self) -> Timestamp {
        self.time
    }
    /// `X-Amz-Security-Token` (header or query), when temporary credentials signed.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
    /// `X-Amz-Expires` of a presigned request.
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// Fails with AWS's scope error unless the credential names `expected` as its service.
    pub fn check_service(&self, expected: &str) -> Result<(), SigV4Error> {
        if self.scope.service == expected {
            return Ok(());
        }
        Err(SigV4Error::Scope {
            kind: ScopeError::Service {
                service: self.scope.service.clone(),
                expected: expected.to_owned(),
            },
            presigned: self.kind == AuthKind::Presigned,
        })
    }

    /// Fails with AWS's scope error unless `valid` accepts the credential's region.
    /// `expected` is named in S3's message when the endpoint serves a single region.
    pub fn check_region(
        &self,
        valid: impl Fn(&str) -> bool,
        expected: Option<&str>,
    ) -> Result<(), SigV4Error> {
        if valid(&self.scope.region) {
            return Ok(());
        }
        Err(SigV4Error::Scope {
            kind: ScopeError::Region {
                region: self.scope.region.clone(),
                expected: expected.map(str::to_owned),
            },
            presigned: self.kind == AuthKind::Presigned,
        })
    }
}

/// The presigned parameters, in the order AWS lists them when some are missing.
const P_ALGORITHM: &str = "X-Amz-Algorithm";
const P_CREDENTIAL: &str = "X-Amz-Credential";
const P_SIGNATURE: &str = "X-Amz-Signature";
const P_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
const P_DATE: &str = "X-Amz-Date";
const P_EXPIRES: &str = "X-Amz-Expires";
const P_TOKEN: &str = "X-Amz-Security-Token";

/// Reads the authentication of `req`. See the module documentation.
pub fn parse(req: &Request<'_>) -> Result<ParsedAuth, SigV4Error> {
    // Most requests have no query: skip decoding one.
    let query = if req.query.is_empty() {
        Vec::new()
    } else {
        parse_query(req.query)
    };
    let presigned = query.iter().any(|(n, _)| {
        n == P_ALGORITHM.as_bytes() || n == P_CREDENTIAL.as_bytes() || n == P_SIGNATURE.as_bytes()
    });
    let authorization = req.header("authorization");
    let parsed = match (authorization, presigned) {
        (Some(_), true) => return Err(SigV4Error::BothAuthMechanisms),
        (None, false) => return Err(SigV4Error::MissingAuthentication),
        (Some(auth), false) => parse_header_auth(req, auth)?,
        (None, true) => parse_query_auth(req, &query)?,
    };
    check_signed_headers(req, &parsed)?;
    Ok(parsed)
}

fn parse_header_auth(req: &Request<'_>, auth: &str) -> Result<ParsedAuth, SigV4Error> {
    let auth = auth.trim_ascii();
    let (algorithm, rest) = auth
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((auth, ""));
    if algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm {
            algorithm: algorithm.to_owned(),
            presigned: false,
        });
    }

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    // Three long parts: `str::split` (memchr, many bytes at a time) beats a byte loop here.
    for kv in rest
        .split(',')
        .map(str::trim_ascii)
        .filter(|s| !s.is_empty())
    {
        let Some((k, v)) = split_once_ascii(kv, b'=') else {
            return Err(incomplete(
                format!("'{kv}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'."),
                false,
            ));
        };
        match k.trim_ascii() {
            "Credential" => credential = Some(v.trim_ascii()),
            "SignedHeaders" => signed_headers = Some(v.trim_ascii()),
            "Signature" => signature = Some(v.trim_ascii()),
            _ => {}
        }
    }

    let date_value = req
        .header("x-amz-date")
        .map(|v| (v, true))
        .or_else(|| req.header("date").map(|v| (v, false)));

    let mut missing = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if date_value.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((date_value, is_amz))) =
        (credential, signed_headers, signature, date_value)
    else {
        return Err(incomplete(format!("{missing}Authorization={auth}"), false));
    };

    let time = if is_amz {
        Timestamp::parse_amz(date_value.trim_ascii())
    } else {
        Timestamp::parse_http_date(date_value.trim_ascii())
    }
    .ok_or_else(|| SigV4Error::InvalidDate {
        value: date_value.to_owned(),
        presigned: false,
    })?;

    let (access_key_id, scope) = parse_credential(credential, time, false)?;
    Ok(ParsedAuth {
        kind: AuthKind::Header,
        access_key_id,
        scope,
        signed_headers: normalize_signed_headers(signed_headers),
        signed_headers_raw: signed_headers.to_owned(),
        signature: signature.to_owned(),
        time,
        security_token: req.header("x-amz-security-token").map(str::to_owned),
        expires: None,
    })
}

fn parse_query_auth(
    req: &Request<'_>,
    query: &[(Vec<u8>, Vec<u8>)],
) -> Result<ParsedAuth, SigV4Error> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let algorithm = get(P_ALGORITHM);
    let credential = get(P_CREDENTIAL);
    let signature = get(P_SIGNATURE);
    let signed_headers = get(P_SIGNED_HEADERS);
    let date = get(P_DATE);
    let expires = get(P_EXPIRES);

    // S3 requires X-Amz-Expires; botocore sends it to every service, but only S3 insists.
    let s3 = credential
        .as_deref()
        .and_then(|c| c.split('/').nth(3))
        .is_some_and(is_s3);
    let missing: Vec<&'static str> = [
        (P_ALGORITHM, algorithm.is_some()),
        (P_CREDENTIAL, credential.is_some()),
        (P_SIGNATURE, signature.is_some()),
        (P_SIGNED_HEADERS, signed_headers.is_some()),
        (P_DATE, date.is_some()),
        (P_EXPIRES, expires.is_some() || !s3),
    ]
    .into_iter()
    .filter(|(_, present)| !present)
    .map(|(name, _)| name)
    .collect();
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)) =
        (algorithm, credential, signature, signed_headers, date)
    else {
        return Err(SigV4Error::MissingQueryParameters { missing });
    };
    if !missing.is_empty() {
        return Err(SigV4Error::MissingQueryParameters { missing });
    }
    if algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm {
            algorithm,
            presigned: true,
        });
    }
    let expires = expires.map(|e| parse_expires(&e)).transpose()?;
    let time = Timestamp::parse_amz(&date).ok_or_else(|| SigV4Error::InvalidDate {
        value: date.clone(),
        presigned: true,
    })?;
    let (access_key_id, scope) = parse_credential(&credential, time, true)?;
    Ok(ParsedAuth {
        kind: AuthKind::Presigned,
        access_key_id,
        scope,
        signed_headers: normalize_signed_headers(&signed_headers),
        signed_headers_raw: signed_headers,
        signature,
        time,
        security_token: get(P_TOKEN)
            .or_else(|| req.header("x-amz-security-token").map(str::to_owned)),
        expires,
    })
}

fn parse_expires(value: &str) -> Result<u64, SigV4Error> {
    let err = |message: &str| SigV4Error::AuthorizationQueryParameters {
        message: message.to_owned(),
    };
    let v = value.trim();
    if let Some(digits) = v.strip_prefix('-') {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("X-Amz-Expires must be non-negative"));
        }
    }
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("X-Amz-Expires should be a number"));
    }
    // All digits: too many to fit is simply too large.
    let n = v.parse::<u64>().unwrap_or(u64::MAX);
    if n > MAX_PRESIGNED_EXPIRES {
        return Err(err("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"));
    }
    Ok(n)
}

fn parse_credential(
    credential: &str,
    time: Timestamp,
    presigned: bool,
) -> Result<(String, CredentialScope), SigV4Error> {
    let Some([akid, date, region, service, terminator]) = split_exact(credential, b'/') else {
        return Err(SigV4Error::MalformedCredential {
            credential: credential.to_owned(),
            presigned,
        });
    };
    if terminator != "aws4_request" {
        return Err(SigV4Error::Scope {
            kind: ScopeError::Terminator {
                terminator: terminator.to_owned(),
            },
            presigned,
        });
    }
    let same_date = time
        .amz_bytes()
        .is_some_and(|amz| amz[..8] == *date.as_bytes());
    if !same_date {
        return Err(SigV4Error::Scope {
            kind: ScopeError::Date {
                scope_date: date.to_owned(),
                request_date: time.date_stamp(),
                request_time: time.to_amz(),
            },
            presigned,
        });
    }
    Ok((
        akid.to_owned(),
        CredentialScope {
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        },
    ))
}

/// The `N` parts of `s` separated by `sep`, when there are exactly `N`.
fn split_exact<const N: usize>(s: &str, sep: u8) -> Option<[&str; N]> {
    let mut parts = split_ascii(s, sep);
    let mut out = [""; N];
    for slot in &mut out {
        *slot = parts.next()?;
    }
    parts.next().is_none().then_some(out)
}

/// The signed header names, trimmed and lowercase, unless they are so already (as clients
/// send them): then the raw value serves, and no copy is made.
fn normalize_signed_headers(raw: &str) -> Option<String> {
    if !raw
        .bytes()
        .any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace())
    {
        return None;
    }
    let names: Vec<String> = raw
        .split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    Some(names.join(";"))
}

fn incomplete(message: String, presigned: bool) -> SigV4Error {
    SigV4Error::IncompleteSignature { message, presigned }
}

/// `host` must be signed, and so must every `x-amz-*` header the request carries, except
/// `x-amz-security-token`, which some services add after signing.
fn check_signed_headers(req: &Request<'_>, parsed: &ParsedAuth) -> Result<(), SigV4Error> {
    let signed = |name: &str| {
        parsed
            .signed_headers()
            .any(|h| h.eq_ignore_ascii_case(name))
    };
    if !signed("host") {
        return Err(SigV4Error::HostNotSigned {
            presigned: parsed.kind == AuthKind::Presigned,
        });
    }
    let must_sign = |name: &str| {
        name.get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
            && !name.eq_ignore_ascii_case("x-amz-security-token")
            && !signed(name)
    };
    // Checked without allocating; the names are collected only for the error.
    if !req.headers.iter().any(|(n, _)| must_sign(n)) {
        return Ok(());
    }
    let mut unsigned: Vec<String> = req
        .headers
        .iter()
        .filter(|(n, _)| must_sign(n))
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    unsigned.sort();
    unsigned.dedup();
    Err(SigV4Error::HeadersNotSigned { headers: unsigned })
}

#[cfg(test)]
mod tests {
    use super::split_exact;

    #[test]
    fn split_exact_wants_exactly_n_parts() {
        assert_eq!(
            split_exact::<5>("AKID/20150830/us-east-1/iam/aws4_request", b'/'),
            Some(["AKID", "20150830", "us-east-1", "iam", "aws4_request"])
        );
        assert_eq!(split_exact::<3>("a//é", b'/'), Some(["a", "", "é"]));
        assert_eq!(split_exact::<3>("a/b", b'/'), None, "too few");
        assert_eq!(split_exact::<2>("a/b/c", b'/'), None, "too many");
        assert_eq!(split_exact::<1>("", b'/'), Some([""]));
    }
}
