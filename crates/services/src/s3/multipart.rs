//! Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
//!
//! Parts stream to disk like PutObject bodies (same payload, aws-chunked and checksum
//! handling) and are kept under the data directory until the upload is completed or aborted.
//! Completion streams the chosen part files into one new object, committed atomically.

use super::checksum::{self, Hasher};
use super::common::{
    authorize, bucket, invalid_argument, io_error, malformed_xml, no_such_bucket, s3_error,
    xml_date, xml_texts, Doc, Found,
};
use super::objects::{copy_source, etag_matches, key, new_object, readable, receive};
use super::tagging::header_tags;
use super::{S3Ctx, S3Response};
use crate::error::ServiceError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest, Md5};
use rolegate_core::objects::{NewObject, PartMeta, Upload, UploadMeta};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

/// Every part but the last must be at least this large.
pub(crate) const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
pub(crate) const MAX_PART_NUMBER: u32 = 10_000;
/// A CompleteMultipartUpload document of 10,000 parts with checksums stays well below this.
const MAX_COMPLETE_BODY: usize = 4 * 1024 * 1024;
/// The checksum algorithms, as `x-amz-checksum-<alg>` and `Checksum<ALG>` name them.
const ALGORITHMS: &[&str] = &["crc32", "crc32c", "crc64nvme", "sha1", "sha256"];

pub(crate) fn no_such_upload() -> ServiceError {
    s3_error(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

fn invalid_part() -> ServiceError {
    s3_error(
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

fn not_found_is_bucket(e: std::io::Error) -> ServiceError {
    if e.kind() == std::io::ErrorKind::NotFound {
        no_such_bucket()
    } else {
        io_error(e)
    }
}

/// `partNumber`: an integer from 1 to 10,000.
pub(crate) fn part_number(v: Option<&str>) -> Result<u32, ServiceError> {
    v.and_then(|v| v.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            invalid_argument("Part number must be an integer between 1 and 10000, inclusive")
        })
}

/// The ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-<parts>`.
pub(crate) fn multipart_etag<'a>(part_etags: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Md5::new();
    let mut n = 0;
    for e in part_etags {
        h.update(hex::decode(e).unwrap_or_default());
        n += 1;
    }
    format!("{}-{n}", hex::encode(h.finalize()))
}

/// The composite checksum of a multipart object: the algorithm over the parts' binary
/// checksums, then `-<parts>`. `None` when a part lacks it or the algorithm is not computed.
pub(crate) fn composite_checksum(alg: &str, part_values: &[&str]) -> Option<String> {
    let mut h = Hasher::for_algorithm(alg)?;
    for v in part_values {
        h.update(&STANDARD.decode(v).ok()?);
    }
    Some(format!("{}-{}", h.finish_base64()?, part_values.len()))
}

/// One `<Part>` of a CompleteMultipartUpload document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Requested {
    pub number: u32,
    /// Without quotes.
    pub etag: String,
    /// (algorithm, base64 value) given for the part.
    pub checksums: Vec<(String, String)>,
}

pub(crate) fn parse_complete(text: &str) -> Result<Vec<Requested>, ServiceError> {
    if !text.contains("<CompleteMultipartUpload") {
        return Err(malformed_xml());
    }
    let mut out = Vec::new();
    for p in text.split("<Part>").skip(1) {
        let p = p.split("</Part>").next().unwrap_or("");
        let number = xml_texts(p, "PartNumber")
            .first()
            .and_then(|n| n.trim().parse::<u32>().ok())
            .ok_or_else(malformed_xml)?;
        let etag = xml_texts(p, "ETag")
            .first()
            .map(|e| e.trim().trim_matches('"').to_owned())
            .ok_or_else(malformed_xml)?;
        let mut checksums = Vec::new();
        for alg in ALGORITHMS {
            if let Some(v) = xml_texts(p, &format!("Checksum{}", alg.to_ascii_uppercase())).first()
            {
                checksums.push(((*alg).to_owned(), v.trim().to_owned()));
            }
        }
        out.push(Requested {
            number,
            etag,
            checksums,
        });
    }
    if out.is_empty() {
        return Err(malformed_xml());
    }
    Ok(out)
}

/// The parts a completion names, checked against those uploaded: ascending part numbers
/// (InvalidPartOrder), each uploaded with that ETag and any checksum given (InvalidPart), and
/// every one but the last at least 5 MiB (EntityTooSmall).
pub(crate) fn select_parts(
    requested: &[Requested],
    uploaded: &BTreeMap<u32, PartMeta>,
) -> Result<Vec<PartMeta>, ServiceError> {
    let mut out: Vec<PartMeta> = Vec::with_capacity(requested.len());
    for r in requested {
        if out.last().is_some_and(|prev| prev.number >= r.number) {
            return Err(s3_error(
                400,
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
            ));
        }
        let part = uploaded
            .get(&r.number)
            .filter(|p| p.etag.eq_ignore_ascii_case(&r.etag))
            .filter(|p| {
                r.checksums
                    .iter()
                    .all(|(alg, v)| p.checksums.get(alg).is_none_or(|have| have == v))
            })
            .ok_or_else(invalid_part)?;
        out.push(part.clone());
    }
    if let Some((_, rest)) = out.split_last() {
        if rest.iter().any(|p| p.size < MIN_PART_SIZE) {
            return Err(s3_error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
            ));
        }
    }
    Ok(out)
}

