//! Listing objects: ListObjectsV2 and ListObjects (prefix, delimiter, CommonPrefixes, pages).

use super::common::{authorize, bucket, invalid_argument, xml_date, Doc};
use super::{S3Ctx, S3Response};
use crate::error::ServiceError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rolegate_core::objects::{ObjectMeta, ObjectStore};
use std::sync::Arc;

/// The query parameters ListObjects (V1) takes; anything else is another subresource.
pub(crate) const V1_PARAMS: &[&str] =
    &["prefix", "delimiter", "marker", "max-keys", "encoding-type"];

/// One listed entry: an object or a common prefix, in key order.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    Object(Arc<ObjectMeta>),
    Prefix(String),
}

impl Entry {
    /// The key a following page starts after.
    fn marker(&self) -> &str {
        match self {
            Entry::Object(m) => &m.key,
            Entry::Prefix(p) => p,
        }
    }
}

/// One page of a listing.
#[derive(Debug)]
pub(crate) struct Page {
    pub entries: Vec<Entry>,
    pub truncated: bool,
}

/// Lists keys of `keys` (sorted) under `prefix` after `after`, rolling keys that contain
/// `delimiter` after the prefix into common prefixes, up to `max` entries (objects and
/// prefixes together, as S3 counts them).
pub(crate) fn page(
    objects: &ObjectStore,
    bucket: &str,
    prefix: &str,
    delimiter: &str,
    after: Option<&str>,
    max: usize,
) -> Page {
    let mut entries: Vec<Entry> = Vec::new();
    let mut truncated = false;
    objects.scan(bucket, prefix, after, |meta| {
        let rest = &meta.key[prefix.len()..];
        let entry = match rest.find(delimiter).filter(|_| !delimiter.is_empty()) {
            Some(i) => {
                let p = &meta.key[..prefix.len() + i + delimiter.len()];
                // Already rolled up, or the page started inside it.
                if entries.last().is_some_and(|e| e.marker() == p)
                    || after.is_some_and(|a| a.starts_with(p))
                {
                    return true;
                }
                Entry::Prefix(p.to_owned())
            }
            None => Entry::Object(meta.clone()),
        };
        if entries.len() == max {
            truncated = true;
            return false;
        }
        entries.push(entry);
        true
    });
    Page { entries, truncated }
}

struct ListInput {
    prefix: String,
    delimiter: String,
    max: usize,
    url: bool,
}

fn input(s: &S3Ctx<'_>) -> Result<ListInput, ServiceError> {
    let max = match s.req.query("max-keys") {
        None => 1000,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                invalid_argument("Provided max-keys not an integer or within integer range")
            })?
            .min(1000) as usize,
    };
    let url = match s.req.query("encoding-type") {
        None => false,
        Some("url") => true,
        Some(_) => {
            return Err(invalid_argument(
                "Invalid Encoding Method specified in Request",
            ))
        }
    };
    Ok(ListInput {
        prefix: s.req.query("prefix").unwrap_or("").to_owned(),
        delimiter: s.req.query("delimiter").unwrap_or("").to_owned(),
        max,
        url,
    })
}

pub(crate) fn enc(url: bool, s: &str) -> String {
    if !url {
        return s.to_owned();
    }
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

fn authorize_list(s: &mut S3Ctx<'_>, i: &ListInput) -> Result<super::common::Found, ServiceError> {
    let found = bucket(s)?;
    let (prefix, delimiter, max) = (i.prefix.clone(), i.delimiter.clone(), i.max);
    let max_keys = s.req.query("max-keys").map(str::to_owned);
    authorize(s, &found, "s3:ListBucket", None, |c| {
        c.insert("s3:prefix", &prefix);
        if !delimiter.is_empty() {
            c.insert("s3:delimiter", &delimiter);
        }
        c.insert("s3:max-keys", &max_keys.unwrap_or_else(|| max.to_string()));
    })?;
    Ok(found)
}

fn write_entries(d: &mut Doc, page: &Page, url: bool, owner: Option<&str>) {
    for e in &page.entries {
        if let Entry::Object(m) = e {
            d.open("Contents")
                .elem("Key", &enc(url, &m.key))
                .elem("LastModified", &xml_date(m.last_modified))
                .elem("ETag", &format!("\"{}\"", m.etag))
                .elem("Size", &m.size.to_string());
            if let Some(owner) = owner {
                d.open("Owner")
                    .elem("ID", &super::buckets::owner_id(owner))
                    .elem("DisplayName", owner)
                    .close("Owner");
            }
            d.elem("StorageClass", "STANDARD").close("Contents");
        }
    }
    for e in &page.entries {
        if let Entry::Prefix(p) = e {
            d.open("CommonPrefixes")
                .elem("Prefix", &enc(url, p))
                .close("CommonPrefixes");
        }
    }
}

pub(crate) fn list_objects_v2(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let i = input(s)?;
    let found = authorize_list(s, &i)?;
    let token = match s.req.query("continuation-token") {
        None => None,
        Some(t) => Some(
            STANDARD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| invalid_argument("The continuation token provided is incorrect"))?,
        ),
    };
    let start_after = s.req.query("start-after").map(str::to_owned);
    let after = match (&token, &start_after) {
        (Some(t), _) => Some(t.as_str()),
        (None, Some(a)) => Some(a.as_str()),
        _ => None,
    };
    let page = page(
        s.objects,
        &found.bucket.name,
        &i.prefix,
        &i.delimiter,
        after,
        i.max,
    );
    let fetch_owner = s.req.query("fetch-owner") == Some("true");
    let mut d = Doc::new("ListBucketResult");
    d.elem("Name", &found.bucket.name)
        .elem("Prefix", &enc(i.url, &i.prefix))
        .elem("KeyCount", &page.entries.len().to_string())
        .elem("MaxKeys", &i.max.to_string());
    if !i.delimiter.is_empty() {
        d.elem("Delimiter", &enc(i.url, &i.delimiter));
    }
    d.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    if let Some(t) = s.req.query("continuation-token") {
        d.elem("ContinuationToken", t);
    }
    if let Some(a) = &start_after {
        d.elem("StartAfter", &enc(i.url, a));
    }
    if page.truncated {
        if let Some(last) = page.entries.last() {
            d.elem("NextContinuationToken", &STANDARD.encode(last.marker()));
        }
    }
    if i.url {
        d.elem("EncodingType", "url");
    }
    write_entries(
        &mut d,
        &page,
        i.url,
        fetch_owner.then_some(found.owner.as_str()),
    );
    Ok(d.finish("ListBucketResult"))
}

