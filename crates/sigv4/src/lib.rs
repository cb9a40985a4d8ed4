//! Server-side AWS Signature Version 4.
//!
//! Pure and synchronous: no I/O, no clock (the caller passes "now"), no knowledge of accounts.
//! A request is checked in two steps so the caller can look the secret up in between:
//!
//! ```
//! use rolegate_sigv4::{parse, Payload, Request, Timestamp, Verifier};
//!
//! let headers = [
//!     ("Host", "example.amazonaws.com"),
//!     ("X-Amz-Date", "20150830T123600Z"),
//!     ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
//! ];
//! let req = Request { method: "GET", path: "/", query: "", headers: &headers, payload: Payload::Bytes(b"") };
//!
//! let parsed = parse(&req)?;                          // shape, date, scope, signed headers
//! assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE"); // caller: look up the secret, check
//! parsed.check_service("service")?;                  // the region and service it serves
//! let verifier = Verifier::new(1024);                 // one per server: caches signing keys
//! let now = Timestamp::parse_amz("20150830T123600Z").unwrap_or(Timestamp::from_unix(0));
//! let verified = verifier.verify(parsed, &req, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now)?;
//! assert_eq!(verified.scope().region, "us-east-1");
//! # Ok::<(), rolegate_sigv4::SigV4Error>(())
//! ```
//!
//! aws-chunked bodies are decoded with [`Verified::chunked_decoder`]; [`sign`] and [`presign`]
//! sign requests from the client side with the same canonicalization. Errors carry AWS's
//! codes and texts per protocol ([`SigV4Error::code_for`], [`SigV4Error::message_for`]).

mod canonical;
mod chunked;
mod error;
mod key_cache;
mod parse;
mod request;
mod sign;
mod time;
mod verify;

pub use chunked::{encode_chunked, ChunkSigner, ChunkedDecoder, ChunkedMode, Trailers};
pub use error::{Protocol, ScopeError, SigV4Error};
pub use key_cache::{SigningKey, SigningKeyCache};
pub use parse::{parse, AuthKind, CredentialScope, ParsedAuth, MAX_PRESIGNED_EXPIRES};
pub use request::{Payload, Request};
pub use sign::{authorization_with_key, presign, sign, sign_with_key, Signed, SigningParams};
pub use time::Timestamp;
pub use verify::{verify, PayloadMode, Verified, Verifier, MAX_SKEW_SECS};
