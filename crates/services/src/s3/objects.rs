//! Objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject.
//!
//! Bodies stream from the request into a temporary file and out of the data file to the
//! response; nothing holds a whole object in memory.

use super::checksum::{self, announced, parse_range, Hasher};
use super::common::{
    authorize, bucket, internal, invalid_argument, io_error, malformed_xml, no_such_bucket,
    no_such_key, read_body, s3_error, xml_date, xml_texts, Doc, Found,
};
use super::tagging::{existing_tags, header_tags, request_tags};
use super::{S3Body, S3Ctx, S3Response};
use crate::error::ServiceError;
use rolegate_core::objects::{NewObject, ObjectMeta, ObjectWriter};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

/// Representation headers stored with an object and returned as they were given.
const STORED_HEADERS: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    // Stored and echoed only: rolegate does not encrypt objects at rest itself.
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
];

/// Stored headers answered as they are on reads and writes (not overridable by the query).
const ECHOED_HEADERS: &[&str] = &[
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
];

pub(crate) fn key(s: &S3Ctx<'_>) -> String {
    s.req.key.clone().unwrap_or_default()
}

/// The request's object metadata: content type, `x-amz-meta-*`, stored headers.
pub(crate) fn new_object(s: &S3Ctx<'_>, key: String) -> NewObject {
    let mut metadata = BTreeMap::new();
    let mut headers = BTreeMap::new();
    for (n, v) in &s.req.headers {
        let n = n.to_ascii_lowercase();
        if let Some(m) = n.strip_prefix("x-amz-meta-") {
            metadata.insert(m.to_owned(), v.clone());
        } else if STORED_HEADERS.contains(&n.as_str()) {
            let v = if n == "content-encoding" {
                // aws-chunked is the transfer's encoding, not the object's.
                v.split(',')
                    .map(str::trim)
                    .filter(|e| !e.eq_ignore_ascii_case("aws-chunked") && !e.is_empty())
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                v.clone()
            };
            if !v.is_empty() {
                headers.insert(n, v);
            }
        }
    }
    NewObject {
        key,
        content_type: Some(
            s.req
                .header("content-type")
                .unwrap_or("binary/octet-stream")
                .to_owned(),
        ),
        metadata,
        headers,
        checksums: BTreeMap::new(),
        tags: BTreeMap::new(),
        etag: None,
        last_modified: rolegate_core::clock::now_millis(),
    }
}

pub(crate) fn put_keys(s: &S3Ctx<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for h in [
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-acl",
        "x-amz-storage-class",
    ] {
        if let Some(v) = s.req.header(h) {
            out.push((format!("s3:{h}"), v.to_owned()));
        }
    }
    if let Some(v) = s.req.header("x-amz-content-sha256") {
        out.push(("s3:x-amz-content-sha256".into(), v.to_owned()));
    }
    out
}

/// Authorizes `s3:PutObject` of `key` with the request's header keys and the tags it sets.
pub(crate) fn authorize_put(
    s: &mut S3Ctx<'_>,
    found: &Found,
    key: &str,
    tags: Option<&BTreeMap<String, String>>,
) -> Result<(), ServiceError> {
    let keys = put_keys(s);
    authorize(s, found, "s3:PutObject", Some(key), |c| {
        for (k, v) in &keys {
            c.insert(k, v);
        }
        if let Some(t) = tags.filter(|t| !t.is_empty()) {
            request_tags(c, t);
        }
    })
}

/// The `x-amz-*` stored headers echoed back.
fn echo_headers(meta: &ObjectMeta, mut r: S3Response) -> S3Response {
    for h in ECHOED_HEADERS {
        if let Some(v) = meta.headers.get(*h) {
            r = r.header(h, v.clone());
        }
    }
    r
}

pub(crate) fn put_object(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    let tags = header_tags(s)?;
    authorize_put(s, &found, &key, tags.as_ref())?;
    if key.len() > 1024 {
        return Err(s3_error(400, "KeyTooLongError", "Your key is too long"));
    }
    let mut new = new_object(s, key);
    new.tags = tags.unwrap_or_default();
    let received = receive(s)?;
    new.checksums = received.checksums;
    let w = received.writer;
    let meta = s.objects.commit(&found.bucket.name, w, new).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            no_such_bucket()
        } else {
            io_error(e)
        }
    })?;
    let mut r = S3Response::empty(200).header("etag", format!("\"{}\"", meta.etag));
    r = echo_headers(&meta, r);
    for (n, v) in received.response_headers {
        r = r.header(&n, v);
    }
    Ok(r)
}

