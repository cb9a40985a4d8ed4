//! Bucket tagging (PutBucketTagging, GetBucketTagging, DeleteBucketTagging) and object tagging
//! (PutObjectTagging, GetObjectTagging, DeleteObjectTagging), with the tag condition keys:
//! `s3:ExistingObjectTag/<key>` (the object's current tags), `s3:RequestObjectTag/<key>` and
//! `s3:RequestObjectTagKeys` (the tags a request sets).

use super::common::{
    authorize, bucket, invalid_argument, io_error, malformed_xml, no_such_key, read_body, s3_error,
    xml_texts, Doc,
};
use super::objects::key;
use super::{S3Ctx, S3Response};
use crate::error::ServiceError;
use rolegate_core::objects::ObjectMeta;
use rolegate_core::Tag;
use rolegate_policy::Context;
use std::collections::BTreeMap;

/// Tags one object may carry.
pub(crate) const MAX_OBJECT_TAGS: usize = 10;

/// An object's tags as the request context's `s3:ExistingObjectTag/<key>`.
pub(crate) fn existing_tags(c: &mut Context, meta: Option<&ObjectMeta>) {
    for (k, v) in meta.map(|m| &m.tags).into_iter().flatten() {
        c.insert(&format!("s3:ExistingObjectTag/{k}"), v);
    }
}

/// The tags a request sets as `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys`.
pub(crate) fn request_tags(c: &mut Context, tags: &BTreeMap<String, String>) {
    for (k, v) in tags {
        c.insert(&format!("s3:RequestObjectTag/{k}"), v);
    }
    c.insert_multi("s3:RequestObjectTagKeys", tags.keys().cloned().collect());
}

fn check_tag(key: &str, value: &str) -> Result<(), ServiceError> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(s3_error(
            400,
            "InvalidTag",
            "The TagKey you have provided is invalid",
        ));
    }
    if value.chars().count() > 256 {
        return Err(s3_error(
            400,
            "InvalidTag",
            "The TagValue you have provided is invalid",
        ));
    }
    Ok(())
}

fn too_many_object_tags() -> ServiceError {
    s3_error(400, "BadRequest", "Object tags cannot be greater than 10")
}

/// The `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded), checked as S3 checks it.
pub(crate) fn parse_tagging_header(v: &str) -> Result<BTreeMap<String, String>, ServiceError> {
    let mut tags = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(v.as_bytes()) {
        check_tag(&k, &v)?;
        if tags.insert(k.into_owned(), v.into_owned()).is_some() {
            return Err(invalid_argument(
                "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
            ));
        }
    }
    if tags.len() > MAX_OBJECT_TAGS {
        return Err(too_many_object_tags());
    }
    Ok(tags)
}

/// The request's `x-amz-tagging` tags; `None` without the header.
pub(crate) fn header_tags(s: &S3Ctx<'_>) -> Result<Option<BTreeMap<String, String>>, ServiceError> {
    s.req
        .header("x-amz-tagging")
        .map(parse_tagging_header)
        .transpose()
}

fn set_tags(
    s: &mut S3Ctx<'_>,
    owner: &str,
    name: &str,
    tags: Vec<Tag>,
) -> Result<(), ServiceError> {
    s.ctx.state.catalog.update(owner, |a| {
        match a.buckets.get_mut(name) {
            Some(b) => b.tags = tags,
            None => return Err(super::common::no_such_bucket()),
        }
        Ok::<_, ServiceError>(())
    })?;
    s.ctx.refresh();
    Ok(())
}

/// The `<Tag><Key/><Value/></Tag>` entries of a Tagging document, checked as S3 checks them.
pub(crate) fn parse_tagging(text: &str) -> Result<Vec<Tag>, ServiceError> {
    if !text.contains("<Tagging") {
        return Err(malformed_xml());
    }
    let mut tags: Vec<Tag> = Vec::new();
    for t in text.split("<Tag>").skip(1) {
        let key = xml_texts(t, "Key")
            .into_iter()
            .next()
            .ok_or_else(malformed_xml)?;
        let value = xml_texts(t, "Value").into_iter().next().unwrap_or_default();
        check_tag(&key, &value)?;
        if tags.iter().any(|x| x.key == key) {
            return Err(s3_error(
                400,
                "InvalidTag",
                "Cannot provide multiple Tags with the same key",
            ));
        }
        tags.push(Tag { key, value });
    }
    Ok(tags)
}

pub(crate) fn put_bucket_tagging(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:PutBucketTagging", None, |_| {})?;
    let body = read_body(s)?;
    let tags = parse_tagging(&String::from_utf8_lossy(&body))?;
    if tags.len() > 50 {
        return Err(invalid_argument(
            "Bucket tag count cannot be greater than 50",
        ));
    }
    set_tags(s, &found.owner, &found.bucket.name, tags)?;
    Ok(S3Response::empty(204))
}

