//! Buckets: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.

use super::common::{authorize, bucket, io_error, read_body, s3_error, xml_date, xml_texts, Doc};
use super::{S3Ctx, S3Response};
use crate::error::ServiceError;
use rolegate_core::s3::{valid_bucket_name, Bucket};
use rolegate_core::ResourceGuard;

pub(crate) fn list_buckets(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let account = s.ctx.account().to_owned();
    if account.is_empty() {
        // Anonymous callers own nothing and may list nothing.
        s.ctx.no_permission_required();
        return Err(s3_error(403, "AccessDenied", "Access Denied"));
    }
    s.ctx.authorize_on(
        "s3:ListAllMyBuckets",
        "*",
        Some(&account),
        ResourceGuard::None,
        |_| {},
    )?;
    let mut d = Doc::new("ListAllMyBucketsResult");
    d.open("Buckets");
    if let Some(a) = s.ctx.snap.account(&account) {
        for b in a.buckets.values() {
            d.open("Bucket")
                .elem("Name", &b.name)
                .elem("CreationDate", &xml_date(b.created * 1000))
                .elem("BucketRegion", &b.region)
                .close("Bucket");
        }
    }
    d.close("Buckets");
    d.open("Owner")
        .elem("ID", &owner_id(&account))
        .elem("DisplayName", &account)
        .close("Owner");
    Ok(d.finish("ListAllMyBucketsResult"))
}

/// The canonical user id S3 reports for an account (a stable 64-hex value).
pub(crate) fn owner_id(account: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("rolegate-s3-owner:{account}")))
}

pub(crate) fn create_bucket(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let name = s.req.bucket.clone().unwrap_or_default();
    let account = s.ctx.account().to_owned();
    if account.is_empty() {
        s.ctx.no_permission_required();
        return Err(s3_error(403, "AccessDenied", "Access Denied"));
    }
    let arn = rolegate_core::s3::s3_arn(&name, None);
    s.ctx.authorize_on(
        "s3:CreateBucket",
        &arn,
        Some(&account),
        ResourceGuard::None,
        |_| {},
    )?;
    if !valid_bucket_name(&name) {
        return Err(s3_error(
            400,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        ));
    }
    let body = read_body(s)?;
    let region = s.ctx.facts.region.to_owned();
    let text = String::from_utf8_lossy(&body);
    if let Some(constraint) = xml_texts(&text, "LocationConstraint").first() {
        if constraint != &region && !(constraint.is_empty() && region == "us-east-1") {
            return Err(s3_error(
                400,
                "IllegalLocationConstraintException",
                format!(
                    "The {constraint} location constraint is incompatible for the region specific endpoint this request was sent to."
                ),
            ));
        }
    } else if !text.trim().is_empty() && !text.contains("CreateBucketConfiguration") {
        return Err(super::common::malformed_xml());
    }
    let now = s.ctx.now();
    let state = s.ctx.state;
    state.catalog.update(&account, |a| {
        // The write lock is held: the snapshot is current, so the name check cannot race.
        if let Some((owner, _)) = state.catalog.snapshot().find_bucket(&name) {
            return Err(if owner.id == a.id {
                s3_error(
                    409,
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                )
            } else {
                s3_error(
                    409,
                    "BucketAlreadyExists",
                    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                )
            });
        }
        s.objects.create_bucket(&name).map_err(io_error)?;
        a.buckets.insert(
            name.clone(),
            Bucket {
                name: name.clone(),
                created: now,
                region: region.clone(),
                policy: None,
                tags: Vec::new(),
            }.into(),
        );
        Ok::<_, ServiceError>(())
    })?;
    s.ctx.refresh();
    Ok(S3Response::empty(200).header("location", format!("/{name}")))
}

pub(crate) fn head_bucket(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:ListBucket", None, |_| {})?;
    Ok(S3Response::empty(200)
        .header("x-amz-bucket-region", found.bucket.region.clone())
        .header("x-amz-access-point-alias", "false"))
}

pub(crate) fn get_bucket_location(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:GetBucketLocation", None, |_| {})?;
    // us-east-1 is the empty LocationConstraint, as on AWS.
    let region = if found.bucket.region == "us-east-1" {
        ""
    } else {
        found.bucket.region.as_str()
    };
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{}\">",
        super::common::XMLNS
    );
    crate::protocol::xml::escape(region, &mut body);
    body.push_str("</LocationConstraint>");
    Ok(S3Response::xml(body))
}

pub(crate) fn delete_bucket(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:DeleteBucket", None, |_| {})?;
    let name = found.bucket.name.clone();
    let objects = s.objects;
    s.ctx.state.catalog.update(&found.owner, |a| {
        if !objects.is_empty(&name) {
            return Err(s3_error(
                409,
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty",
            ));
        }
        a.buckets.remove(&name);
        Ok::<_, ServiceError>(())
    })?;
    s.objects.delete_bucket(&name).map_err(io_error)?;
    s.ctx.refresh();
    Ok(S3Response::empty(204))
}