/// A request body received into a temporary file, its checksums verified.
pub(crate) struct Received {
    pub writer: ObjectWriter,
    /// Algorithm (`crc32`...) → the base64 value sent and verified.
    pub checksums: BTreeMap<String, String>,
    /// The `x-amz-checksum-*` headers to answer with.
    pub response_headers: Vec<(String, String)>,
}

/// Streams the request body to a temporary file, checking Content-MD5 and the
/// `x-amz-checksum-*` values (header or aws-chunked trailer) as it goes (PutObject, UploadPart).
pub(crate) fn receive(s: &mut S3Ctx<'_>) -> Result<Received, ServiceError> {
    let mut checksums = BTreeMap::new();
    // Checksums to verify: Content-MD5 and the x-amz-checksum-* ones (header or trailer).
    let md5 = s
        .req
        .header("content-md5")
        .map(checksum::content_md5)
        .transpose()?;
    let wanted = announced(&s.req.headers);
    let mut hashers = Vec::new();
    for (alg, sent) in &wanted {
        checksum::known_algorithm(alg)?;
        if let Some(h) = Hasher::for_algorithm(alg) {
            hashers.push((alg.clone(), sent.clone(), h));
        }
    }
    let mut md5_hasher = md5.as_ref().map(|_| Hasher::md5());
    let mut w = s.objects.writer().map_err(io_error)?;
    while let Some(chunk) = s.req.body.next_chunk()? {
        for (_, _, h) in hashers.iter_mut() {
            h.update(&chunk);
        }
        if let Some(h) = md5_hasher.as_mut() {
            h.update(&chunk);
        }
        w.write(&chunk).map_err(io_error)?;
    }
    let trailers = s.req.body.trailers();
    if let (Some(sent), Some(h)) = (md5, md5_hasher) {
        checksum::check("content-md5", &sent, &h.finish_base64().unwrap_or_default())?;
    }
    let mut response_checksums = Vec::new();
    for (alg, sent, h) in hashers {
        let sent = match sent {
            Some(v) => v,
            None => trailers
                .iter()
                .find(|(n, _)| n == &format!("x-amz-checksum-{alg}"))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    s3_error(
                        400,
                        "MalformedTrailerError",
                        "The request contained trailing data that was not well-formed or did not conform to our published schema.",
                    )
                })?,
        };
        if let Some(computed) = h.finish_base64() {
            checksum::check(&alg, &sent, &computed)?;
        }
        checksums.insert(alg.clone(), sent.clone());
        response_checksums.push((format!("x-amz-checksum-{alg}"), sent));
    }
    Ok(Received {
        writer: w,
        checksums,
        response_headers: response_checksums,
    })
}

pub(crate) fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_matches('"') == etag)
}

/// Evaluates the conditional headers: `Err` is 304 Not Modified or 412 Precondition Failed.
fn preconditions(s: &S3Ctx<'_>, meta: &ObjectMeta) -> Result<(), ServiceError> {
    let modified = meta.last_modified / 1000;
    let since = |h: &str| s.req.header(h).and_then(super::common::parse_http_date);
    let failed = || {
        s3_error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
    };
    let not_modified = || s3_error(304, "NotModified", "Not Modified");
    match s.req.header("if-match") {
        Some(m) if !etag_matches(m, &meta.etag) => return Err(failed()),
        Some(_) => {}
        None => {
            if since("if-unmodified-since").is_some_and(|t| modified > t) {
                return Err(failed());
            }
        }
    }
    match s.req.header("if-none-match") {
        Some(m) if etag_matches(m, &meta.etag) => return Err(not_modified()),
        Some(_) => {}
        None => {
            if since("if-modified-since").is_some_and(|t| modified <= t) {
                return Err(not_modified());
            }
        }
    }
    Ok(())
}

/// Looks up the object after `s3:GetObject` was allowed (with its tags as
/// `s3:ExistingObjectTag/<key>`). A missing key is NoSuchKey only for callers who may list the
/// bucket; others get AccessDenied, as on AWS.
pub(crate) fn readable(
    s: &mut S3Ctx<'_>,
    found: &Found,
    key: &str,
) -> Result<std::sync::Arc<ObjectMeta>, ServiceError> {
    let current = s.objects.get(&found.bucket.name, key);
    authorize(s, found, "s3:GetObject", Some(key), |c| {
        existing_tags(c, current.as_deref())
    })?;
    match current {
        Some(m) => Ok(m),
        None => {
            authorize(s, found, "s3:ListBucket", None, |c| {
                c.insert("s3:prefix", key)
            })?;
            Err(no_such_key())
        }
    }
}