pub(crate) fn get_bucket_tagging(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:GetBucketTagging", None, |_| {})?;
    if found.bucket.tags.is_empty() {
        return Err(s3_error(404, "NoSuchTagSet", "The TagSet does not exist"));
    }
    let mut d = Doc::new("Tagging");
    d.open("TagSet");
    for t in &found.bucket.tags {
        d.open("Tag")
            .elem("Key", &t.key)
            .elem("Value", &t.value)
            .close("Tag");
    }
    d.close("TagSet");
    Ok(d.finish("Tagging"))
}

pub(crate) fn delete_bucket_tagging(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    // AWS names the action s3:PutBucketTagging for deletion too.
    authorize(s, &found, "s3:PutBucketTagging", None, |_| {})?;
    set_tags(s, &found.owner, &found.bucket.name, Vec::new())?;
    Ok(S3Response::empty(204))
}

fn tag_set_doc<'t>(tags: impl Iterator<Item = (&'t str, &'t str)>) -> S3Response {
    let mut d = Doc::new("Tagging");
    d.open("TagSet");
    for (k, v) in tags {
        d.open("Tag").elem("Key", k).elem("Value", v).close("Tag");
    }
    d.close("TagSet");
    d.finish("Tagging")
}

/// Sets an object's tags after `action` was allowed with its current tags (and `new`, the tags
/// being set, as request tags when there are any).
fn set_object_tags(
    s: &mut S3Ctx<'_>,
    action: &str,
    new: BTreeMap<String, String>,
    status: u16,
) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    let current = s.objects.get(&found.bucket.name, &key);
    authorize(s, &found, action, Some(&key), |c| {
        existing_tags(c, current.as_deref());
        if !new.is_empty() {
            request_tags(c, &new);
        }
    })?;
    if current.is_none() {
        return Err(no_such_key());
    }
    s.objects
        .set_tags(&found.bucket.name, &key, new)
        .map_err(io_error)?
        .ok_or_else(no_such_key)?;
    Ok(S3Response::empty(status))
}

pub(crate) fn put_object_tagging(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    // The tag set is read first: its tags are part of the authorization context.
    let body = read_body(s)?;
    let mut tags = BTreeMap::new();
    for t in parse_tagging(&String::from_utf8_lossy(&body))? {
        tags.insert(t.key, t.value);
    }
    if tags.len() > MAX_OBJECT_TAGS {
        return Err(too_many_object_tags());
    }
    set_object_tags(s, "s3:PutObjectTagging", tags, 200)
}

pub(crate) fn get_object_tagging(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    let key = key(s);
    let current = s.objects.get(&found.bucket.name, &key);
    authorize(s, &found, "s3:GetObjectTagging", Some(&key), |c| {
        existing_tags(c, current.as_deref())
    })?;
    let meta = current.ok_or_else(no_such_key)?;
    Ok(tag_set_doc(
        meta.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}

pub(crate) fn delete_object_tagging(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    set_object_tags(s, "s3:DeleteObjectTagging", BTreeMap::new(), 204)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagging_headers_and_documents_are_checked() {
        let tags = parse_tagging_header("a=1&b%20c=x%26y&e=").expect("valid");
        assert_eq!(tags.len(), 3);
        assert_eq!(tags["b c"], "x&y");
        assert_eq!(tags["e"], "");
        let err = |r: Result<BTreeMap<String, String>, ServiceError>| {
            r.err().map(|e| e.code).unwrap_or_default()
        };
        assert_eq!(err(parse_tagging_header("a=1&a=2")), "InvalidArgument");
        assert_eq!(err(parse_tagging_header(&"k".repeat(129))), "InvalidTag");
        let long_value = format!("k={}", "v".repeat(257));
        assert_eq!(err(parse_tagging_header(&long_value)), "InvalidTag");
        assert!(parse_tagging_header(&format!("{}=v", "k".repeat(128))).is_ok());
        let eleven: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
        assert_eq!(err(parse_tagging_header(&eleven.join("&"))), "BadRequest");
        assert_eq!(
            parse_tagging(
                "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
            )
            .expect("valid")
            .len(),
            1
        );
        let dup =
            "<Tagging><TagSet><Tag><Key>a</Key></Tag><Tag><Key>a</Key></Tag></TagSet></Tagging>";
        assert!(parse_tagging(dup).is_err());
    }

    #[test]
    fn tag_condition_keys() {
        let mut c = Context::new();
        let tags = BTreeMap::from([("Classification".to_owned(), "public".to_owned())]);
        request_tags(&mut c, &tags);
        assert!(c.get("s3:RequestObjectTag/Classification").is_some());
        assert_eq!(
            c.get("s3:RequestObjectTagKeys")
                .map(|v| v.values().to_vec()),
            Some(vec!["Classification".to_owned()])
        );
    }
}
