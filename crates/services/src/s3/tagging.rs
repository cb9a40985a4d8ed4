//! Bucket tagging: PutBucketTagging, GetBucketTagging, DeleteBucketTagging.

use super::common::{
    authorize, bucket, invalid_argument, malformed_xml, read_body, s3_error, xml_texts, Doc,
};
use super::{S3Ctx, S3Response};
use crate::error::ServiceError;
use rolegate_core::Tag;

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
        if tags.iter().any(|x| x.key == key) {
            return Err(s3_error(
                400,
                "InvalidTag",
                "Cannot provide multiple Tags with the same key",
            ));
        }
        tags.push(Tag { key, value });
    }
    if tags.len() > 50 {
        return Err(invalid_argument(
            "Bucket tag count cannot be greater than 50",
        ));
    }
    Ok(tags)
}

pub(crate) fn put_bucket_tagging(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:PutBucketTagging", None, |_| {})?;
    let body = read_body(s)?;
    let tags = parse_tagging(&String::from_utf8_lossy(&body))?;
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