/// The object's headers; its checksums only for a whole-object read (a range has none).
fn object_headers(s: &S3Ctx<'_>, meta: &ObjectMeta, mut r: S3Response, whole: bool) -> S3Response {
    r = r
        .header("etag", format!("\"{}\"", meta.etag))
        .header(
            "last-modified",
            super::common::http_date(meta.last_modified),
        )
        .header("accept-ranges", "bytes");
    let overrides = [
        ("content-type", "response-content-type"),
        ("cache-control", "response-cache-control"),
        ("content-disposition", "response-content-disposition"),
        ("content-encoding", "response-content-encoding"),
        ("content-language", "response-content-language"),
        ("expires", "response-expires"),
    ];
    for (h, q) in overrides {
        let stored = if h == "content-type" {
            meta.content_type.clone()
        } else {
            meta.headers.get(h).cloned()
        };
        if let Some(v) = s.req.query(q).map(str::to_owned).or(stored) {
            r = r.header(h, v);
        }
    }
    for (k, v) in &meta.metadata {
        r = r.header(&format!("x-amz-meta-{k}"), v.clone());
    }
    r = echo_headers(meta, r);
    if !meta.tags.is_empty() {
        r = r.header("x-amz-tagging-count", meta.tags.len().to_string());
    }
    if whole
        && s.req
            .header("x-amz-checksum-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"))
    {
        for (alg, v) in &meta.checksums {
            r = r.header(&format!("x-amz-checksum-{alg}"), v.clone());
        }
    }
    r
}

fn get_or_head(s: &mut S3Ctx<'_>, head: bool) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    let meta = readable(s, &found, &key)?;
    preconditions(s, &meta)?;
    let range = parse_range(s.req.header("range"), meta.size)?;
    let (status, start, len) = match range {
        Some(r) => (206, r.start, r.len),
        None => (200, 0, meta.size),
    };
    let mut r = S3Response::empty(status);
    if let Some(rg) = range {
        r = r.header(
            "content-range",
            format!("bytes {}-{}/{}", rg.start, rg.start + rg.len - 1, meta.size),
        );
    }
    r = object_headers(s, &meta, r, range.is_none()).header("content-length", len.to_string());
    if !head {
        let mut file = s
            .objects
            .open_data(&found.bucket.name, &meta)
            .map_err(io_error)?;
        file.seek(SeekFrom::Start(start)).map_err(io_error)?;
        r.body = S3Body::File { file, len };
    }
    Ok(r)
}

pub(crate) fn get_object(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    get_or_head(s, false)
}

pub(crate) fn head_object(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    get_or_head(s, true)
}

pub(crate) fn delete_object(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    let current = s.objects.get(&found.bucket.name, &key);
    authorize(s, &found, "s3:DeleteObject", Some(&key), |c| {
        existing_tags(c, current.as_deref())
    })?;
    s.objects
        .delete(&found.bucket.name, &key)
        .map_err(io_error)?;
    Ok(S3Response::empty(204))
}

pub(crate) fn delete_objects(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let body = read_body(s)?;
    let text = String::from_utf8(body).map_err(|_| malformed_xml())?;
    if !text.contains("<Delete") {
        return Err(malformed_xml());
    }
    let keys: Vec<String> = text
        .split("<Object>")
        .skip(1)
        .filter_map(|o| xml_texts(o, "Key").into_iter().next())
        .collect();
    if keys.is_empty() || keys.len() > 1000 {
        return Err(malformed_xml());
    }
    let quiet = xml_texts(&text, "Quiet")
        .first()
        .is_some_and(|q| q == "true");
    let mut d = Doc::new("DeleteResult");
    for key in keys {
        // Each key is its own s3:DeleteObject decision.
        let current = s.objects.get(&found.bucket.name, &key);
        let allowed = authorize(s, &found, "s3:DeleteObject", Some(&key), |c| {
            existing_tags(c, current.as_deref())
        });
        match allowed {
            Ok(()) => match s.objects.delete(&found.bucket.name, &key) {
                Ok(_) => {
                    if !quiet {
                        d.open("Deleted").elem("Key", &key).close("Deleted");
                    }
                }
                Err(_) => {
                    d.open("Error")
                        .elem("Key", &key)
                        .elem("Code", "InternalError")
                        .elem("Message", &internal().message)
                        .close("Error");
                }
            },
            Err(e) => {
                d.open("Error")
                    .elem("Key", &key)
                    .elem("Code", &e.code)
                    .elem("Message", &e.message)
                    .close("Error");
            }
        }
    }
    Ok(d.finish("DeleteResult"))
}

