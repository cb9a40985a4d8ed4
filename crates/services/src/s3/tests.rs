//! S3 operations through the dispatcher: every routed operation reaches the authorizer (a user
//! without policies is denied each one, before any existence check on the object), and the
//! owner's root is allowed.

use super::{handle, route, BytesBody, S3Request, S3Response};
use crate::testing::{Harness, NOW};
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::model::{iam_arn, User};
use rolegate_core::objects::{NewObject, ObjectStore};
use rolegate_core::s3::Bucket;
use rolegate_core::Caller;
use std::collections::BTreeMap;

/// (method, bucket, key, query, headers, body) of each operation.
type Case = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
    &'static str,
);

const CASES: &[Case] = &[
    ("GET", None, None, &[], &[], ""),
    ("PUT", Some("new-bucket"), None, &[], &[], ""),
    ("HEAD", Some("cov-bucket"), None, &[], &[], ""),
    ("DELETE", Some("cov-bucket"), None, &[], &[], ""),
    (
        "GET",
        Some("cov-bucket"),
        None,
        &[("location", "")],
        &[],
        "",
    ),
    (
        "GET",
        Some("cov-bucket"),
        None,
        &[("list-type", "2")],
        &[],
        "",
    ),
    ("GET", Some("cov-bucket"), None, &[], &[], ""),
    (
        "PUT",
        Some("cov-bucket"),
        None,
        &[("policy", "")],
        &[],
        "{}",
    ),
    ("GET", Some("cov-bucket"), None, &[("policy", "")], &[], ""),
    (
        "DELETE",
        Some("cov-bucket"),
        None,
        &[("policy", "")],
        &[],
        "",
    ),
    (
        "GET",
        Some("cov-bucket"),
        None,
        &[("policyStatus", "")],
        &[],
        "",
    ),
    (
        "PUT",
        Some("cov-bucket"),
        None,
        &[("tagging", "")],
        &[],
        "<Tagging/>",
    ),
    ("GET", Some("cov-bucket"), None, &[("tagging", "")], &[], ""),
    (
        "DELETE",
        Some("cov-bucket"),
        None,
        &[("tagging", "")],
        &[],
        "",
    ),
    ("PUT", Some("cov-bucket"), Some("k"), &[], &[], "data"),
    ("GET", Some("cov-bucket"), Some("k"), &[], &[], ""),
    ("GET", Some("cov-bucket"), Some("missing"), &[], &[], ""),
    ("HEAD", Some("cov-bucket"), Some("k"), &[], &[], ""),
    ("DELETE", Some("cov-bucket"), Some("k"), &[], &[], ""),
    (
        "PUT",
        Some("cov-bucket"),
        Some("k2"),
        &[],
        &[("x-amz-copy-source", "cov-bucket/k")],
        "",
    ),
];

fn call(h: &Harness, objects: &ObjectStore, caller: &Caller, case: &Case) -> S3Response {
    let (method, bucket, key, query, headers, body) = *case;
    let mut body = BytesBody(Some(body.as_bytes().to_vec()));
    let req = S3Request {
        method,
        bucket: bucket.map(str::to_owned),
        key: key.map(str::to_owned),
        query: query
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        body: &mut body,
    };
    assert!(route(&req).is_ok(), "{case:?} is not routed");
    let facts = RequestFacts {
        source_ip: "127.0.0.1",
        secure_transport: false,
        region: "us-east-1",
        now: NOW,
    };
    handle(&h.state, objects, caller, facts, req, "rid")
}

fn body(r: &S3Response) -> String {
    match &r.body {
        super::S3Body::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

fn setup() -> (Harness, tempfile::TempDir, ObjectStore) {
    let h = Harness::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let objects = ObjectStore::open(dir.path()).expect("objects");
    objects.create_bucket("cov-bucket").expect("bucket");
    let w = objects.writer().expect("writer");
    objects
        .commit(
            "cov-bucket",
            w,
            NewObject {
                key: "k".into(),
                ..NewObject::default()
            },
        )
        .expect("object");
    h.state
        .catalog
        .update("111111111111", |a| {
            a.buckets.insert(
                "cov-bucket".into(),
                Bucket {
                    name: "cov-bucket".into(),
                    created: NOW,
                    region: "us-east-1".into(),
                    policy: None,
                    tags: vec![],
                },
            );
            a.users.insert(
                "nobody".into(),
                User {
                    name: "nobody".into(),
                    path: "/".into(),
                    id: "AIDANOBODY0000000000".into(),
                    arn: iam_arn("111111111111", "user/", "", "nobody"),
                    created: 0,
                    tags: vec![],
                    inline: BTreeMap::new(),
                    attached: vec![],
                    groups: vec![],
                    boundary: None,
                    access_keys: vec![],
                },
            );
            Ok::<_, rolegate_core::CatalogError>(())
        })
        .expect("setup");
    (h, dir, objects)
}

#[test]
fn every_routed_operation_is_authorized() {
    let (h, _dir, objects) = setup();
    let nobody = h.user("111111111111", "nobody");
    let mut failures = Vec::new();
    for case in CASES {
        let r = call(&h, &objects, &nobody, case);
        let head = case.0 == "HEAD";
        if r.status != 403 || (!head && !body(&r).contains("<Code>AccessDenied</Code>")) {
            failures.push(format!("{case:?}: {} {}", r.status, body(&r)));
        }
    }
    assert!(failures.is_empty(), "not denied:\n{}", failures.join("\n"));
    // Another account's root is denied too; the owner's root is not.
    let other = Harness::root("222222222222");
    let r = call(&h, &objects, &other, &CASES[15]);
    assert_eq!(r.status, 403);
    let owner = Harness::root("111111111111");
    let r = call(&h, &objects, &owner, &CASES[15]);
    assert_eq!(r.status, 200);
    let r = call(&h, &objects, &owner, &CASES[16]);
    assert_eq!(r.status, 404, "{}", body(&r));
    let r = call(&h, &objects, &Caller::anonymous(), &CASES[15]);
    assert_eq!(r.status, 403);
    assert!(body(&r).contains("<Message>Access Denied</Message>"));
}
