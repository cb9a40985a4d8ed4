//! aws-chunked request bodies: an incremental decoder and, for clients and tests, an encoder.
//!
//! Wire format (after any HTTP `Transfer-Encoding: chunked` has been removed):
//!
//! ```text
//! <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n      one per data chunk
//! 0[;chunk-signature=<sig>]\r\n                         the final, empty chunk
//! <name>:<value>\r\n ...                                trailer lines, if any
//! [x-amz-trailer-signature:<sig>\r\n]                   signed-trailer mode only
//! \r\n
//! ```
//!
//! Each chunk signature signs `AWS4-HMAC-SHA256-PAYLOAD\n<time>\n<scope>\n<previous
//! signature>\n<hash("")>\n<hash(chunk data)>`, chained from the request's own (seed)
//! signature; the trailer signature signs `AWS4-HMAC-SHA256-TRAILER\n<time>\n<scope>\n<final
//! chunk signature>\n<hash(trailer lines as "name:value\n")>`.
//!
//! The decoder is fed bytes as they arrive and hands decoded data straight back, so a body is
//! never held in memory. Data is handed back *before* its chunk's signature has been checked
//! (a chunk can be megabytes): the caller must treat everything as provisional until
//! [`ChunkedDecoder::finish`] succeeds, and discard it on any error. Checking the trailer
//! checksums (`x-amz-checksum-crc32` and friends) is the caller's job; `finish` returns them.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::canonical::{sha256_hex, EMPTY_SHA256};
use crate::error::SigV4Error;
use crate::key_cache::SigningKey;
use crate::parse::CredentialScope;
use crate::time::Timestamp;

/// Longest chunk-header or trailer line accepted; real ones are under 100 bytes.
const MAX_LINE: usize = 4096;
/// Most trailer bytes accepted in total.
const MAX_TRAILERS: usize = 16 * 1024;
const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// Trailer fields of an aws-chunked body: (lowercase name, trimmed value), as received.
pub type Trailers = Vec<(String, String)>;

/// Which aws-chunked variant `x-amz-content-sha256` announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: signed chunks, no trailer.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a signed trailer.
    SignedWithTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks and an unsigned trailer.
    UnsignedWithTrailer,
}

/// Computes chunk and trailer signatures for one request's time and scope.
#[derive(Clone, Debug)]
pub struct ChunkSigner {
    key: SigningKey,
    amz_date: String,
    scope: String,
}

impl ChunkSigner {
    /// A signer for requests signed at `time` for `scope` with `key`.
    pub fn new(key: SigningKey, time: Timestamp, scope: &CredentialScope) -> Self {
        ChunkSigner {
            key,
            amz_date: time.to_amz(),
            scope: scope.to_scope_string(),
        }
    }

    /// The string to sign of a chunk whose data hashes to `chunk_sha256_hex`.
    pub fn chunk_string_to_sign(&self, previous: &str, chunk_sha256_hex: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{chunk_sha256_hex}",
            self.amz_date, self.scope
        )
    }

    /// The signature of chunk `data` following signature `previous`.
    pub fn chunk_signature(&self, previous: &str, data: &[u8]) -> String {
        self.key
            .sign(&self.chunk_string_to_sign(previous, &sha256_hex(data)))
    }

    /// The string to sign of trailer lines (already canonical: `name:value\n` each).
    pub fn trailer_string_to_sign(&self, previous: &str, canonical_trailers: &[u8]) -> String {
        format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{previous}\n{}",
            self.amz_date,
            self.scope,
            sha256_hex(canonical_trailers)
        )
    }

    /// The signature of `trailers` following the final chunk's signature `previous`.
    pub fn trailer_signature(&self, previous: &str, trailers: &[(String, String)]) -> String {
        self.key
            .sign(&self.trailer_string_to_sign(previous, &canonical_trailers(trailers)))
    }
}