fn upload_id(s: &S3Ctx<'_>) -> String {
    s.req.query("uploadId").unwrap_or_default().to_owned()
}

/// The upload named by `uploadId` for this bucket and key.
fn find_upload(
    s: &S3Ctx<'_>,
    found: &Found,
    key: &str,
) -> Result<std::sync::Arc<Upload>, ServiceError> {
    s.objects
        .upload(&found.bucket.name, &upload_id(s))
        .filter(|u| u.meta.key == key)
        .ok_or_else(no_such_upload)
}

fn authorize_put(s: &mut S3Ctx<'_>, found: &Found, key: &str) -> Result<(), ServiceError> {
    super::objects::authorize_put(s, found, key, None)
}

fn checksum_elem(alg: &str) -> String {
    format!("Checksum{}", alg.to_ascii_uppercase())
}

pub(crate) fn create_multipart_upload(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    let tags = header_tags(s)?;
    super::objects::authorize_put(s, &found, &key, tags.as_ref())?;
    if key.len() > 1024 {
        return Err(s3_error(400, "KeyTooLongError", "Your key is too long"));
    }
    let algorithm = s
        .req
        .header("x-amz-checksum-algorithm")
        .map(|a| a.trim().to_ascii_lowercase());
    if let Some(a) = &algorithm {
        checksum::known_algorithm(a)?;
    }
    let checksum_type = s
        .req
        .header("x-amz-checksum-type")
        .map(|t| t.trim().to_ascii_uppercase());
    if let Some(t) = &checksum_type {
        if t != "COMPOSITE" && t != "FULL_OBJECT" {
            return Err(invalid_argument(format!(
                "Value for x-amz-checksum-type header is invalid: {t}"
            )));
        }
    }
    let new = new_object(s, key.clone());
    let meta = UploadMeta {
        id: String::new(),
        key: key.clone(),
        initiated: rolegate_core::clock::now_millis(),
        content_type: new.content_type,
        metadata: new.metadata,
        headers: new.headers,
        checksum_algorithm: algorithm.clone(),
        checksum_type: checksum_type.clone(),
        tags: tags.unwrap_or_default(),
        initiator: s.ctx.caller.principal.arn.clone(),
        initiator_name: s.ctx.caller.principal.name.clone(),
    };
    let upload = s
        .objects
        .create_upload(&found.bucket.name, meta)
        .map_err(not_found_is_bucket)?;
    let mut d = Doc::new("InitiateMultipartUploadResult");
    d.elem("Bucket", &found.bucket.name)
        .elem("Key", &key)
        .elem("UploadId", &upload.meta.id);
    let mut r = d.finish("InitiateMultipartUploadResult");
    if let Some(a) = algorithm {
        r = r.header("x-amz-checksum-algorithm", a.to_ascii_uppercase());
    }
    if let Some(t) = checksum_type {
        r = r.header("x-amz-checksum-type", t);
    }
    Ok(r)
}

