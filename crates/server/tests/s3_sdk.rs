//! S3 through the official Rust SDK (aws-sdk-s3) against the real binary: buckets, objects,
//! conditional and ranged reads, listings, the SDK's default flexible checksums (CRC32 in an
//! aws-chunked trailer), multipart uploads, presigned URLs sent over raw HTTP, bucket policies
//! across accounts, object tags, persistence across a hard restart, and virtual-hosted
//! addressing (through an interceptor that connects to 127.0.0.1 but keeps the signed Host).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier,
    Tag, Tagging,
};
use aws_sdk_s3::Client;
use common::{policy_doc, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const A: &str = "111111111111";
const B: &str = "222222222222";

/// The S3 error code, message and HTTP status of an SDK error.
fn s3_err<E>(e: &SdkError<E, HttpResponse>) -> (String, String, u16)
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    match e.as_service_error() {
        Some(se) => (
            se.code().unwrap_or("").to_owned(),
            se.message().unwrap_or("").to_owned(),
            status,
        ),
        None => ("<no service error>".to_owned(), format!("{e:?}"), status),
    }
}

fn md5_hex(data: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    std::fs::write(&path, data).unwrap();
    let out = Command::new("md5sum").arg(&path).output().expect("md5sum");
    String::from_utf8(out.stdout).unwrap()[..32].to_owned()
}

fn root(server: &Server, account: &str) -> Client {
    server.s3(account, "anything", None, true)
}

async fn body(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// Sends a presigned request over raw HTTP/1.1; returns the status and the body.
fn send_presigned(req: &PresignedRequest, payload: &[u8]) -> (u16, Vec<u8>) {
    let uri: http::Uri = req.uri().parse().unwrap();
    let authority = uri.authority().unwrap().as_str().to_owned();
    let path = uri.path_and_query().unwrap().as_str();
    let mut raw = format!(
        "{} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        req.method(),
        payload.len()
    );
    for (k, v) in req.headers() {
        if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length") {
            raw.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    raw.push_str("\r\n");
    let mut s = TcpStream::connect(authority.as_str()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    s.write_all(payload).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut rest = out[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        rest = dechunk(&rest);
    }
    (status, rest)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = String::from_utf8_lossy(&data[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// The headers of one request, lowercase names.
type Headers = Vec<(String, String)>;

/// Records the request headers the SDK sends.
#[derive(Debug, Default, Clone)]
struct Recorder(Arc<Mutex<Vec<Headers>>>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }
    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context
            .request()
            .headers()
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
            .collect();
        self.0.lock().unwrap().push(headers);
        Ok(())
    }
}

/// Virtual-hosted requests go to `http://<bucket>.localhost:<port>/...`, a name this machine
/// may not resolve: connect to 127.0.0.1 instead but keep the signed Host header.
#[derive(Debug, Default, Clone)]
struct ToLoopback(Arc<Mutex<Vec<String>>>);

impl Intercept for ToLoopback {
    fn name(&self) -> &'static str {
        "ToLoopback"
    }
    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = context.request_mut();
        let uri: http::Uri = req.uri().parse()?;
        let authority = uri.authority().ok_or("no authority")?.as_str().to_owned();
        let port = uri.port_u16().ok_or("no port")?;
        self.0
            .lock()
            .unwrap()
            .push(format!("{} {}", authority, uri.path()));
        if req.headers().get("host").is_none() {
            req.headers_mut().insert("host", authority);
        }
        let pq = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        req.set_uri(format!("http://127.0.0.1:{port}{pq}"))?;
        Ok(())
    }
}

#[tokio::test]
async fn buckets_create_head_list_locate_delete() {
    let server = Server::start();
    let a = root(&server, A);
    let b = root(&server, B);

    a.create_bucket().bucket("sdk-bucket").send().await.unwrap();
    a.head_bucket().bucket("sdk-bucket").send().await.unwrap();
    let names: Vec<String> = a
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .map(|b| b.name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["sdk-bucket"]);
    assert!(b.list_buckets().send().await.unwrap().buckets().is_empty());
    let loc = a
        .get_bucket_location()
        .bucket("sdk-bucket")
        .send()
        .await
        .unwrap();
    assert!(
        loc.location_constraint().is_none()
            || loc.location_constraint() == Some(&BucketLocationConstraint::from("")),
        "{loc:?}"
    );

    let e = a
        .create_bucket()
        .bucket("sdk-bucket")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("BucketAlreadyOwnedByYou", 409));
    let e = b
        .create_bucket()
        .bucket("sdk-bucket")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("BucketAlreadyExists", 409));

    a.put_object()
        .bucket("sdk-bucket")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let e = a
        .delete_bucket()
        .bucket("sdk-bucket")
        .send()
        .await
        .unwrap_err();
    let (code, msg, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("BucketNotEmpty", 409), "{msg}");
    a.delete_object()
        .bucket("sdk-bucket")
        .key("k")
        .send()
        .await
        .unwrap();
    a.delete_bucket().bucket("sdk-bucket").send().await.unwrap();

    let e = a
        .head_bucket()
        .bucket("sdk-bucket")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_not_found(), "{e:?}");
    assert_eq!(s3_err(&e).2, 404);
    let e = a
        .list_objects_v2()
        .bucket("sdk-bucket")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("NoSuchBucket", 404));
    let e = a
        .delete_bucket()
        .bucket("sdk-bucket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(s3_err(&e).0, "NoSuchBucket");
    assert!(a.list_buckets().send().await.unwrap().buckets().is_empty());
}

