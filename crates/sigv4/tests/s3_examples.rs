//! The signing examples of the Amazon S3 API reference (access key AKIAIOSFODNN7EXAMPLE,
//! secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, 20130524T000000Z, us-east-1): header
//! auth, presigned URLs, and the chunked uploads with and without a trailer.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ts, RawRequest, S3_DOC_SECRET, S3_DOC_TIME};
use rolegate_sigv4::{
    encode_chunked, ChunkSigner, ChunkedMode, Payload, PayloadMode, SigV4Error, SigningKey,
};

const CRED: &str = "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";

#[test]
fn get_object_with_range() {
    // As printed in the documentation: no spaces after the commas of Authorization.
    let text = format!("GET /test.txt HTTP/1.1\nHost: examplebucket.s3.amazonaws.com\nAuthorization: AWS4-HMAC-SHA256 Credential={CRED},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41\nRange: bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date: 20130524T000000Z\n\n");
    let v = RawRequest::parse(&text)
        .verify(S3_DOC_SECRET, ts(S3_DOC_TIME))
        .unwrap();
    assert_eq!(v.access_key_id(), "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(
        v.payload_mode(),
        &PayloadMode::Sha256(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into()
        )
    );
}

fn put_object(path: &str) -> RawRequest {
    RawRequest::parse(&format!("PUT {path} HTTP/1.1\nHost: examplebucket.s3.amazonaws.com\nDate: Fri, 24 May 2013 00:00:00 GMT\nAuthorization: AWS4-HMAC-SHA256 Credential={CRED},SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd\nx-amz-date: 20130524T000000Z\nx-amz-storage-class: REDUCED_REDUNDANCY\nx-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n\nWelcome to Amazon S3."))
}

#[test]
fn put_object_single_chunk() {
    // S3 decodes and re-encodes the path: `$` and `%24` on the wire sign the same.
    for path in ["/test%24file.text", "/test$file.text"] {
        put_object(path)
            .verify(S3_DOC_SECRET, ts(S3_DOC_TIME))
            .unwrap();
    }
}