pub(crate) fn upload_part(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    authorize_put(s, &found, &key)?;
    let number = part_number(s.req.query("partNumber"))?;
    let upload = find_upload(s, &found, &key)?;
    let received = receive(s)?;
    let objects = s.objects;
    let part = objects
        .with_upload(&found.bucket.name, &upload.meta.id, |u| {
            objects.commit_part(
                u,
                received.writer,
                number,
                received.checksums,
                rolegate_core::clock::now_millis(),
            )
        })
        .ok_or_else(no_such_upload)?
        .map_err(io_error)?;
    let mut r = S3Response::empty(200).header("etag", format!("\"{}\"", part.etag));
    for (n, v) in received.response_headers {
        r = r.header(&n, v);
    }
    Ok(r)
}

/// `x-amz-copy-source-range: bytes=first-last`, within an object of `size` bytes.
pub(crate) fn copy_range(v: Option<&str>, size: u64) -> Result<(u64, u64), ServiceError> {
    let Some(v) = v else { return Ok((0, size)) };
    let bad = || {
        invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        )
    };
    let (a, b) = v
        .trim()
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(bad)?;
    let (first, last) = (
        a.trim().parse::<u64>().map_err(|_| bad())?,
        b.trim().parse::<u64>().map_err(|_| bad())?,
    );
    if first > last {
        return Err(bad());
    }
    if last >= size {
        return Err(s3_error(
            400,
            "InvalidRange",
            "The requested range is not satisfiable",
        ));
    }
    Ok((first, last - first + 1))
}

pub(crate) fn upload_part_copy(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
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
    authorize_put(s, &found, &key)?;
    let number = part_number(s.req.query("partNumber"))?;
    let upload = find_upload(s, &found, &key)?;
    let failed = || {
        s3_error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
    };
    if let Some(m) = s.req.header("x-amz-copy-source-if-match") {
        if !etag_matches(m, &src_meta.etag) {
            return Err(failed());
        }
    }
    if let Some(m) = s.req.header("x-amz-copy-source-if-none-match") {
        if etag_matches(m, &src_meta.etag) {
            return Err(failed());
        }
    }
    let (start, len) = copy_range(s.req.header("x-amz-copy-source-range"), src_meta.size)?;
    let mut file = s
        .objects
        .open_data(&src.bucket.name, &src_meta)
        .map_err(io_error)?;
    file.seek(SeekFrom::Start(start)).map_err(io_error)?;
    let mut w = s.objects.writer().map_err(io_error)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        let n = file.read(&mut buf[..want]).map_err(io_error)?;
        if n == 0 {
            return Err(io_error(std::io::ErrorKind::UnexpectedEof.into()));
        }
        w.write(&buf[..n]).map_err(io_error)?;
        left -= n as u64;
    }
    let objects = s.objects;
    let part = objects
        .with_upload(&found.bucket.name, &upload.meta.id, |u| {
            objects.commit_part(
                u,
                w,
                number,
                BTreeMap::new(),
                rolegate_core::clock::now_millis(),
            )
        })
        .ok_or_else(no_such_upload)?
        .map_err(io_error)?;
    let mut d = Doc::new("CopyPartResult");
    d.elem("LastModified", &xml_date(part.last_modified))
        .elem("ETag", &format!("\"{}\"", part.etag));
    Ok(d.finish("CopyPartResult"))
}

/// The committed object and the checksum (algorithm, value) it reports.
type Completed = (
    std::sync::Arc<rolegate_core::objects::ObjectMeta>,
    Option<(String, String)>,
);

