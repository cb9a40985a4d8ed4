//! S3 (restXml): buckets, objects, multipart uploads, listings, bucket policies and tags. One file per group of
//! operations.
//!
//! The server hands over the request already authenticated (method, bucket, key, query,
//! headers) with its body as a [`Body`] that yields the decoded bytes and reports the end only
//! once the body is verified (payload hash, chunk signatures). Every operation is authorized
//! with S3's action and resource names and the bucket policy as the resource policy of the
//! bucket owner's account, so the engine applies the same-account and cross-account rules.

mod buckets;
mod checksum;
mod common;
mod list;
mod multipart;
mod objects;
mod policy;
mod tagging;
#[cfg(test)]
mod tests;

use crate::ctx::{Ctx, State};
use crate::error::ServiceError;
use crate::protocol::Params;
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::objects::ObjectStore;
use rolegate_core::Caller;

pub use common::error_body;

/// A request body as the server streams it in.
pub trait Body {
    /// The next piece of the decoded body; `Ok(None)` at the end, reported only once the body
    /// has been verified against its signature and declared hash.
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ServiceError>;
    /// The trailer fields of an aws-chunked body (lowercase names), once it has ended.
    fn trailers(&self) -> Vec<(String, String)>;
}

/// An empty body (tests, requests without one).
pub struct NoBody;

impl Body for NoBody {
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(None)
    }
    fn trailers(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// A body held in memory (tests).
pub struct BytesBody(pub Option<Vec<u8>>);

impl Body for BytesBody {
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(self.0.take())
    }
    fn trailers(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// One S3 request, authenticated and addressed.
pub struct S3Request<'a> {
    pub method: &'a str,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: &'a mut (dyn Body + 'static),
}

impl S3Request<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_query(&self, name: &str) -> bool {
        self.query.iter().any(|(n, _)| n == name)
    }
}

/// What an S3 response body is.
pub enum S3Body {
    Empty,
    Bytes(Vec<u8>),
    /// `len` bytes of an open file, from its current position.
    File {
        file: std::fs::File,
        len: u64,
    },
}

pub struct S3Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: S3Body,
}

impl S3Response {
    pub fn empty(status: u16) -> S3Response {
        S3Response {
            status,
            headers: Vec::new(),
            body: S3Body::Empty,
        }
    }

    pub fn xml(body: String) -> S3Response {
        S3Response {
            status: 200,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: S3Body::Bytes(body.into_bytes()),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> S3Response {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Everything a handler works with.
pub struct S3Ctx<'a> {
    pub ctx: Ctx<'a>,
    pub objects: &'a ObjectStore,
    pub req: S3Request<'a>,
}

pub type Handler = fn(&mut S3Ctx<'_>) -> Result<S3Response, ServiceError>;

/// The operation a request is, from its method, addressing and subresources.
pub fn route(req: &S3Request<'_>) -> Result<(&'static str, Handler), ServiceError> {
    let q = |n: &str| req.has_query(n);
    let op: (&'static str, Handler) = match (req.method, &req.bucket, &req.key) {
        ("GET", None, _) => ("ListBuckets", buckets::list_buckets),
        (_, None, _) => return Err(common::method_not_allowed()),
        (m, Some(_), None) => match m {
            "PUT" if q("policy") => ("PutBucketPolicy", policy::put_bucket_policy),
            "PUT" if q("tagging") => ("PutBucketTagging", tagging::put_bucket_tagging),
            "PUT" if req.query.is_empty() => ("CreateBucket", buckets::create_bucket),
            "GET" if q("location") => ("GetBucketLocation", buckets::get_bucket_location),
            "GET" if q("policyStatus") => {
                ("GetBucketPolicyStatus", policy::get_bucket_policy_status)
            }
            "GET" if q("policy") => ("GetBucketPolicy", policy::get_bucket_policy),
            "GET" if q("tagging") => ("GetBucketTagging", tagging::get_bucket_tagging),
            "GET" if q("uploads") => ("ListMultipartUploads", multipart::list_multipart_uploads),
            "GET" if req.query("list-type") == Some("2") => {
                ("ListObjectsV2", list::list_objects_v2)
            }
            "GET"
                if req
                    .query
                    .iter()
                    .all(|(n, _)| list::V1_PARAMS.contains(&n.as_str())) =>
            {
                ("ListObjects", list::list_objects)
            }
            "HEAD" => ("HeadBucket", buckets::head_bucket),
            "DELETE" if q("policy") => ("DeleteBucketPolicy", policy::delete_bucket_policy),
            "DELETE" if q("tagging") => ("DeleteBucketTagging", tagging::delete_bucket_tagging),
            "DELETE" if req.query.is_empty() => ("DeleteBucket", buckets::delete_bucket),
            "POST" if q("delete") => ("DeleteObjects", objects::delete_objects),
            _ => return Err(common::not_implemented()),
        },
        (m, Some(_), Some(_)) => match m {
            "PUT" if q("uploadId") && req.header("x-amz-copy-source").is_some() => {
                ("UploadPartCopy", multipart::upload_part_copy)
            }
            "PUT" if q("uploadId") => ("UploadPart", multipart::upload_part),
            "PUT" if q("tagging") => ("PutObjectTagging", tagging::put_object_tagging),
            "PUT" if q("acl") => return Err(common::not_implemented()),
            "PUT" if req.header("x-amz-copy-source").is_some() => {
                ("CopyObject", objects::copy_object)
            }
            "PUT" => ("PutObject", objects::put_object),
            "GET" if q("uploadId") => ("ListParts", multipart::list_parts),
            "GET" if q("tagging") => ("GetObjectTagging", tagging::get_object_tagging),
            "GET" if q("acl") => return Err(common::not_implemented()),
            "GET" => ("GetObject", objects::get_object),
            "HEAD" => ("HeadObject", objects::head_object),
            "DELETE" if q("uploadId") => {
                ("AbortMultipartUpload", multipart::abort_multipart_upload)
            }
            "DELETE" if q("tagging") => ("DeleteObjectTagging", tagging::delete_object_tagging),
            "DELETE" => ("DeleteObject", objects::delete_object),
            "POST" if q("uploads") => ("CreateMultipartUpload", multipart::create_multipart_upload),
            "POST" if q("uploadId") => (
                "CompleteMultipartUpload",
                multipart::complete_multipart_upload,
            ),
            _ => return Err(common::not_implemented()),
        },
    };
    Ok(op)
}

/// Runs one S3 request. Errors come back as S3's XML; a handler that answered without asking
/// the authorizer is refused, as in every other service.
pub fn handle(
    state: &State,
    objects: &ObjectStore,
    caller: &Caller,
    facts: RequestFacts<'_>,
    req: S3Request<'_>,
    request_id: &str,
) -> S3Response {
    let resource = common::resource_path(&req);
    let head = req.method == "HEAD";
    let out = match route(&req) {
        Err(e) => Err(e),
        Ok((_, handler)) => {
            let params = Params::from_pairs(req.query.iter().map(|(k, v)| (k, v)));
            let mut s = S3Ctx {
                ctx: Ctx::new(state, caller, facts, &params, request_id),
                objects,
                req,
            };
            match handler(&mut s) {
                Ok(_) if !s.ctx.was_authorized() => Err(ServiceError::new(
                    500,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                )),
                other => other,
            }
        }
    };
    match out {
        Ok(r) => r,
        Err(e) => common::error_response(&e, &resource, request_id, head),
    }
}
