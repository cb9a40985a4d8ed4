//! Each SigV4 failure gets the code and text AWS gives on the query protocol, over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_arguments)]

mod common;

use common::Server;
use rolegate_sigv4::{sign, Payload, Request, SigningParams, Timestamp};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// How a signed form POST is signed: the credentials, where, when, and the session token.
struct Signer<'a> {
    key: &'a str,
    secret: &'a str,
    region: &'a str,
    service: &'a str,
    time: u64,
    token: Option<&'a str>,
}

/// The head of a form POST to `/` (request line, headers, the blank line) signed for `body`,
/// with `framing` (`Content-Length: N` or `Transfer-Encoding: chunked`) and `Connection: close`.
fn signed_head(port: u16, body: &str, signer: &Signer<'_>, framing: &str) -> String {
    let host = format!("127.0.0.1:{port}");
    let amz_date = Timestamp::from_unix(signer.time as i64).to_amz();
    let mut headers: Vec<(&str, &str)> = vec![
        ("host", &host),
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("x-amz-date", &amz_date),
    ];
    if let Some(t) = signer.token {
        headers.push(("x-amz-security-token", t));
    }
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload: Payload::Bytes(body.as_bytes()),
    };
    let params = SigningParams {
        access_key_id: signer.key,
        secret_access_key: signer.secret,
        region: signer.region,
        service: signer.service,
        time: Timestamp::from_unix(signer.time as i64),
    };
    let signed = sign(&req, &params).expect("sign");
    let mut head = format!(
        "POST / HTTP/1.1\r\nConnection: close\r\n{framing}\r\nAuthorization: {}\r\n",
        signed.authorization
    );
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// Sends a signed STS/IAM POST, optionally tampering after signing; returns (status, body).
fn post(
    port: u16,
    service: &str,
    body: &str,
    key: &str,
    secret: &str,
    time: u64,
    tamper_body: Option<&str>,
    token: Option<&str>,
) -> (u16, String) {
    let signer = Signer {
        key,
        secret,
        region: "us-east-1",
        service,
        time,
        token,
    };
    let sent_body = tamper_body.unwrap_or(body);
    let framing = format!("Content-Length: {}", sent_body.len());
    let mut raw = signed_head(port, body, &signer, &framing);
    raw.push_str(sent_body);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).unwrap().parse().unwrap();
    (status, out)
}

fn code(body: &str) -> &str {
    let s = body.find("<Code>").map(|i| i + 6).unwrap_or(0);
    let e = body[s..].find("</Code>").map(|i| i + s).unwrap_or(s);
    &body[s..e]
}

fn message(body: &str) -> &str {
    let s = body.find("<Message>").map(|i| i + 9).unwrap_or(0);
    let e = body[s..].find("</Message>").map(|i| i + s).unwrap_or(s);
    &body[s..e]
}

const GCI: &str = "Action=GetCallerIdentity&Version=2011-06-15";