/// Streams the parts into one new object and commits it (the upload held), then removes the
/// upload. Returns the object's metadata and the checksum it reports.
fn assemble_and_commit(
    s: &S3Ctx<'_>,
    u: &Upload,
    bucket_name: &str,
    parts: &[PartMeta],
) -> Result<Completed, ServiceError> {
    let objects = s.objects;
    let meta = &u.meta;
    // FULL_OBJECT: the algorithm over the whole object, computed while assembling.
    let full = meta.checksum_type.as_deref() == Some("FULL_OBJECT");
    let mut full_hasher = meta
        .checksum_algorithm
        .as_deref()
        .filter(|_| full)
        .and_then(Hasher::for_algorithm);
    let mut w = objects.writer().map_err(io_error)?;
    let mut buf = vec![0u8; 256 * 1024];
    for p in parts {
        let mut f = objects.open_part(u, p).map_err(io_error)?;
        loop {
            let n = f.read(&mut buf).map_err(io_error)?;
            if n == 0 {
                break;
            }
            if let Some(h) = full_hasher.as_mut() {
                h.update(&buf[..n]);
            }
            w.write(&buf[..n]).map_err(io_error)?;
        }
    }
    let checksum = match &meta.checksum_algorithm {
        Some(alg) if full => full_hasher
            .and_then(Hasher::finish_base64)
            .map(|v| (alg.clone(), v)),
        Some(alg) => {
            let values: Option<Vec<&str>> = parts
                .iter()
                .map(|p| p.checksums.get(alg).map(String::as_str))
                .collect();
            values
                .and_then(|v| composite_checksum(alg, &v))
                .map(|v| (alg.clone(), v))
        }
        None => None,
    };
    let new = NewObject {
        key: meta.key.clone(),
        content_type: meta.content_type.clone(),
        metadata: meta.metadata.clone(),
        headers: meta.headers.clone(),
        checksums: checksum.iter().cloned().collect(),
        tags: meta.tags.clone(),
        etag: Some(multipart_etag(parts.iter().map(|p| p.etag.as_str()))),
        last_modified: rolegate_core::clock::now_millis(),
    };
    let object = objects
        .commit(bucket_name, w, new)
        .map_err(not_found_is_bucket)?;
    // The object is committed: a failure to tidy up the upload does not undo that.
    let _ = objects.remove_upload(u);
    Ok((object, checksum))
}

pub(crate) fn complete_multipart_upload(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    authorize_put(s, &found, &key)?;
    let upload = find_upload(s, &found, &key)?;
    let body = super::common::read_body_limit(s, MAX_COMPLETE_BODY)?;
    let text = String::from_utf8(body).map_err(|_| malformed_xml())?;
    let requested = parse_complete(&text)?;
    let name = found.bucket.name.clone();
    let (object, checksum) = s
        .objects
        .with_upload(&name, &upload.meta.id, |u| {
            let parts = select_parts(&requested, &u.parts())?;
            assemble_and_commit(s, u, &name, &parts)
        })
        .ok_or_else(no_such_upload)??;
    let location = match s.req.header("host") {
        Some(h) => format!("http://{h}/{name}/{key}"),
        None => format!("/{name}/{key}"),
    };
    let mut d = Doc::new("CompleteMultipartUploadResult");
    d.elem("Location", &location)
        .elem("Bucket", &name)
        .elem("Key", &key)
        .elem("ETag", &format!("\"{}\"", object.etag));
    if let Some((alg, v)) = &checksum {
        d.elem(&checksum_elem(alg), v);
        let kind = upload.meta.checksum_type.as_deref().unwrap_or("COMPOSITE");
        d.elem("ChecksumType", kind);
    }
    Ok(d.finish("CompleteMultipartUploadResult"))
}

pub(crate) fn abort_multipart_upload(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    authorize(s, &found, "s3:AbortMultipartUpload", Some(&key), |_| {})?;
    let upload = find_upload(s, &found, &key)?;
    let objects = s.objects;
    objects
        .with_upload(&found.bucket.name, &upload.meta.id, |u| {
            objects.remove_upload(u)
        })
        .ok_or_else(no_such_upload)?
        .map_err(io_error)?;
    Ok(S3Response::empty(204))
}