/// Trailer lines as signed: lowercase names, trimmed values, sorted by name.
fn canonical_trailers(trailers: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    for (n, v) in sorted {
        out.extend_from_slice(n.as_bytes());
        out.push(b':');
        out.extend_from_slice(v.as_bytes());
        out.push(b'\n');
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Size,
    Data,
    DataCr,
    DataLf,
    Trailer,
    Done,
    Failed,
}

/// Incremental aws-chunked decoder. See the module documentation.
#[derive(Debug)]
pub struct ChunkedDecoder {
    mode: ChunkedMode,
    signer: ChunkSigner,
    previous: String,
    state: State,
    line: Vec<u8>,
    remaining: u64,
    hasher: Sha256,
    chunk_signature: String,
    trailers: Trailers,
    trailer_signature: Option<String>,
    trailer_bytes: usize,
    decoded: u64,
    expected_decoded: Option<u64>,
}

impl ChunkedDecoder {
    /// A decoder for `mode`, chaining chunk signatures from `seed_signature` (the request's
    /// signature). The signer is unused in [`ChunkedMode::UnsignedWithTrailer`].
    pub fn new(mode: ChunkedMode, signer: ChunkSigner, seed_signature: &str) -> Self {
        ChunkedDecoder {
            mode,
            signer,
            previous: seed_signature.to_owned(),
            state: State::Size,
            line: Vec::new(),
            remaining: 0,
            hasher: Sha256::new(),
            chunk_signature: String::new(),
            trailers: Vec::new(),
            trailer_signature: None,
            trailer_bytes: 0,
            decoded: 0,
            expected_decoded: None,
        }
    }

    /// Also require the decoded body to be exactly `n` bytes (`x-amz-decoded-content-length`).
    pub fn with_decoded_length(mut self, n: u64) -> Self {
        self.expected_decoded = Some(n);
        self
    }

    /// Decoded bytes so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Whether the final chunk and trailer have been read and checked.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes a prefix of `input` and returns how many bytes it consumed and the decoded
    /// data found there (a sub-slice of `input`, possibly empty). Call again with the rest.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<(usize, &'a [u8]), SigV4Error> {
        let r = self.step(input);
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    /// Decodes all of `input`, appending the data to `out`.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), SigV4Error> {
        while !input.is_empty() {
            let (used, data) = self.decode(input)?;
            out.extend_from_slice(data);
            input = &input[used..];
        }
        Ok(())
    }

    /// Ends the body: fails with `IncompleteBody` unless the final chunk and trailer were
    /// complete, and returns the trailer fields (lowercase names, without the trailer
    /// signature) for the caller to check checksums against.
    pub fn finish(self) -> Result<Trailers, SigV4Error> {
        match self.state {
            State::Done => Ok(self.trailers),
            State::Failed => Err(malformed("the body failed to decode earlier")),
            _ => Err(SigV4Error::IncompleteBody),
        }
    }

    fn step<'a>(&mut self, input: &'a [u8]) -> Result<(usize, &'a [u8]), SigV4Error> {
        let mut pos = 0;
        while pos < input.len() {
            match self.state {
                State::Size | State::Trailer => {
                    let Some(line_len) = self.take_line(&input[pos..])? else {
                        return Ok((input.len(), &[]));
                    };
                    pos += line_len;
                    let line = std::mem::take(&mut self.line);
                    if self.state == State::Size {
                        self.on_size_line(&line)?;
                    } else {
                        self.on_trailer_line(&line)?;
                    }
                }
                State::Data => {
                    let avail = input.len() - pos;
                    let n = usize::try_from(self.remaining).map_or(avail, |r| r.min(avail));
                    let data = &input[pos..pos + n];
                    self.hasher.update(data);
                    self.remaining -= n as u64;
                    self.decoded += n as u64;
                    pos += n;
                    if self.remaining == 0 {
                        let hash = hex::encode(std::mem::take(&mut self.hasher).finalize());
                        self.check_chunk(&hash)?;
                        self.state = State::DataCr;
                    }
                    return Ok((pos, data));
                }
                State::DataCr | State::DataLf => {
                    let want = if self.state == State::DataCr {
                        b'\r'
                    } else {
                        b'\n'
                    };
                    if input[pos] != want {
                        return Err(malformed("chunk data is not followed by CRLF"));
                    }
                    pos += 1;
                    self.state = if self.state == State::DataCr {
                        State::DataLf
                    } else {
                        State::Size
                    };
                }
                State::Done => return Err(malformed("data after the final chunk")),
                State::Failed => return Err(malformed("the body failed to decode earlier")),
            }
        }
        Ok((pos, &[]))
    }

    /// Accumulates a CRLF-terminated line into `self.line` (without the CRLF). Returns how
    /// many bytes of `input` the completed line used, or `None` if `input` ran out first.
    fn take_line(&mut self, input: &[u8]) -> Result<Option<usize>, SigV4Error> {
        let end = input.iter().position(|&b| b == b'\n');
        let piece = &input[..end.unwrap_or(input.len())];
        if self.line.len() + piece.len() > MAX_LINE {
            return Err(malformed("line too long"));
        }
        self.line.extend_from_slice(piece);
        let Some(end) = end else {
            return Ok(None);
        };
        if self.line.pop() != Some(b'\r') {
            return Err(malformed("line not terminated by CRLF"));
        }
        Ok(Some(end + 1))
    }

    fn on_size_line(&mut self, line: &[u8]) -> Result<(), SigV4Error> {
        let line = std::str::from_utf8(line).map_err(|_| malformed("chunk header is not text"))?;
        let (size, ext) = line.split_once(';').unwrap_or((line, ""));
        if size.is_empty() || size.len() > 16 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed("bad chunk size"));
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| malformed("bad chunk size"))?;
        if self.mode != ChunkedMode::UnsignedWithTrailer {
            let sig = ext
                .split(';')
                .find_map(|e| e.trim().strip_prefix("chunk-signature="))
                .ok_or_else(|| malformed("chunk without chunk-signature"))?;
            self.chunk_signature = sig.to_owned();
        }
        if size == 0 {
            self.check_chunk(EMPTY_SHA256)?;
            self.state = State::Trailer;
        } else {
            self.remaining = size;
            self.hasher = Sha256::new();
            self.state = State::Data;
        }
        Ok(())
    }

    fn check_chunk(&mut self, data_hash: &str) -> Result<(), SigV4Error> {
        if self.mode == ChunkedMode::UnsignedWithTrailer {
            return Ok(());
        }
        let provided = std::mem::take(&mut self.chunk_signature);
        let sts = self.signer.chunk_string_to_sign(&self.previous, data_hash);
        verify_signature(&self.signer, sts, &provided)?;
        self.previous = provided;
        Ok(())
    }

    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), SigV4Error> {
        if line.is_empty() {
            return self.end_of_trailers();
        }
        self.trailer_bytes += line.len();
        if self.trailer_bytes > MAX_TRAILERS {
            return Err(malformed("trailer too large"));
        }
        let line = std::str::from_utf8(line).map_err(|_| malformed("trailer is not text"))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("trailer line without ':'"))?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == TRAILER_SIGNATURE {
            self.trailer_signature = Some(value);
        } else {
            self.trailers.push((name, value));
        }
        Ok(())
    }

    fn end_of_trailers(&mut self) -> Result<(), SigV4Error> {
        match self.mode {
            ChunkedMode::Signed => {
                if !self.trailers.is_empty() || self.trailer_signature.is_some() {
                    return Err(malformed("trailer in a body announced without one"));
                }
            }
            ChunkedMode::SignedWithTrailer => {
                let provided = self
                    .trailer_signature
                    .take()
                    .ok_or_else(|| malformed("trailer without x-amz-trailer-signature"))?;
                let sts = self
                    .signer
                    .trailer_string_to_sign(&self.previous, &canonical_trailers(&self.trailers));
                verify_signature(&self.signer, sts, &provided)?;
            }
            ChunkedMode::UnsignedWithTrailer => {}
        }
        if self.expected_decoded.is_some_and(|n| n != self.decoded) {
            return Err(SigV4Error::IncompleteBody);
        }
        self.state = State::Done;
        Ok(())
    }
}

