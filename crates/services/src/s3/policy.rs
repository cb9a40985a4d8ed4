//! Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus.

use super::common::{authorize, bucket, read_body, s3_error, Doc};
use super::{S3Body, S3Ctx, S3Response};
use crate::error::ServiceError;
use rolegate_core::PolicyDoc;
use rolegate_policy::{Effect, Policy, PolicyKind, PrincipalSpec};

fn update_policy(
    s: &mut S3Ctx<'_>,
    owner: &str,
    name: &str,
    doc: Option<PolicyDoc>,
) -> Result<(), ServiceError> {
    s.ctx.state.catalog.update(owner, |a| {
        match a.buckets.get_mut(name) {
            Some(b) => b.policy = doc,
            None => return Err(super::common::no_such_bucket()),
        }
        Ok::<_, ServiceError>(())
    })?;
    s.ctx.refresh();
    Ok(())
}

pub(crate) fn put_bucket_policy(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:PutBucketPolicy", None, |_| {})?;
    let body = read_body(s)?;
    let text = String::from_utf8(body).map_err(|_| {
        s3_error(
            400,
            "MalformedPolicy",
            "Policies must be valid JSON and the first byte must be '{'",
        )
    })?;
    let doc = PolicyDoc::new(&text, PolicyKind::Resource)
        .map_err(|e| s3_error(400, "MalformedPolicy", e.message()))?
        .named(&format!("bucket policy of {}", found.bucket.name));
    update_policy(s, &found.owner, &found.bucket.name, Some(doc))?;
    Ok(S3Response::empty(204))
}

fn no_policy() -> ServiceError {
    s3_error(
        404,
        "NoSuchBucketPolicy",
        "The bucket policy does not exist",
    )
}

pub(crate) fn get_bucket_policy(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:GetBucketPolicy", None, |_| {})?;
    let doc = found.bucket.policy.as_ref().ok_or_else(no_policy)?;
    Ok(S3Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: S3Body::Bytes(doc.text().as_bytes().to_vec()),
    })
}

pub(crate) fn delete_bucket_policy(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:DeleteBucketPolicy", None, |_| {})?;
    update_policy(s, &found.owner, &found.bucket.name, None)?;
    Ok(S3Response::empty(204))
}

/// Whether a policy grants anything to everyone: an Allow whose principal is `*` (or
/// `{"AWS":"*"}`) without conditions, the simplified form of S3's "public" test.
pub(crate) fn is_public(p: &Policy) -> bool {
    p.statements.iter().any(|st| {
        st.effect == Effect::Allow
            && st.condition.as_ref().is_none_or(|c| c.0.is_empty())
            && match &st.principal {
                Some(PrincipalSpec::Wildcard) => true,
                Some(PrincipalSpec::Map(m)) => m
                    .iter()
                    .any(|(k, v)| k == "AWS" && v.iter().any(|x| x == "*")),
                None => false,
            }
    })
}

pub(crate) fn get_bucket_policy_status(s: &mut S3Ctx<'_>) -> Result<S3Response, ServiceError> {
    let found = bucket(s)?;
    authorize(s, &found, "s3:GetBucketPolicyStatus", None, |_| {})?;
    let doc = found.bucket.policy.as_ref().ok_or_else(no_policy)?;
    let mut d = Doc::new("PolicyStatus");
    d.elem(
        "IsPublic",
        if is_public(doc.policy()) {
            "true"
        } else {
            "false"
        },
    );
    Ok(d.finish("PolicyStatus"))
}