#[tokio::test(flavor = "multi_thread")]
async fn query_protocol_auth_failures() {
    let server = Server::start();
    let port = server.port;
    // A real IAM user key, so the secret is checked.
    let iam = server.root_iam("111111111111");
    iam.create_user().user_name("alice").send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let (id, secret) = (key.access_key_id(), key.secret_access_key());

    let t = now();
    let (status, body) = post(port, "sts", GCI, id, secret, t, None, None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("arn:aws:iam::111111111111:user/alice"));

    // Wrong secret.
    let (status, body) = post(port, "sts", GCI, id, "wrong-secret", t, None, None);
    assert_eq!((status, code(&body)), (403, "SignatureDoesNotMatch"));
    assert!(message(&body).starts_with(
        "The request signature we calculated does not match the signature you provided."
    ));

    // Body altered after signing.
    let (status, body) = post(
        port,
        "sts",
        GCI,
        id,
        secret,
        t,
        Some("Action=GetCallerIdentity&Version=2011-06-16"),
        None,
    );
    assert_eq!((status, code(&body)), (403, "SignatureDoesNotMatch"));

    // Unknown key.
    let (status, body) = post(
        port,
        "sts",
        GCI,
        "AKIAUNKNOWNKEY000000",
        secret,
        t,
        None,
        None,
    );
    assert_eq!((status, code(&body)), (403, "InvalidClientTokenId"));
    assert_eq!(
        message(&body),
        "The security token included in the request is invalid."
    );

    // Signed 20 minutes ago, and 20 minutes ahead.
    let (status, body) = post(port, "sts", GCI, id, secret, t - 1200, None, None);
    assert_eq!((status, code(&body)), (403, "SignatureDoesNotMatch"));
    assert!(message(&body).starts_with("Signature expired: "), "{body}");
    assert!(message(&body).ends_with(" - 15 min.)"), "{body}");
    let (status, body) = post(port, "sts", GCI, id, secret, t + 1200, None, None);
    assert_eq!((status, code(&body)), (403, "SignatureDoesNotMatch"));
    assert!(
        message(&body).starts_with("Signature not yet current: "),
        "{body}"
    );

    // A tampered session token.
    let sts = server.sts(id, secret, None);
    let creds = sts.get_session_token().send().await.unwrap();
    let c = creds.credentials().unwrap();
    let mut token = c.session_token().to_owned();
    let last = token.pop().unwrap();
    token.push(if last == 'A' { 'B' } else { 'A' });
    let (status, body) = post(
        port,
        "sts",
        GCI,
        c.access_key_id(),
        c.secret_access_key(),
        t,
        None,
        Some(&token),
    );
    assert_eq!(
        (status, code(&body)),
        (403, "InvalidClientTokenId"),
        "{body}"
    );
    let (status, body) = post(
        port,
        "sts",
        GCI,
        c.access_key_id(),
        c.secret_access_key(),
        t,
        None,
        Some(c.session_token()),
    );
    assert_eq!(status, 200, "{body}");

    // A disabled key stops working.
    iam.update_access_key()
        .user_name("alice")
        .access_key_id(id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let (status, body) = post(port, "sts", GCI, id, secret, t, None, None);
    assert_eq!((status, code(&body)), (403, "InvalidClientTokenId"));
}

#[test]
fn missing_and_malformed_authentication() {
    let server = Server::start();
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let body = GCI;
    write!(s, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
    assert_eq!(code(&out), "MissingAuthenticationToken");
    assert_eq!(message(&out), "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.");

    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(s, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: AWS4-HMAC-SHA256 Credential=abc\r\nX-Amz-Date: 20260101T000000Z\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert_eq!(code(&out), "IncompleteSignature", "{out}");
}

/// A session token past its expiry: sealed here with the server's own master key (read from
/// its data directory), as the server itself would have sealed it an hour earlier.
#[test]
fn expired_session_token() {
    use rolegate_core::crypto::MasterKey;
    use rolegate_core::session::{Session, SessionKind, TokenSealer};
    let server = Server::start();
    let master = MasterKey::load_or_create(&server.dir.path().join("master.key")).unwrap();
    let t = now();
    let session = Session {
        account: "111111111111".into(),
        kind: SessionKind::UserToken { user: None },
        access_key_id: "ASIAEXPIREDKEY000000".into(),
        secret: "expired-secret".into(),
        issued: t as i64 - 7200,
        expires: t as i64 - 3600,
        policy: None,
        policy_arns: vec![],
        tags: vec![],
        transitive_tag_keys: vec![],
        source_identity: None,
        chain_depth: 0,
        mfa: false,
        instance: None,
    };
    let token = TokenSealer::new(&master).seal(&session);
    let (status, body) = post(
        server.port,
        "sts",
        GCI,
        "ASIAEXPIREDKEY000000",
        "expired-secret",
        t,
        None,
        Some(&token),
    );
    assert_eq!((status, code(&body)), (403, "ExpiredToken"), "{body}");
    assert_eq!(
        message(&body),
        "The security token included in the request is expired"
    );
}

#[test]
fn iam_must_be_signed_for_us_east_1() {
    let server = Server::start();
    let t = now();
    let body = "Action=ListUsers&Version=2010-05-08";
    // Sign for IAM in another region by hand.
    let signer = Signer {
        key: "111111111111",
        secret: "x",
        region: "eu-west-1",
        service: "iam",
        time: t,
        token: None,
    };
    let framing = format!("Content-Length: {}", body.len());
    let mut raw = signed_head(server.port, body, &signer, &framing);
    raw.push_str(body);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert_eq!(code(&out), "SignatureDoesNotMatch", "{out}");
    assert!(
        message(&out).starts_with(
            "Credential should be scoped to a valid region, not &apos;eu-west-1&apos;"
        ),
        "{out}"
    );
}

/// GET with query-string (presigned) authentication: the query protocol accepts it, and a
/// tampered parameter is caught.
#[tokio::test(flavor = "multi_thread")]
async fn presigned_query_authentication() {
    let server = Server::start();
    let iam = server.root_iam("111111111111");
    iam.create_user().user_name("carol").send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name("carol")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let host = format!("127.0.0.1:{}", server.port);
    let headers: Vec<(&str, &str)> = vec![("host", &host)];
    let query = "Action=GetCallerIdentity&Version=2011-06-15";
    let req = Request {
        method: "GET",
        path: "/",
        query,
        headers: &headers,
        payload: Payload::Bytes(b""),
    };
    let params = SigningParams {
        access_key_id: key.access_key_id(),
        secret_access_key: key.secret_access_key(),
        region: "us-east-1",
        service: "sts",
        time: Timestamp::from_unix(now() as i64),
    };
    let signed_query = rolegate_sigv4::presign(&req, &params, 300, None).unwrap();
    let get = |q: &str| {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        write!(
            s,
            "GET /?{q} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let ok = get(&signed_query);
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(
        ok.contains("<Arn>arn:aws:iam::111111111111:user/carol</Arn>"),
        "{ok}"
    );
    let tampered = get(&signed_query.replace("2011-06-15", "2011-06-16"));
    assert_eq!(code(&tampered), "SignatureDoesNotMatch", "{tampered}");
}

/// A signed body sent in several chunks is read whole before it is verified and parsed, and a
/// body over the limit is refused with 413, whatever its framing.
#[test]
fn chunked_and_oversized_bodies() {
    let server = Server::start();
    let signer = Signer {
        key: "111111111111",
        secret: "dev-mode-root",
        region: "us-east-1",
        service: "sts",
        time: now(),
        token: None,
    };
    let head = signed_head(server.port, GCI, &signer, "Transfer-Encoding: chunked");
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    // Three chunks, written apart so that the server reads them as separate frames.
    let (a, rest) = GCI.split_at(10);
    let (b, c) = rest.split_at(15);
    for part in [a, b, c] {
        s.write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes())
            .unwrap();
        s.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    s.write_all(b"0\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(
        out.contains("<Arn>arn:aws:iam::111111111111:root</Arn>"),
        "{out}"
    );

    // Over 4 MiB: refused, declared up front or streamed in chunks.
    let big = vec![b'a'; 4 * 1024 * 1024 + 1];
    for chunked in [false, true] {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        let framing = if chunked {
            "Transfer-Encoding: chunked".to_owned()
        } else {
            format!("Content-Length: {}", big.len())
        };
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
        )
        .unwrap();
        for piece in big.chunks(64 * 1024) {
            let sent = if chunked {
                s.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .and_then(|()| s.write_all(piece))
                    .and_then(|()| s.write_all(b"\r\n"))
            } else {
                s.write_all(piece)
            };
            // The server may answer and close before the whole body is sent.
            if sent.is_err() {
                break;
            }
        }
        if chunked {
            let _ = s.write_all(b"0\r\n\r\n");
        }
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let out = String::from_utf8_lossy(&out);
        assert!(out.starts_with("HTTP/1.1 413"), "chunked={chunked}: {out}");
        assert_eq!(code(&out), "RequestEntityTooLarge", "{out}");
    }
}