#[tokio::test]
async fn objects_put_get_head_copy_delete() {
    let server = Server::start();
    let s3 = root(&server, A);
    s3.create_bucket()
        .bucket("obj-bucket")
        .send()
        .await
        .unwrap();
    let etag = "\"781e5e245d69b566979b86e28d23f2c7\"";
    assert_eq!(etag, format!("\"{}\"", md5_hex(b"0123456789")));

    let put = s3
        .put_object()
        .bucket("obj-bucket")
        .key("docs/a b+c.txt")
        .body(ByteStream::from_static(b"0123456789"))
        .content_type("text/plain")
        .metadata("owner", "anne")
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag(), Some(etag));

    let head = s3
        .head_object()
        .bucket("obj-bucket")
        .key("docs/a b+c.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(10));
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.e_tag(), Some(etag));
    assert_eq!(
        head.metadata().unwrap().get("owner").map(String::as_str),
        Some("anne")
    );
    assert!(head.last_modified().is_some());

    let g = s3
        .get_object()
        .bucket("obj-bucket")
        .key("docs/a b+c.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(g.e_tag(), Some(etag));
    assert_eq!(g.content_length(), Some(10));
    assert_eq!(body(g).await, b"0123456789");

    let g = s3
        .get_object()
        .bucket("obj-bucket")
        .key("docs/a b+c.txt")
        .range("bytes=2-4")
        .send()
        .await
        .unwrap();
    assert_eq!(g.content_range(), Some("bytes 2-4/10"));
    assert_eq!(g.content_length(), Some(3));
    assert_eq!(body(g).await, b"234");

    let e = s3
        .get_object()
        .bucket("obj-bucket")
        .key("docs/a b+c.txt")
        .range("bytes=20-")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("InvalidRange", 416));

    let e = s3
        .get_object()
        .bucket("obj-bucket")
        .key("docs/a b+c.txt")
        .if_none_match(etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(s3_err(&e).2, 304, "{e:?}");
    let e = s3
        .get_object()
        .bucket("obj-bucket")
        .key("docs/a b+c.txt")
        .if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("PreconditionFailed", 412));
    let g = s3
        .get_object()
        .bucket("obj-bucket")
        .key("docs/a b+c.txt")
        .if_match(etag)
        .send()
        .await
        .unwrap();
    assert_eq!(body(g).await, b"0123456789");

    let e = s3
        .get_object()
        .bucket("obj-bucket")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_no_such_key(), "{e:?}");
    assert_eq!(s3_err(&e).2, 404);
    let e = s3
        .head_object()
        .bucket("obj-bucket")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_not_found(), "{e:?}");

    // Copy keeps the body, the ETag and the user metadata.
    let c = s3
        .copy_object()
        .bucket("obj-bucket")
        .key("copy.txt")
        .copy_source("obj-bucket/docs/a%20b%2Bc.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(c.copy_object_result().unwrap().e_tag(), Some(etag));
    let h = s3
        .head_object()
        .bucket("obj-bucket")
        .key("copy.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        h.metadata().unwrap().get("owner").map(String::as_str),
        Some("anne")
    );
    let g = s3
        .get_object()
        .bucket("obj-bucket")
        .key("copy.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(body(g).await, b"0123456789");

    // Delete is idempotent; DeleteObjects reports each key.
    s3.delete_object()
        .bucket("obj-bucket")
        .key("copy.txt")
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket("obj-bucket")
        .key("copy.txt")
        .send()
        .await
        .unwrap();
    for k in ["m/1", "m/2"] {
        s3.put_object()
            .bucket("obj-bucket")
            .key(k)
            .body(ByteStream::from_static(b"m"))
            .send()
            .await
            .unwrap();
    }
    let del = Delete::builder()
        .objects(ObjectIdentifier::builder().key("m/1").build().unwrap())
        .objects(ObjectIdentifier::builder().key("m/2").build().unwrap())
        .build()
        .unwrap();
    let r = s3
        .delete_objects()
        .bucket("obj-bucket")
        .delete(del)
        .send()
        .await
        .unwrap();
    let mut deleted: Vec<&str> = r.deleted().iter().map(|d| d.key().unwrap()).collect();
    deleted.sort();
    assert_eq!(deleted, ["m/1", "m/2"]);
    assert!(r.errors().is_empty());
    let keys: Vec<String> = s3
        .list_objects_v2()
        .bucket("obj-bucket")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["docs/a b+c.txt"]);
}

