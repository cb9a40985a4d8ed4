//! The view of an HTTP request that SigV4 needs, independent of any HTTP crate.
//!
//! The server builds a [`Request`] from whatever it received: the method, the path and query
//! exactly as they came on the wire (still percent-encoded), every header in order (repeats
//! included), and what it knows of the body. Nothing here allocates or copies the body.

/// What the caller knows about the request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// The whole body, already read (fine for form and JSON requests, which are small).
    Bytes(&'a [u8]),
    /// The SHA-256 of the body, computed by the caller while reading it.
    Sha256([u8; 32]),
    /// The body has not been read: only `x-amz-content-sha256` (or the S3 presigned rule) can
    /// give the payload hash. A streamed S3 body is verified this way, then checked against the
    /// declared hash (see [`crate::PayloadMode`]) or decoded with [`crate::ChunkedDecoder`].
    Deferred,
}

/// One HTTP request as received.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The path as received, percent-encoded, without the query (e.g. `/bucket/a%20b`).
    pub path: &'a str,
    /// The raw query string without the `?` (empty when there is none).
    pub query: &'a str,
    /// Every header as (name, value), in order; a repeated header appears once per line.
    /// Over HTTP/2 the server passes `:authority` as `host`, which AWS signs in its place.
    pub headers: &'a [(&'a str, &'a str)],
    /// What is known of the body.
    pub payload: Payload<'a>,
}

impl<'a> Request<'a> {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The query parameters, percent-decoded, in order.
    pub fn query_params(&self) -> Vec<(String, String)> {
        parse_query(self.query)
            .into_iter()
            .map(|(n, v)| {
                (
                    String::from_utf8_lossy(&n).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect()
    }

    /// The first value of query parameter `name` (exact, case-sensitive, as AWS matches
    /// `X-Amz-*` parameters), percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        parse_query(self.query)
            .into_iter()
            .find(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
    }
}

/// Splits a raw query string into decoded (name, value) byte pairs.
///
/// `+` means a space, as in every form-encoded query; empty segments (`a=1&&b=2`) are skipped;
/// a segment without `=` is a name with an empty value.
pub(crate) fn parse_query(raw: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw.split('&')
        .filter(|s| !s.is_empty())
        .map(|seg| {
            let (n, v) = seg.split_once('=').unwrap_or((seg, ""));
            (form_decode(n), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> Vec<u8> {
    let plus_as_space: Vec<u8> = s
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space).collect()
}

/// `s` split at every `sep` (an ASCII byte, so every cut is a character boundary), as
/// `str::split` by a `char` splits it. That one calls memchr per part, which showed in the
/// profiles of requests whose SigV4 fields it split into a handful of short parts.
pub(crate) fn split_ascii(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = r.get(i + 1..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `s` cut at its first `sep` (ASCII), as `str::split_once` by a `char`.
pub(crate) fn split_once_ascii(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

#[cfg(test)]
mod tests {
    use super::{split_ascii, split_once_ascii};

    #[test]
    fn splits_as_str_split_does() {
        for s in ["", ";", "a", "a;b", ";a;;b;", "é;ü;", "host;x-amz-date"] {
            let want: Vec<&str> = s.split(';').collect();
            assert_eq!(split_ascii(s, b';').collect::<Vec<_>>(), want, "{s:?}");
            assert_eq!(split_once_ascii(s, b';'), s.split_once(';'), "{s:?}");
        }
    }
}
