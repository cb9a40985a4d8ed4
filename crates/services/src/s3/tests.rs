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
    (
        "POST",
        Some("cov-bucket"),
        Some("k"),
        &[("uploads", "")],
        &[],
        "",
    ),
    (
        "PUT",
        Some("cov-bucket"),
        Some("k"),
        &[("partNumber", "1"), ("uploadId", "u")],
        &[],
        "data",
    ),
    (
        "PUT",
        Some("cov-bucket"),
        Some("k"),
        &[("partNumber", "1"), ("uploadId", "u")],
        &[("x-amz-copy-source", "cov-bucket/k")],
        "",
    ),
    (
        "POST",
        Some("cov-bucket"),
        Some("k"),
        &[("uploadId", "u")],
        &[],
        "<CompleteMultipartUpload/>",
    ),
    (
        "DELETE",
        Some("cov-bucket"),
        Some("k"),
        &[("uploadId", "u")],
        &[],
        "",
    ),
    (
        "GET",
        Some("cov-bucket"),
        Some("k"),
        &[("uploadId", "u")],
        &[],
        "",
    ),
    ("GET", Some("cov-bucket"), None, &[("uploads", "")], &[], ""),
    (
        "PUT",
        Some("cov-bucket"),
        Some("k"),
        &[("tagging", "")],
        &[],
        "<Tagging><TagSet/></Tagging>",
    ),
    (
        "GET",
        Some("cov-bucket"),
        Some("k"),
        &[("tagging", "")],
        &[],
        "",
    ),
    (
        "DELETE",
        Some("cov-bucket"),
        Some("k"),
        &[("tagging", "")],
        &[],
        "",
    ),
];

fn call(h: &Harness, objects: &ObjectStore, caller: &Caller, case: &Case) -> S3Response {
    let (method, bucket, key, query, headers, body) = *case;
    let q: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    call_with(
        h,
        objects,
        caller,
        (method, bucket, key, headers),
        q,
        body.as_bytes().to_vec(),
    )
}

/// (method, bucket, key, headers) of a request.
type Target<'h> = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'h [(&'h str, &'h str)],
);

fn call_with(
    h: &Harness,
    objects: &ObjectStore,
    caller: &Caller,
    (method, bucket, key, headers): Target<'_>,
    query: Vec<(String, String)>,
    body: Vec<u8>,
) -> S3Response {
    let case = (method, bucket, key, &query);
    let mut body = BytesBody(Some(body));
    let req = S3Request {
        method,
        bucket: bucket.map(str::to_owned),
        key: key.map(str::to_owned),
        query: query.clone(),
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
                }
                .into(),
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
                }
                .into(),
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