fn verify_signature(signer: &ChunkSigner, sts: String, provided: &str) -> Result<(), SigV4Error> {
    let ok: bool = signer
        .key
        .sign(&sts)
        .as_bytes()
        .ct_eq(provided.as_bytes())
        .into();
    if ok {
        Ok(())
    } else {
        Err(SigV4Error::ChunkSignatureDoesNotMatch {
            string_to_sign: sts,
            provided: provided.to_owned(),
        })
    }
}

fn malformed(reason: &str) -> SigV4Error {
    SigV4Error::MalformedChunkedEncoding {
        reason: reason.to_owned(),
    }
}

/// Encodes `chunks` (empty ones skipped) as an aws-chunked body. With `signing` (a signer and
/// the request's seed signature) chunks are signed, and the trailer too when there is one;
/// without it the body is the `STREAMING-UNSIGNED-PAYLOAD-TRAILER` form. For clients, load
/// generators and tests; it builds the whole body in memory.
pub fn encode_chunked(
    chunks: &[&[u8]],
    signing: Option<(&ChunkSigner, &str)>,
    trailers: &[(&str, &str)],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut previous = signing.map(|(_, seed)| seed.to_owned());
    let header = |out: &mut Vec<u8>, data: &[u8], previous: &mut Option<String>| {
        out.extend_from_slice(format!("{:x}", data.len()).as_bytes());
        if let (Some((signer, _)), Some(prev)) = (signing, previous.as_mut()) {
            let sig = signer.chunk_signature(prev, data);
            out.extend_from_slice(b";chunk-signature=");
            out.extend_from_slice(sig.as_bytes());
            *prev = sig;
        }
        out.extend_from_slice(b"\r\n");
    };
    for data in chunks.iter().filter(|c| !c.is_empty()) {
        header(&mut out, data, &mut previous);
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    header(&mut out, &[], &mut previous);
    let owned: Vec<(String, String)> = trailers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    for (n, v) in &owned {
        out.extend_from_slice(format!("{n}:{v}\r\n").as_bytes());
    }
    if let (Some((signer, _)), Some(prev), false) = (signing, previous, owned.is_empty()) {
        let sig = signer.trailer_signature(&prev, &owned);
        out.extend_from_slice(format!("{TRAILER_SIGNATURE}:{sig}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}