#[tokio::test]
async fn listings_v2_and_v1() {
    let server = Server::start();
    let s3 = root(&server, A);
    s3.create_bucket()
        .bucket("list-bucket")
        .send()
        .await
        .unwrap();
    for k in ["l/a", "l/b/1", "l/b/2", "l/c", "l/d/1", "other"] {
        s3.put_object()
            .bucket("list-bucket")
            .key(k)
            .body(ByteStream::from_static(b"xy"))
            .send()
            .await
            .unwrap();
    }
    let r = s3
        .list_objects_v2()
        .bucket("list-bucket")
        .prefix("l/")
        .delimiter("/")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    let prefixes: Vec<&str> = r
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!(keys, ["l/a"]);
    assert_eq!(prefixes, ["l/b/"]);
    assert_eq!(r.is_truncated(), Some(true));
    assert_eq!(r.key_count(), Some(2));
    assert_eq!(r.prefix(), Some("l/"));
    assert_eq!(r.delimiter(), Some("/"));
    assert_eq!(r.contents()[0].size(), Some(2));
    assert_eq!(
        r.contents()[0].e_tag(),
        Some(format!("\"{}\"", md5_hex(b"xy")).as_str())
    );
    let token = r.next_continuation_token().unwrap().to_owned();
    let r = s3
        .list_objects_v2()
        .bucket("list-bucket")
        .prefix("l/")
        .delimiter("/")
        .max_keys(2)
        .continuation_token(token)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    let prefixes: Vec<&str> = r
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!(keys, ["l/c"]);
    assert_eq!(prefixes, ["l/d/"]);
    assert_eq!(r.is_truncated(), Some(false));

    // The SDK's paginator walks every page.
    let mut pages = s3
        .list_objects_v2()
        .bucket("list-bucket")
        .max_keys(2)
        .into_paginator()
        .send();
    let mut all = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        count += 1;
        all.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
    }
    assert_eq!(all, ["l/a", "l/b/1", "l/b/2", "l/c", "l/d/1", "other"]);
    assert_eq!(count, 3);

    // StartAfter.
    let r = s3
        .list_objects_v2()
        .bucket("list-bucket")
        .start_after("l/c")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(keys, ["l/d/1", "other"]);

    // ListObjects (v1) with markers.
    let r = s3
        .list_objects()
        .bucket("list-bucket")
        .prefix("l/")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(keys, ["l/a", "l/b/1"]);
    assert_eq!(r.is_truncated(), Some(true));
    let marker = r
        .next_marker()
        .map(str::to_owned)
        .unwrap_or_else(|| keys.last().unwrap().to_string());
    let r = s3
        .list_objects()
        .bucket("list-bucket")
        .prefix("l/")
        .marker(marker)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(keys, ["l/b/2", "l/c", "l/d/1"]);
    assert_eq!(r.is_truncated(), Some(false));
    let r = s3
        .list_objects()
        .bucket("list-bucket")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    let prefixes: Vec<&str> = r
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!(keys, ["other"]);
    assert_eq!(prefixes, ["l/"]);
}