fn header<'r>(r: &'r S3Response, name: &str) -> Option<&'r str> {
    r.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_multipart_upload_through_the_dispatcher() {
    let (h, _dir, objects) = setup();
    let owner = Harness::root("111111111111");
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    };
    let target = ("POST", Some("cov-bucket"), Some("big"), &[][..]);
    let r = call_with(&h, &objects, &owner, target, q(&[("uploads", "")]), vec![]);
    assert_eq!(r.status, 200, "{}", body(&r));
    let xml = body(&r);
    let id = xml
        .split("<UploadId>")
        .nth(1)
        .and_then(|x| x.split('<').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!id.is_empty(), "{xml}");
    let put = ("PUT", Some("cov-bucket"), Some("big"), &[][..]);
    let first = vec![7u8; 5 * 1024 * 1024];
    let mut etags = Vec::new();
    for (n, data) in [("1", first.clone()), ("2", b"tail".to_vec())] {
        let r = call_with(
            &h,
            &objects,
            &owner,
            put,
            q(&[("partNumber", n), ("uploadId", &id)]),
            data,
        );
        assert_eq!(r.status, 200, "{}", body(&r));
        etags.push(header(&r, "etag").unwrap_or_default().to_owned());
    }
    let list = ("GET", Some("cov-bucket"), Some("big"), &[][..]);
    let r = call_with(&h, &objects, &owner, list, q(&[("uploadId", &id)]), vec![]);
    assert_eq!(body(&r).matches("<Part>").count(), 2, "{}", body(&r));
    let doc = |parts: &[(u32, &str)]| {
        let mut d = String::from("<CompleteMultipartUpload>");
        for (n, e) in parts {
            d.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
            ));
        }
        d.push_str("</CompleteMultipartUpload>");
        d.into_bytes()
    };
    let post = ("POST", Some("cov-bucket"), Some("big"), &[][..]);
    let complete = |parts: &[(u32, &str)]| {
        call_with(
            &h,
            &objects,
            &owner,
            post,
            q(&[("uploadId", &id)]),
            doc(parts),
        )
    };
    let r = complete(&[(2, &etags[1]), (1, &etags[0])]);
    assert!(body(&r).contains("InvalidPartOrder"), "{}", body(&r));
    let r = complete(&[(1, &etags[1])]);
    assert!(body(&r).contains("InvalidPart<"), "{}", body(&r));
    let r = complete(&[(1, &etags[0]), (2, &etags[1])]);
    assert_eq!(r.status, 200, "{}", body(&r));
    let meta = objects.get("cov-bucket", "big").expect("completed");
    assert_eq!(meta.size, 5 * 1024 * 1024 + 4);
    assert!(meta.etag.ends_with("-2"), "{}", meta.etag);
    assert!(body(&r).contains(&meta.etag));
    // Completed: the upload is gone.
    let r = complete(&[(1, &etags[0]), (2, &etags[1])]);
    assert_eq!(r.status, 404);
    assert!(body(&r).contains("NoSuchUpload"), "{}", body(&r));
    assert!(objects.uploads("cov-bucket").is_empty());
}

