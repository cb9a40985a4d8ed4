//! Signed aws-chunked uploads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) with a real IAM user's
//! secret, over raw HTTP: every chunk signature is checked against the chain seeded by the
//! request signature, and a tampered chunk leaves the previous object in place.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Server;
use rolegate_sigv4::{
    encode_chunked, sign, ChunkSigner, CredentialScope, Payload, Request, SigningKey,
    SigningParams, Timestamp,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{SystemTime, UNIX_EPOCH};

const UNSIGNED: &str = "UNSIGNED-PAYLOAD";
const STREAMING: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

struct Reply {
    status: u16,
    body: Vec<u8>,
}

/// Sends one signed S3 request; `body` is sent as is (already chunk-encoded when streaming).
#[allow(clippy::too_many_arguments)]
fn s3(
    port: u16,
    method: &str,
    path: &str,
    key: &str,
    secret: &str,
    content_sha: &str,
    extra: &[(&str, String)],
    body: impl FnOnce(&str, Timestamp) -> Vec<u8>,
) -> Reply {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let time = Timestamp::from_unix(now);
    let host = format!("127.0.0.1:{port}");
    let amz_date = time.to_amz();
    let mut headers: Vec<(&str, &str)> = vec![
        ("host", &host),
        ("x-amz-date", &amz_date),
        ("x-amz-content-sha256", content_sha),
    ];
    for (k, v) in extra {
        headers.push((k, v));
    }
    let req = Request {
        method,
        path,
        query: "",
        headers: &headers,
        payload: Payload::Deferred,
    };
    let params = SigningParams {
        access_key_id: key,
        secret_access_key: secret,
        region: "us-east-1",
        service: "s3",
        time,
    };
    let signed = sign(&req, &params).unwrap();
    let payload = body(&signed.signature, time);
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\nAuthorization: {}\r\n",
        payload.len(),
        signed.authorization
    );
    for (k, v) in &headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    s.write_all(&payload).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = out[split + 4..].to_vec();
    // A chunked response body: keep only the data (the tests read small bodies).
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut data = Vec::new();
        let mut rest = &body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16)
                .unwrap();
            if size == 0 {
                break;
            }
            data.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = data;
    }
    Reply { status, body }
}

fn chunked_put(port: u16, key: &str, secret: &str, chunks: &[&[u8]], tamper: bool) -> Reply {
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let extra = [
        ("content-encoding", "aws-chunked".to_owned()),
        ("x-amz-decoded-content-length", total.to_string()),
    ];
    s3(
        port,
        "PUT",
        "/chunky/data.bin",
        key,
        secret,
        STREAMING,
        &extra,
        |seed, time| {
            let scope = CredentialScope {
                date: time.date_stamp(),
                region: "us-east-1".to_owned(),
                service: "s3".to_owned(),
            };
            let signing_key =
                SigningKey::derive(secret, &scope.date, &scope.region, &scope.service);
            let signer = ChunkSigner::new(signing_key, time, &scope);
            let mut body = encode_chunked(chunks, Some((&signer, seed)), &[]);
            if tamper {
                // Flip one byte of the second chunk's data, after its signature was computed.
                let pos = body.len() / 2;
                body[pos] ^= 0x01;
            }
            body
        },
    )
}

#[test]
fn signed_chunked_uploads_with_a_users_secret() {
    let server = Server::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (key, secret) = rt.block_on(async {
        let iam = server.root_iam("111111111111");
        iam.create_user().user_name("uploader").send().await.unwrap();
        iam.put_user_policy()
            .user_name("uploader")
            .policy_name("bucket")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::chunky","arn:aws:s3:::chunky/*"]}]}"#)
            .send()
            .await
            .unwrap();
        let k = iam.create_access_key().user_name("uploader").send().await.unwrap();
        let k = k.access_key().unwrap();
        (k.access_key_id().to_owned(), k.secret_access_key().to_owned())
    });
    let port = server.port;
    let r = s3(
        port,
        "PUT",
        "/chunky",
        "111111111111",
        "x",
        UNSIGNED,
        &[],
        |_, _| Vec::new(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let a = vec![b'a'; 64 * 1024];
    let b = vec![b'b'; 64 * 1024];
    let c = b"the end".to_vec();
    let r = chunked_put(port, &key, &secret, &[&a, &b, &c], false);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let got = s3(
        port,
        "GET",
        "/chunky/data.bin",
        &key,
        &secret,
        UNSIGNED,
        &[],
        |_, _| Vec::new(),
    );
    assert_eq!(got.status, 200);
    assert_eq!(got.body.len(), a.len() + b.len() + c.len());
    assert_eq!(&got.body[..a.len()], &a[..]);
    assert!(got.body.ends_with(b"the end"));

    // A byte changed in transit: the chunk signature fails and the old object stays.
    let d = vec![b'd'; 64 * 1024];
    let r = chunked_put(port, &key, &secret, &[&d, &d, &c], true);
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("<Code>SignatureDoesNotMatch</Code>"));
    let got = s3(
        port,
        "GET",
        "/chunky/data.bin",
        &key,
        &secret,
        UNSIGNED,
        &[],
        |_, _| Vec::new(),
    );
    assert_eq!(&got.body[..a.len()], &a[..]);

    // The wrong secret fails on the seed signature itself.
    let r = chunked_put(port, &key, "not-the-secret", &[&d], false);
    assert_eq!(r.status, 403);
}