pub(crate) fn list_objects(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let i = input(s)?;
    let found = authorize_list(s, &i)?;
    let marker = s.req.query("marker").unwrap_or("").to_owned();
    let after = (!marker.is_empty()).then_some(marker.as_str());
    let page = page(
        s.objects,
        &found.bucket.name,
        &i.prefix,
        &i.delimiter,
        after,
        i.max,
    );
    let mut d = Doc::new("ListBucketResult");
    d.elem("Name", &found.bucket.name)
        .elem("Prefix", &enc(i.url, &i.prefix))
        .elem("Marker", &enc(i.url, &marker))
        .elem("MaxKeys", &i.max.to_string());
    if !i.delimiter.is_empty() {
        d.elem("Delimiter", &enc(i.url, &i.delimiter));
    }
    d.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    // V1 gives NextMarker only with a delimiter; clients use the last key otherwise.
    if page.truncated && !i.delimiter.is_empty() {
        if let Some(last) = page.entries.last() {
            d.elem("NextMarker", &enc(i.url, last.marker()));
        }
    }
    if i.url {
        d.elem("EncodingType", "url");
    }
    write_entries(&mut d, &page, i.url, Some(&found.owner));
    Ok(d.finish("ListBucketResult"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_core::objects::NewObject;

    fn store(keys: &[&str]) -> (tempfile::TempDir, ObjectStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = ObjectStore::open(dir.path()).expect("store");
        s.create_bucket("b").expect("bucket");
        for k in keys {
            let w = s.writer().expect("writer");
            s.commit(
                "b",
                w,
                NewObject {
                    key: (*k).into(),
                    ..NewObject::default()
                },
            )
            .expect("commit");
        }
        (dir, s)
    }

    fn names(p: &Page) -> Vec<String> {
        p.entries
            .iter()
            .map(|e| match e {
                Entry::Object(m) => m.key.clone(),
                Entry::Prefix(p) => format!("{p}*"),
            })
            .collect()
    }

    #[test]
    fn delimiter_rolls_keys_into_common_prefixes() {
        let (_d, s) = store(&["a.txt", "dir/x", "dir/y", "dir/sub/z", "dis", "e/f"]);
        let p = page(&s, "b", "", "/", None, 1000);
        assert_eq!(names(&p), ["a.txt", "dir/*", "dis", "e/*"]);
        assert!(!p.truncated);
        let p = page(&s, "b", "dir/", "/", None, 1000);
        assert_eq!(names(&p), ["dir/sub/*", "dir/x", "dir/y"]);
        let p = page(&s, "b", "di", "", None, 1000);
        assert_eq!(names(&p), ["dir/sub/z", "dir/x", "dir/y", "dis"]);
    }

    #[test]
    fn pages_count_prefixes_and_resume_after_them() {
        let (_d, s) = store(&["a", "b/1", "b/2", "c", "d/1"]);
        let p1 = page(&s, "b", "", "/", None, 2);
        assert_eq!(names(&p1), ["a", "b/*"]);
        assert!(p1.truncated);
        let p2 = page(&s, "b", "", "/", Some("b/"), 2);
        assert_eq!(names(&p2), ["c", "d/*"]);
        assert!(!p2.truncated);
        let all = page(&s, "b", "", "", Some("b/1"), 1);
        assert_eq!(names(&all), ["b/2"]);
        assert!(all.truncated);
        // Exactly max entries left: not truncated.
        let p = page(&s, "b", "", "", Some("c"), 1);
        assert_eq!(names(&p), ["d/1"]);
        assert!(!p.truncated);
        assert!(page(&s, "b", "", "", None, 0).truncated);
    }
}