#[test]
fn object_tags_and_their_condition_keys() {
    let (h, _dir, objects) = setup();
    let owner = Harness::root("111111111111");
    let nobody = h.user("111111111111", "nobody");
    let tagging = || vec![("tagging".to_owned(), String::new())];
    let put = |key: &'static str, headers: &[(&str, &str)]| {
        let target = ("PUT", Some("cov-bucket"), Some(key), headers);
        call_with(&h, &objects, &owner, target, vec![], b"data".to_vec())
    };
    let sse = ("x-amz-server-side-encryption", "AES256");
    let r = put(
        "pub",
        &[("x-amz-tagging", "classification=public&team=a%20b")],
    );
    assert_eq!(r.status, 200, "{}", body(&r));
    let r = put("int", &[("x-amz-tagging", "classification=internal")]);
    assert_eq!(r.status, 200, "{}", body(&r));
    let r = put(
        "bad",
        &[("x-amz-tagging", &format!("{}=v", "k".repeat(129)))],
    );
    assert!(body(&r).contains("InvalidTag"), "{}", body(&r));
    assert_eq!(
        objects.get("cov-bucket", "pub").map(|m| m.tags.len()),
        Some(2)
    );

    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/nobody"},
         "Action":"s3:GetObject","Resource":"arn:aws:s3:::cov-bucket/*",
         "Condition":{"StringEquals":{"s3:ExistingObjectTag/classification":"public"}}},
        {"Effect":"Deny","Principal":"*","Action":"s3:PutObject",
         "Resource":"arn:aws:s3:::cov-bucket/*",
         "Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}"#;
    let target = ("PUT", Some("cov-bucket"), None, &[][..]);
    let q = vec![("policy".to_owned(), String::new())];
    let r = call_with(&h, &objects, &owner, target, q, policy.as_bytes().to_vec());
    assert_eq!(r.status, 204, "{}", body(&r));

    // s3:ExistingObjectTag: the public object is readable, the internal one is not.
    let get = |caller: &Caller, key: &'static str, query: Vec<(String, String)>| {
        let target = ("GET", Some("cov-bucket"), Some(key), &[][..]);
        call_with(&h, &objects, caller, target, query, vec![])
    };
    let r = get(&nobody, "pub", vec![]);
    assert_eq!(r.status, 200, "{}", body(&r));
    assert_eq!(header(&r, "x-amz-tagging-count"), Some("2"));
    assert_eq!(get(&nobody, "int", vec![]).status, 403);

    // The Null condition on s3:x-amz-server-side-encryption: unencrypted uploads are denied.
    assert_eq!(put("plain", &[]).status, 403);
    let r = put("enc", &[sse, ("x-amz-tagging", "classification=public")]);
    assert_eq!(r.status, 200, "{}", body(&r));
    assert_eq!(header(&r, "x-amz-server-side-encryption"), Some("AES256"));
    let r = get(&nobody, "enc", vec![]);
    assert_eq!(header(&r, "x-amz-server-side-encryption"), Some("AES256"));

    // Get/Put/DeleteObjectTagging, and the new tags decide the next read.
    let r = get(&owner, "pub", tagging());
    assert!(
        body(&r).contains("<Tag><Key>team</Key><Value>a b</Value></Tag>"),
        "{}",
        body(&r)
    );
    assert_eq!(get(&nobody, "pub", tagging()).status, 403);
    let r = get(&owner, "missing", tagging());
    assert!(body(&r).contains("NoSuchKey"), "{}", body(&r));
    let set = |key: &'static str, doc: String| {
        let target = ("PUT", Some("cov-bucket"), Some(key), &[][..]);
        call_with(&h, &objects, &owner, target, tagging(), doc.into_bytes())
    };
    let doc = |tags: &[(String, &str)]| {
        let mut d = String::from("<Tagging><TagSet>");
        for (k, v) in tags {
            d.push_str(&format!("<Tag><Key>{k}</Key><Value>{v}</Value></Tag>"));
        }
        d + "</TagSet></Tagging>"
    };
    let r = set("int", doc(&[("classification".into(), "public")]));
    assert_eq!(r.status, 200, "{}", body(&r));
    assert_eq!(get(&nobody, "int", vec![]).status, 200);
    let eleven: Vec<(String, &str)> = (0..11).map(|i| (format!("k{i}"), "v")).collect();
    assert!(body(&set("int", doc(&eleven))).contains("BadRequest"));
    let r = set("missing", doc(&[]));
    assert!(body(&r).contains("NoSuchKey"), "{}", body(&r));
    let target = ("DELETE", Some("cov-bucket"), Some("int"), &[][..]);
    let r = call_with(&h, &objects, &owner, target, tagging(), vec![]);
    assert_eq!(r.status, 204, "{}", body(&r));
    assert!(!body(&get(&owner, "int", tagging())).contains("<Tag>"));
    assert_eq!(get(&nobody, "int", vec![]).status, 403);

    // CopyObject copies the tags, or replaces them with x-amz-tagging-directive: REPLACE.
    let r = put("copy", &[sse, ("x-amz-copy-source", "cov-bucket/pub")]);
    assert_eq!(r.status, 200, "{}", body(&r));
    assert_eq!(
        objects.get("cov-bucket", "copy").map(|m| m.tags.len()),
        Some(2)
    );
    let replace = [
        sse,
        ("x-amz-copy-source", "cov-bucket/pub"),
        ("x-amz-tagging-directive", "REPLACE"),
        ("x-amz-tagging", "x=y"),
    ];
    let r = put("copy2", &replace);
    assert_eq!(r.status, 200, "{}", body(&r));
    let tags = objects.get("cov-bucket", "copy2").map(|m| m.tags.clone());
    assert_eq!(tags, Some(BTreeMap::from([("x".into(), "y".into())])));

    // CreateMultipartUpload's tags go to the completed object.
    let target = (
        "POST",
        Some("cov-bucket"),
        Some("mpu"),
        &[sse, ("x-amz-tagging", "m=1")][..],
    );
    let q = vec![("uploads".to_owned(), String::new())];
    let r = call_with(&h, &objects, &owner, target, q, vec![]);
    assert_eq!(r.status, 200, "{}", body(&r));
    let upload = objects.uploads("cov-bucket");
    assert_eq!(upload[0].meta.tags.get("m").map(String::as_str), Some("1"));
}