#[tokio::test]
async fn default_flexible_checksums_with_aws_chunked_trailer() {
    let server = Server::start();
    let recorder = Recorder::default();
    let plain = root(&server, A);
    let conf = plain
        .config()
        .to_builder()
        .interceptor(recorder.clone())
        .build();
    let s3 = Client::from_conf(conf);
    s3.create_bucket()
        .bucket("sum-bucket")
        .send()
        .await
        .unwrap();

    // A streaming body (a file): the SDK sends it aws-chunked with a CRC32 trailer.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hello");
    std::fs::write(&path, b"hello world").unwrap();
    let put = s3
        .put_object()
        .bucket("sum-bucket")
        .key("streamed")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.e_tag(),
        Some(format!("\"{}\"", md5_hex(b"hello world")).as_str())
    );
    let sent = recorder.0.lock().unwrap().last().unwrap().clone();
    let header = |n: &str| {
        sent.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert!(
        header("content-encoding").contains("aws-chunked"),
        "{sent:?}"
    );
    assert_eq!(header("x-amz-trailer"), "x-amz-checksum-crc32", "{sent:?}");
    assert!(
        header("x-amz-content-sha256").contains("TRAILER"),
        "{sent:?}"
    );

    let g = s3
        .get_object()
        .bucket("sum-bucket")
        .key("streamed")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(g.checksum_crc32(), Some("DUoRhQ=="));
    assert_eq!(g.content_length(), Some(11));
    assert_eq!(body(g).await, b"hello world");

    // An in-memory body: the checksum goes in a header.
    s3.put_object()
        .bucket("sum-bucket")
        .key("in-memory")
        .body(ByteStream::from_static(b"hello world"))
        .send()
        .await
        .unwrap();
    let g = s3
        .get_object()
        .bucket("sum-bucket")
        .key("in-memory")
        .send()
        .await
        .unwrap();
    assert_eq!(body(g).await, b"hello world");

    // A checksum that does not match the body.
    let e = s3
        .put_object()
        .bucket("sum-bucket")
        .key("bad")
        .body(ByteStream::from_static(b"hello world"))
        .checksum_crc32("AAAAAA==")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("BadDigest", 400));
    let e = s3
        .get_object()
        .bucket("sum-bucket")
        .key("bad")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_no_such_key());
}