/// `x-amz-copy-source`: `bucket/key` or `/bucket/key`, percent-encoded, maybe `?versionId=`.
pub(crate) fn copy_source(v: &str) -> Result<(String, String), ServiceError> {
    let v = v.split_once("?versionId=").map_or(v, |(p, _)| p);
    let decoded = percent_encoding::percent_decode_str(v.trim_start_matches('/'))
        .decode_utf8()
        .map_err(|_| invalid_argument("Invalid copy source encoding"))?;
    match decoded.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok((b.to_owned(), k.to_owned())),
        _ => Err(invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )),
    }
}

pub(crate) fn copy_object(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    let (src_bucket, src_key) = copy_source(s.req.header("x-amz-copy-source").unwrap_or(""))?;
    let src = {
        let (owner, b) = s
            .ctx
            .snap
            .find_bucket(&src_bucket)
            .ok_or_else(no_such_bucket)?;
        Found {
            owner: owner.id.clone(),
            bucket: b.clone(),
        }
    };
    let src_meta = readable(s, &src, &src_key)?;
    let replace_tags = match s.req.header("x-amz-tagging-directive") {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(other) => {
            return Err(invalid_argument(format!(
                "Unknown tagging directive: {other}"
            )))
        }
    };
    let tags = if replace_tags {
        header_tags(s)?.unwrap_or_default()
    } else {
        src_meta.tags.clone()
    };
    authorize_put(s, &found, &key, replace_tags.then_some(&tags))?;
    let replace = match s.req.header("x-amz-metadata-directive") {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(other) => {
            return Err(invalid_argument(format!(
                "Unknown metadata directive: {other}"
            )))
        }
    };
    if !replace && src_bucket == found.bucket.name && src_key == key {
        return Err(s3_error(
            400,
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    // Copy-source conditions refer to the source object.
    if let Some(m) = s.req.header("x-amz-copy-source-if-match") {
        if !etag_matches(m, &src_meta.etag) {
            return Err(s3_error(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            ));
        }
    }
    if let Some(m) = s.req.header("x-amz-copy-source-if-none-match") {
        if etag_matches(m, &src_meta.etag) {
            return Err(s3_error(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            ));
        }
    }
    let mut new = if replace {
        new_object(s, key.clone())
    } else {
        NewObject {
            key: key.clone(),
            content_type: src_meta.content_type.clone(),
            metadata: src_meta.metadata.clone(),
            headers: src_meta.headers.clone(),
            checksums: src_meta.checksums.clone(),
            tags: BTreeMap::new(),
            etag: None,
            last_modified: 0,
        }
    };
    new.tags = tags;
    new.last_modified = rolegate_core::clock::now_millis();
    let mut file = s
        .objects
        .open_data(&src.bucket.name, &src_meta)
        .map_err(io_error)?;
    let mut w = s.objects.writer().map_err(io_error)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io_error)?;
        if n == 0 {
            break;
        }
        w.write(&buf[..n]).map_err(io_error)?;
    }
    let meta = s
        .objects
        .commit(&found.bucket.name, w, new)
        .map_err(io_error)?;
    let mut d = Doc::new("CopyObjectResult");
    d.elem("LastModified", &xml_date(meta.last_modified))
        .elem("ETag", &format!("\"{}\"", meta.etag));
    Ok(d.finish("CopyObjectResult"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_and_etag_lists() {
        assert_eq!(
            copy_source("/b/a%20b/c?versionId=x").ok(),
            Some(("b".into(), "a b/c".into()))
        );
        assert_eq!(copy_source("b/k").ok(), Some(("b".into(), "k".into())));
        assert!(copy_source("b").is_err());
        assert!(etag_matches("\"x\", \"abc\"", "abc"));
        assert!(etag_matches("*", "abc"));
        assert!(!etag_matches("\"x\"", "abc"));
    }
}