fn max_param(s: &S3Ctx<'_>, name: &str) -> Result<usize, ServiceError> {
    match s.req.query(name) {
        None => Ok(1000),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n.min(1000) as usize)
            .ok_or_else(|| {
                invalid_argument(format!(
                    "Provided {name} not an integer or within integer range"
                ))
            }),
    }
}

fn owner_and_initiator(d: &mut Doc, owner: &str, meta: &UploadMeta) {
    d.open("Initiator")
        .elem("ID", &meta.initiator)
        .elem("DisplayName", &meta.initiator_name)
        .close("Initiator");
    d.open("Owner")
        .elem("ID", &super::buckets::owner_id(owner))
        .elem("DisplayName", owner)
        .close("Owner");
}

pub(crate) fn list_parts(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    authorize(s, &found, "s3:ListMultipartUploadParts", Some(&key), |_| {})?;
    let upload = find_upload(s, &found, &key)?;
    let max = max_param(s, "max-parts")?;
    let marker = match s.req.query("part-number-marker") {
        None | Some("") => 0,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| invalid_argument("Invalid part number marker"))?,
    };
    let parts = upload.parts();
    let mut listed = parts.range(marker.saturating_add(1)..).map(|(_, p)| p);
    let page: Vec<&PartMeta> = listed.by_ref().take(max).collect();
    let truncated = listed.next().is_some();
    let mut d = Doc::new("ListPartsResult");
    d.elem("Bucket", &found.bucket.name)
        .elem("Key", &key)
        .elem("UploadId", &upload.meta.id);
    owner_and_initiator(&mut d, &found.owner, &upload.meta);
    d.elem("StorageClass", "STANDARD")
        .elem("PartNumberMarker", &marker.to_string());
    if let Some(last) = page.last() {
        d.elem("NextPartNumberMarker", &last.number.to_string());
    }
    d.elem("MaxParts", &max.to_string())
        .elem("IsTruncated", if truncated { "true" } else { "false" });
    if let Some(alg) = &upload.meta.checksum_algorithm {
        d.elem("ChecksumAlgorithm", &alg.to_ascii_uppercase());
    }
    for p in page {
        d.open("Part")
            .elem("PartNumber", &p.number.to_string())
            .elem("LastModified", &xml_date(p.last_modified))
            .elem("ETag", &format!("\"{}\"", p.etag))
            .elem("Size", &p.size.to_string());
        for (alg, v) in &p.checksums {
            d.elem(&checksum_elem(alg), v);
        }
        d.close("Part");
    }
    Ok(d.finish("ListPartsResult"))
}