#[tokio::test]
async fn multipart_upload_complete_and_abort() {
    let server = Server::start();
    let s3 = root(&server, A);
    s3.create_bucket()
        .bucket("mpu-bucket")
        .send()
        .await
        .unwrap();
    let part1: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let part2: Vec<u8> = b"the last, short part".to_vec();

    let up = s3
        .create_multipart_upload()
        .bucket("mpu-bucket")
        .key("big.bin")
        .content_type("application/x-test")
        .metadata("kind", "mpu")
        .send()
        .await
        .unwrap();
    assert_eq!(up.bucket(), Some("mpu-bucket"));
    assert_eq!(up.key(), Some("big.bin"));
    let id = up.upload_id().unwrap().to_owned();
    let mut parts = Vec::new();
    for (n, data) in [(1, &part1), (2, &part2)] {
        let r = s3
            .upload_part()
            .bucket("mpu-bucket")
            .key("big.bin")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.e_tag(), Some(format!("\"{}\"", md5_hex(data)).as_str()));
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .build(),
        );
    }
    let listed = s3
        .list_parts()
        .bucket("mpu-bucket")
        .key("big.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let sizes: Vec<Option<i64>> = listed.parts().iter().map(|p| p.size()).collect();
    assert_eq!(sizes, [Some(part1.len() as i64), Some(part2.len() as i64)]);

    let done = s3
        .complete_multipart_upload()
        .bucket("mpu-bucket")
        .key("big.bin")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let etag = done.e_tag().unwrap();
    assert!(
        etag.starts_with('"') && etag.ends_with("-2\"") && etag.len() == 36,
        "{etag}"
    );
    assert_eq!(done.key(), Some("big.bin"));

    let head = s3
        .head_object()
        .bucket("mpu-bucket")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.content_length(),
        Some((part1.len() + part2.len()) as i64)
    );
    assert_eq!(head.e_tag(), Some(etag));
    assert_eq!(head.content_type(), Some("application/x-test"));
    assert_eq!(
        head.metadata().unwrap().get("kind").map(String::as_str),
        Some("mpu")
    );
    let g = s3
        .get_object()
        .bucket("mpu-bucket")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    let got = body(g).await;
    assert_eq!(got.len(), part1.len() + part2.len());
    assert!(got[..part1.len()] == part1[..] && got[part1.len()..] == part2[..]);
    // A range across the part boundary.
    let start = part1.len() - 3;
    let g = s3
        .get_object()
        .bucket("mpu-bucket")
        .key("big.bin")
        .range(format!("bytes={start}-{}", start + 5))
        .send()
        .await
        .unwrap();
    let mut want = part1[start..].to_vec();
    want.extend_from_slice(&part2[..3]);
    assert_eq!(body(g).await, want);

    // Abort: the upload is gone and no object appears.
    let up = s3
        .create_multipart_upload()
        .bucket("mpu-bucket")
        .key("aborted.bin")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    s3.upload_part()
        .bucket("mpu-bucket")
        .key("aborted.bin")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap();
    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpu-bucket")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = uploads
        .uploads()
        .iter()
        .map(|u| u.upload_id().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    s3.abort_multipart_upload()
        .bucket("mpu-bucket")
        .key("aborted.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let e = s3
        .list_parts()
        .bucket("mpu-bucket")
        .key("aborted.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("NoSuchUpload", 404));
    let e = s3
        .head_object()
        .bucket("mpu-bucket")
        .key("aborted.bin")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_not_found());
    assert!(s3
        .list_multipart_uploads()
        .bucket("mpu-bucket")
        .send()
        .await
        .unwrap()
        .uploads()
        .is_empty());
}

#[tokio::test]
async fn presigned_get_and_put_over_raw_http() {
    let server = Server::start();
    let s3 = root(&server, A);
    s3.create_bucket()
        .bucket("pre-bucket")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("pre-bucket")
        .key("docs/a b.txt")
        .body(ByteStream::from_static(b"0123456789"))
        .send()
        .await
        .unwrap();
    let conf = || PresigningConfig::expires_in(Duration::from_secs(60)).unwrap();

    let get = s3
        .get_object()
        .bucket("pre-bucket")
        .key("docs/a b.txt")
        .presigned(conf())
        .await
        .unwrap();
    assert!(get.uri().contains("X-Amz-Signature="), "{}", get.uri());
    assert_eq!(send_presigned(&get, b""), (200, b"0123456789".to_vec()));

    let put = s3
        .put_object()
        .bucket("pre-bucket")
        .key("uploaded")
        .presigned(conf())
        .await
        .unwrap();
    assert_eq!(put.method(), "PUT");
    let (status, reply) = send_presigned(&put, b"via url");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    let g = s3
        .get_object()
        .bucket("pre-bucket")
        .key("uploaded")
        .send()
        .await
        .unwrap();
    assert_eq!(body(g).await, b"via url");

    // A presigned GET of another account's bucket, signed by a root it does not trust.
    let other = root(&server, B)
        .get_object()
        .bucket("pre-bucket")
        .key("uploaded")
        .presigned(conf())
        .await
        .unwrap();
    let (status, reply) = send_presigned(&other, b"");
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&reply).contains("<Code>AccessDenied</Code>"));
}