#[test]
fn put_object_body_must_match_declared_hash() {
    let mut req = put_object("/test%24file.text");
    req.body = b"Welcome to Amazon S4.".to_vec();
    let err = req.verify(S3_DOC_SECRET, ts(S3_DOC_TIME)).unwrap_err();
    assert!(
        matches!(err, SigV4Error::ContentSha256Mismatch { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.code_for(rolegate_sigv4::Protocol::S3),
        "XAmzContentSHA256Mismatch"
    );

    // A streamed body is checked by the caller once read.
    let v = req
        .with(Some(Payload::Deferred), |r| {
            let p = rolegate_sigv4::parse(r)?;
            rolegate_sigv4::verify(p, r, S3_DOC_SECRET, ts(S3_DOC_TIME))
        })
        .unwrap();
    use sha2::Digest;
    let good: [u8; 32] = sha2::Sha256::digest(b"Welcome to Amazon S3.").into();
    let bad: [u8; 32] = sha2::Sha256::digest(b"Welcome to Amazon S4.").into();
    v.payload_mode().check_sha256(&good).unwrap();
    assert!(v.payload_mode().check_sha256(&bad).is_err());
}

#[test]
fn get_bucket_lifecycle_and_list_objects() {
    for (target, sig) in [
        (
            "/?lifecycle",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
        ),
        (
            "/?max-keys=2&prefix=J",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
        ),
    ] {
        let text = format!("GET {target} HTTP/1.1\nHost: examplebucket.s3.amazonaws.com\nAuthorization: AWS4-HMAC-SHA256 Credential={CRED},SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature={sig}\nx-amz-date: 20130524T000000Z\nx-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\n");
        RawRequest::parse(&text)
            .verify(S3_DOC_SECRET, ts(S3_DOC_TIME))
            .unwrap_or_else(|e| panic!("{target}: {}", e.message_with_details()));
    }
}

fn presigned_get() -> RawRequest {
    RawRequest::parse("GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1\nHost: examplebucket.s3.amazonaws.com\n\n")
}

#[test]
fn presigned_get_object() {
    let req = presigned_get();
    let v = req
        .verify(S3_DOC_SECRET, ts(S3_DOC_TIME).add_secs(86_400))
        .unwrap();
    assert_eq!(v.payload_mode(), &PayloadMode::Unsigned);
    let err = req
        .verify(S3_DOC_SECRET, ts(S3_DOC_TIME).add_secs(86_401))
        .unwrap_err();
    assert_eq!(err.code_for(rolegate_sigv4::Protocol::S3), "AccessDenied");
    assert_eq!(
        err.message_for(rolegate_sigv4::Protocol::S3),
        "Request has expired"
    );
}

fn signer(seed_scope_time: &str) -> ChunkSigner {
    let key = SigningKey::derive(S3_DOC_SECRET, "20130524", "us-east-1", "s3");
    let scope = rolegate_sigv4::CredentialScope {
        date: "20130524".into(),
        region: "us-east-1".into(),
        service: "s3".into(),
    };
    ChunkSigner::new(key, ts(seed_scope_time), &scope)
}

const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

fn chunked_upload() -> RawRequest {
    let mut req = RawRequest::parse(&format!("PUT /examplebucket/chunkObject.txt HTTP/1.1\nHost: s3.amazonaws.com\nx-amz-date: 20130524T000000Z\nx-amz-storage-class: REDUCED_REDUNDANCY\nAuthorization: AWS4-HMAC-SHA256 Credential={CRED},SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature={SEED}\nx-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\nContent-Encoding: aws-chunked\nx-amz-decoded-content-length: 66560\nContent-Length: 66824\n\n"));
    // The body as the documentation lays it out, with its chunk signatures.
    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    req.body = body;
    req
}

#[test]
fn chunked_upload_example() {
    let req = chunked_upload();
    assert_eq!(req.body.len(), 66824, "the documented Content-Length");
    let v = req
        .with(Some(Payload::Deferred), |r| {
            let p = rolegate_sigv4::parse(r)?;
            rolegate_sigv4::verify(p, r, S3_DOC_SECRET, ts(S3_DOC_TIME))
        })
        .unwrap();
    assert_eq!(v.signature(), SEED);
    assert_eq!(v.payload_mode(), &PayloadMode::Chunked(ChunkedMode::Signed));

    // Fed in odd-sized pieces, the body decodes to the 66560 bytes of 'a'.
    let mut dec = v.chunked_decoder().unwrap();
    let mut out = Vec::new();
    for piece in req.body.chunks(997) {
        dec.feed(piece, &mut out).unwrap();
    }
    assert!(dec.is_done());
    assert_eq!(dec.finish().unwrap(), vec![]);
    assert_eq!(out, vec![b'a'; 66560]);

    // The encoder writes exactly the documented body.
    let s = signer(S3_DOC_TIME);
    assert_eq!(
        encode_chunked(&[&[b'a'; 65536], &[b'a'; 1024]], Some((&s, SEED)), &[]),
        req.body
    );
}

#[test]
fn chunked_upload_example_tampered_chunk() {
    let mut req = chunked_upload();
    req.body[200] = b'b';
    let v = req
        .with(Some(Payload::Deferred), |r| {
            let p = rolegate_sigv4::parse(r)?;
            rolegate_sigv4::verify(p, r, S3_DOC_SECRET, ts(S3_DOC_TIME))
        })
        .unwrap();
    let mut dec = v.chunked_decoder().unwrap();
    let err = dec.feed(&req.body, &mut Vec::new()).unwrap_err();
    assert!(
        matches!(err, SigV4Error::ChunkSignatureDoesNotMatch { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.code_for(rolegate_sigv4::Protocol::S3),
        "SignatureDoesNotMatch"
    );
}

const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";

#[test]
fn chunked_upload_with_trailer_example() {
    let req = RawRequest::parse(&format!("PUT /examplebucket/chunkObject.txt HTTP/1.1\nHost: s3.amazonaws.com\nx-amz-date: 20130524T000000Z\nx-amz-storage-class: REDUCED_REDUNDANCY\nAuthorization: AWS4-HMAC-SHA256 Credential={CRED},SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature={TRAILER_SEED}\nx-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER\nContent-Encoding: aws-chunked\nx-amz-decoded-content-length: 66560\nx-amz-trailer: x-amz-checksum-crc32c\n\n"));
    let v = req
        .with(Some(Payload::Deferred), |r| {
            let p = rolegate_sigv4::parse(r)?;
            rolegate_sigv4::verify(p, r, S3_DOC_SECRET, ts(S3_DOC_TIME))
        })
        .unwrap();
    assert_eq!(
        v.payload_mode(),
        &PayloadMode::Chunked(ChunkedMode::SignedWithTrailer)
    );

    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n");
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
    body.extend_from_slice(b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n");

    let mut dec = v.chunked_decoder().unwrap();
    let mut out = Vec::new();
    for b in &body {
        dec.feed(std::slice::from_ref(b), &mut out).unwrap();
    }
    assert_eq!(out.len(), 66560);
    assert_eq!(
        dec.finish().unwrap(),
        vec![("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())]
    );

    let s = signer(S3_DOC_TIME);
    assert_eq!(
        encode_chunked(
            &[&[b'a'; 65536], &[b'a'; 1024]],
            Some((&s, TRAILER_SEED)),
            &[("x-amz-checksum-crc32c", "sOO8/Q==")]
        ),
        body
    );

    // A changed checksum breaks the trailer signature.
    let tampered = String::from_utf8_lossy(&body).replace("sOO8/Q==", "sOO8/R==");
    let mut dec = v.chunked_decoder().unwrap();
    let err = dec.feed(tampered.as_bytes(), &mut Vec::new()).unwrap_err();
    assert!(
        matches!(err, SigV4Error::ChunkSignatureDoesNotMatch { .. }),
        "{err:?}"
    );
}