pub(crate) fn list_multipart_uploads(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let prefix = s.req.query("prefix").unwrap_or("").to_owned();
    let delimiter = s.req.query("delimiter").unwrap_or("").to_owned();
    authorize(s, &found, "s3:ListBucketMultipartUploads", None, |c| {
        c.insert("s3:prefix", &prefix);
        if !delimiter.is_empty() {
            c.insert("s3:delimiter", &delimiter);
        }
    })?;
    let max = max_param(s, "max-uploads")?;
    let key_marker = s.req.query("key-marker").unwrap_or("").to_owned();
    let id_marker = s.req.query("upload-id-marker").unwrap_or("").to_owned();
    let url = match s.req.query("encoding-type") {
        None => false,
        Some("url") => true,
        Some(_) => {
            return Err(invalid_argument(
                "Invalid Encoding Method specified in Request",
            ))
        }
    };
    let all = s.objects.uploads(&found.bucket.name);
    // After the marker: keys past key-marker, or, with an upload-id-marker, the uploads of
    // key-marker that come after that upload.
    let resume = if id_marker.is_empty() {
        None
    } else {
        all.iter()
            .position(|u| u.meta.key == key_marker && u.meta.id == id_marker)
    };
    let rest = all.iter().enumerate().filter(|(i, u)| match resume {
        Some(at) => *i > at,
        None => key_marker.is_empty() || u.meta.key > key_marker,
    });
    let mut uploads = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    for (_, u) in rest {
        if !u.meta.key.starts_with(&prefix) {
            continue;
        }
        let rolled = (!delimiter.is_empty())
            .then(|| {
                u.meta.key[prefix.len()..]
                    .find(&delimiter)
                    .map(|i| u.meta.key[..prefix.len() + i + delimiter.len()].to_owned())
            })
            .flatten();
        if let Some(p) = &rolled {
            if prefixes.last() == Some(p) {
                continue;
            }
        }
        if uploads.len() + prefixes.len() == max {
            truncated = true;
            break;
        }
        match rolled {
            Some(p) => prefixes.push(p),
            None => uploads.push(u.clone()),
        }
    }
    let enc = |v: &str| super::list::enc(url, v);
    let mut d = Doc::new("ListMultipartUploadsResult");
    d.elem("Bucket", &found.bucket.name)
        .elem("KeyMarker", &enc(&key_marker))
        .elem("UploadIdMarker", &id_marker);
    if truncated {
        if let Some(last) = uploads.last() {
            d.elem("NextKeyMarker", &enc(&last.meta.key))
                .elem("NextUploadIdMarker", &last.meta.id);
        }
    }
    if !prefix.is_empty() {
        d.elem("Prefix", &enc(&prefix));
    }
    if !delimiter.is_empty() {
        d.elem("Delimiter", &enc(&delimiter));
    }
    if url {
        d.elem("EncodingType", "url");
    }
    d.elem("MaxUploads", &max.to_string())
        .elem("IsTruncated", if truncated { "true" } else { "false" });
    for u in &uploads {
        d.open("Upload")
            .elem("Key", &enc(&u.meta.key))
            .elem("UploadId", &u.meta.id);
        owner_and_initiator(&mut d, &found.owner, &u.meta);
        d.elem("StorageClass", "STANDARD")
            .elem("Initiated", &xml_date(u.meta.initiated));
        if let Some(alg) = &u.meta.checksum_algorithm {
            d.elem("ChecksumAlgorithm", &alg.to_ascii_uppercase());
        }
        d.close("Upload");
    }
    for p in &prefixes {
        d.open("CommonPrefixes")
            .elem("Prefix", &enc(p))
            .close("CommonPrefixes");
    }
    Ok(d.finish("ListMultipartUploadsResult"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(number: u32, size: u64, etag: &str) -> PartMeta {
        PartMeta {
            number,
            size,
            etag: etag.into(),
            last_modified: 0,
            checksums: BTreeMap::from([("crc32".to_owned(), "DUoRhQ==".to_owned())]),
            data: format!("d-{number}"),
        }
    }

    fn req(number: u32, etag: &str) -> Requested {
        Requested {
            number,
            etag: etag.into(),
            checksums: vec![],
        }
    }

    fn code<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> String {
        r.err().map(|e| e.code).unwrap_or_default()
    }

    #[test]
    fn multipart_etags_are_the_md5_of_the_part_md5s() {
        // Two parts: "hello" and "world" (md5s 5d41... and 7d79...); the value AWS returns
        // for them, as `printf '%s%s' $(md5 hello) $(md5 world) | xxd -r -p | md5sum`.
        let e = multipart_etag([
            "5d41402abc4b2a76b9719d911017c592",
            "7d793037a0760186574b0282f2f435e7",
        ]);
        assert_eq!(e, "065947336a2f2a95ba8899f3675c3be6-2");
        // One part: still the MD5 of its MD5, with "-1".
        assert_eq!(
            multipart_etag(["5d41402abc4b2a76b9719d911017c592"]),
            "62109206880d38a4010a98e11243924a-1"
        );
    }

    #[test]
    fn composite_checksums() {
        // CRC32 of the two CRC32s of "hello world", base64, then "-2".
        let v = composite_checksum("crc32", &["DUoRhQ==", "DUoRhQ=="]).unwrap_or_default();
        assert_eq!(v, "7ryKJw==-2");
        assert_eq!(composite_checksum("crc32", &["not base64!"]), None);
        assert_eq!(composite_checksum("sha1", &["DUoRhQ=="]), None);
    }

    #[test]
    fn part_numbers() {
        assert_eq!(part_number(Some("1")).ok(), Some(1));
        assert_eq!(part_number(Some("10000")).ok(), Some(10000));
        for bad in [Some("0"), Some("10001"), Some("-1"), Some("x"), None] {
            assert_eq!(code(part_number(bad)), "InvalidArgument", "{bad:?}");
        }
    }

    #[test]
    fn completion_checks_order_existence_etags_and_sizes() {
        let big = MIN_PART_SIZE;
        let uploaded = BTreeMap::from([
            (1, part(1, big, "aa")),
            (2, part(2, big, "bb")),
            (3, part(3, 1, "cc")),
            (4, part(4, 2, "dd")),
        ]);
        let ok = select_parts(&[req(1, "aa"), req(2, "BB"), req(3, "cc")], &uploaded);
        assert_eq!(
            ok.map(|p| p.iter().map(|p| p.number).collect::<Vec<_>>())
                .ok(),
            Some(vec![1, 2, 3])
        );
        // Gaps are allowed; the last part may be small.
        assert!(select_parts(&[req(1, "aa"), req(4, "dd")], &uploaded).is_ok());
        assert!(select_parts(&[req(3, "cc")], &uploaded).is_ok());
        assert_eq!(
            code(select_parts(&[req(2, "bb"), req(1, "aa")], &uploaded)),
            "InvalidPartOrder"
        );
        assert_eq!(
            code(select_parts(&[req(1, "aa"), req(1, "aa")], &uploaded)),
            "InvalidPartOrder"
        );
        assert_eq!(
            code(select_parts(&[req(5, "ee")], &uploaded)),
            "InvalidPart"
        );
        assert_eq!(
            code(select_parts(&[req(1, "zz")], &uploaded)),
            "InvalidPart"
        );
        assert_eq!(
            code(select_parts(&[req(3, "cc"), req(4, "dd")], &uploaded)),
            "EntityTooSmall"
        );
        // A checksum given for a part must be the one it was uploaded with.
        let mut with_sum = req(1, "aa");
        with_sum.checksums = vec![("crc32".into(), "AAAAAA==".into())];
        assert_eq!(
            code(select_parts(&[with_sum.clone()], &uploaded)),
            "InvalidPart"
        );
        with_sum.checksums = vec![("crc32".into(), "DUoRhQ==".into())];
        assert!(select_parts(&[with_sum], &uploaded).is_ok());
    }

    #[test]
    fn complete_documents() {
        let doc = r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
            <Part><ETag>"aa"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>DUoRhQ==</ChecksumCRC32></Part>
            <Part><PartNumber>2</PartNumber><ETag>&quot;bb&quot;</ETag></Part>
        </CompleteMultipartUpload>"#;
        let parts = parse_complete(doc).unwrap_or_default();
        assert_eq!(
            parts,
            vec![
                Requested {
                    number: 1,
                    etag: "aa".into(),
                    checksums: vec![("crc32".into(), "DUoRhQ==".into())]
                },
                req(2, "bb")
            ]
        );
        assert_eq!(
            code(parse_complete("<CompleteMultipartUpload/>")),
            "MalformedXML"
        );
        assert_eq!(code(parse_complete("nonsense")), "MalformedXML");
        assert_eq!(
            code(parse_complete(
                "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>"
            )),
            "MalformedXML"
        );
    }

    #[test]
    fn copy_ranges() {
        assert_eq!(copy_range(None, 10).ok(), Some((0, 10)));
        assert_eq!(copy_range(Some("bytes=2-4"), 10).ok(), Some((2, 3)));
        assert_eq!(code(copy_range(Some("bytes=2-10"), 10)), "InvalidRange");
        assert_eq!(code(copy_range(Some("bytes=4-2"), 10)), "InvalidArgument");
        assert_eq!(code(copy_range(Some("2-4"), 10)), "InvalidArgument");
    }
}