#[tokio::test]
async fn bucket_policy_and_cross_account_read() {
    let server = Server::start();
    let a = root(&server, A);
    let b = root(&server, B);
    a.create_bucket()
        .bucket("shared-bucket")
        .send()
        .await
        .unwrap();
    a.put_object()
        .bucket("shared-bucket")
        .key("report.csv")
        .body(ByteStream::from_static(b"a,b\n"))
        .send()
        .await
        .unwrap();

    let e = a
        .get_bucket_policy()
        .bucket("shared-bucket")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("NoSuchBucketPolicy", 404));

    // Without a policy the other account is denied.
    let e = b
        .get_object()
        .bucket("shared-bucket")
        .key("report.csv")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));

    let e = a
        .put_bucket_policy()
        .bucket("shared-bucket")
        .policy(r#"{"Statement": 1}"#)
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("MalformedPolicy", 400));

    let policy = policy_doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:root"}},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::shared-bucket","arn:aws:s3:::shared-bucket/*"]}}"#
    ));
    a.put_bucket_policy()
        .bucket("shared-bucket")
        .policy(&policy)
        .send()
        .await
        .unwrap();
    let got = a
        .get_bucket_policy()
        .bucket("shared-bucket")
        .send()
        .await
        .unwrap();
    let got: serde_json::Value = serde_json::from_str(got.policy().unwrap()).unwrap();
    let sent: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(got, sent);

    let g = b
        .get_object()
        .bucket("shared-bucket")
        .key("report.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(body(g).await, b"a,b\n");
    let keys: Vec<String> = b
        .list_objects_v2()
        .bucket("shared-bucket")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["report.csv"]);
    // Writing was not granted; the bucket is still A's, not listed as B's.
    let e = b
        .put_object()
        .bucket("shared-bucket")
        .key("x")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    assert!(b.list_buckets().send().await.unwrap().buckets().is_empty());

    a.delete_bucket_policy()
        .bucket("shared-bucket")
        .send()
        .await
        .unwrap();
    let e = b
        .get_object()
        .bucket("shared-bucket")
        .key("report.csv")
        .send()
        .await
        .unwrap_err();
    assert_eq!(s3_err(&e).0, "AccessDenied");
    let e = a
        .get_bucket_policy()
        .bucket("shared-bucket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(s3_err(&e).0, "NoSuchBucketPolicy");
}

#[tokio::test]
async fn object_tagging_put_get_delete() {
    let server = Server::start();
    let s3 = root(&server, A);
    s3.create_bucket()
        .bucket("tag-bucket")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("tag-bucket")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .tagging("team=red&env=dev")
        .send()
        .await
        .unwrap();
    let tags = |out: &aws_sdk_s3::operation::get_object_tagging::GetObjectTaggingOutput| {
        let mut v: Vec<(String, String)> = out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        v.sort();
        v
    };
    let got = s3
        .get_object_tagging()
        .bucket("tag-bucket")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags(&got),
        [("env".into(), "dev".into()), ("team".into(), "red".into())]
    );
    let g = s3
        .get_object()
        .bucket("tag-bucket")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(g.tag_count(), Some(2));

    s3.put_object_tagging()
        .bucket("tag-bucket")
        .key("k")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("team").value("blue").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object_tagging()
        .bucket("tag-bucket")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(tags(&got), [("team".into(), "blue".into())]);

    s3.delete_object_tagging()
        .bucket("tag-bucket")
        .key("k")
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object_tagging()
        .bucket("tag-bucket")
        .key("k")
        .send()
        .await
        .unwrap();
    assert!(got.tag_set().is_empty());
    let e = s3
        .get_object_tagging()
        .bucket("tag-bucket")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = s3_err(&e);
    assert_eq!((code.as_str(), status), ("NoSuchKey", 404));
}

#[tokio::test]
async fn state_survives_a_hard_restart() {
    let mut server = Server::start();
    {
        let a = root(&server, A);
        a.create_bucket().bucket("durable").send().await.unwrap();
        a.put_object()
            .bucket("durable")
            .key("k")
            .body(ByteStream::from_static(b"0123456789"))
            .metadata("owner", "anne")
            .tagging("team=red")
            .send()
            .await
            .unwrap();
        let policy = policy_doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::durable/*"}}"#
        ));
        a.put_bucket_policy()
            .bucket("durable")
            .policy(policy)
            .send()
            .await
            .unwrap();
    }
    server.kill_and_restart();
    let a = root(&server, A);
    let names: Vec<String> = a
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .map(|b| b.name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["durable"]);
    let h = a
        .head_object()
        .bucket("durable")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(h.e_tag(), Some("\"781e5e245d69b566979b86e28d23f2c7\""));
    assert_eq!(
        h.metadata().unwrap().get("owner").map(String::as_str),
        Some("anne")
    );
    let t = a
        .get_object_tagging()
        .bucket("durable")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(t.tag_set().len(), 1);
    assert_eq!(t.tag_set()[0].value(), "red");
    let g = root(&server, B)
        .get_object()
        .bucket("durable")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(body(g).await, b"0123456789");
}

#[tokio::test]
async fn virtual_hosted_addressing_through_loopback() {
    let server = Server::start();
    let vhost = server.s3(A, "anything", None, false);
    let seen = ToLoopback::default();
    let conf = vhost
        .config()
        .to_builder()
        .interceptor(seen.clone())
        .build();
    let s3 = Client::from_conf(conf);
    let path = root(&server, A);
    path.create_bucket()
        .bucket("vhost-bucket")
        .send()
        .await
        .unwrap();

    s3.put_object()
        .bucket("vhost-bucket")
        .key("dir/v.txt")
        .body(ByteStream::from_static(b"virtual"))
        .send()
        .await
        .unwrap();
    let g = s3
        .get_object()
        .bucket("vhost-bucket")
        .key("dir/v.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(body(g).await, b"virtual");
    let keys: Vec<String> = s3
        .list_objects_v2()
        .bucket("vhost-bucket")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["dir/v.txt"]);
    let g = path
        .get_object()
        .bucket("vhost-bucket")
        .key("dir/v.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(body(g).await, b"virtual");
    let e = s3
        .get_object()
        .bucket("vhost-bucket")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_no_such_key());
    // Every request really was virtual-hosted: the bucket in the Host, not in the path.
    let port = server.port;
    assert_eq!(
        *seen.0.lock().unwrap(),
        [
            format!("vhost-bucket.localhost:{port} /dir/v.txt"),
            format!("vhost-bucket.localhost:{port} /dir/v.txt"),
            format!("vhost-bucket.localhost:{port} /"),
            format!("vhost-bucket.localhost:{port} /missing"),
        ]
    );
}
