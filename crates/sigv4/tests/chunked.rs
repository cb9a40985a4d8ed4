//! The aws-chunked decoder: every variant, any split of the input, and broken framing.
#![allow(clippy::unwrap_used)]

mod common;

use proptest::prelude::*;
use rolegate_sigv4::{
    encode_chunked, ChunkSigner, ChunkedDecoder, ChunkedMode, CredentialScope, SigV4Error,
    SigningKey, Trailers,
};

const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

fn signer() -> ChunkSigner {
    let scope = CredentialScope {
        date: "20130524".into(),
        region: "us-east-1".into(),
        service: "s3".into(),
    };
    let key = SigningKey::derive(common::S3_DOC_SECRET, "20130524", "us-east-1", "s3");
    ChunkSigner::new(key, common::ts(common::S3_DOC_TIME), &scope)
}

fn decoder(mode: ChunkedMode) -> ChunkedDecoder {
    ChunkedDecoder::new(mode, signer(), SEED)
}

fn body(mode: ChunkedMode, chunks: &[&[u8]], trailers: &[(&str, &str)]) -> Vec<u8> {
    let s = signer();
    match mode {
        ChunkedMode::Signed => encode_chunked(chunks, Some((&s, SEED)), &[]),
        ChunkedMode::SignedWithTrailer => encode_chunked(chunks, Some((&s, SEED)), trailers),
        ChunkedMode::UnsignedWithTrailer => encode_chunked(chunks, None, trailers),
    }
}

fn decode_all(mut dec: ChunkedDecoder, input: &[u8]) -> Result<(Vec<u8>, Trailers), SigV4Error> {
    let mut out = Vec::new();
    dec.feed(input, &mut out)?;
    Ok((out, dec.finish()?))
}

const MODES: [ChunkedMode; 3] = [
    ChunkedMode::Signed,
    ChunkedMode::SignedWithTrailer,
    ChunkedMode::UnsignedWithTrailer,
];

#[test]
fn empty_body_in_every_mode() {
    for mode in MODES {
        let trailers: &[(&str, &str)] = if mode == ChunkedMode::Signed {
            &[]
        } else {
            &[("x-amz-checksum-crc32", "AAAAAA==")]
        };
        let (data, got) = decode_all(decoder(mode), &body(mode, &[], trailers)).unwrap();
        assert!(data.is_empty());
        assert_eq!(got.len(), trailers.len(), "{mode:?}");
    }
}

#[test]
fn unsigned_trailer_in_the_sdk_layout() {
    // As botocore and the AWS SDKs write it.
    let input = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let (data, trailers) = decode_all(decoder(ChunkedMode::UnsignedWithTrailer), input).unwrap();
    assert_eq!(data, b"hello world");
    assert_eq!(
        trailers,
        vec![("x-amz-checksum-crc32".into(), "DUoRhQ==".into())]
    );
}

#[test]
fn decoded_length_is_enforced() {
    let input = body(ChunkedMode::Signed, &[b"hello"], &[]);
    decode_all(decoder(ChunkedMode::Signed).with_decoded_length(5), &input).unwrap();
    let e = decode_all(decoder(ChunkedMode::Signed).with_decoded_length(6), &input).unwrap_err();
    assert_eq!(e, SigV4Error::IncompleteBody);
}

#[test]
fn truncated_body_is_incomplete() {
    let input = body(
        ChunkedMode::SignedWithTrailer,
        &[b"hello", b"world"],
        &[("x-amz-checksum-crc32", "x")],
    );
    for cut in 0..input.len() {
        let e = decode_all(decoder(ChunkedMode::SignedWithTrailer), &input[..cut]).unwrap_err();
        assert_eq!(e, SigV4Error::IncompleteBody, "cut at {cut}");
    }
}

#[test]
fn chunk_signature_chain_is_checked() {
    // Two valid chunks swapped: each signature is valid only after its predecessor.
    let s = signer();
    let a = encode_chunked(&[b"first"], Some((&s, SEED)), &[]);
    let first_sig = s.chunk_signature(SEED, b"first");
    let second = format!(
        "6;chunk-signature={}\r\nsecond\r\n",
        s.chunk_signature(&first_sig, b"second")
    );
    let mut swapped = second.into_bytes();
    swapped.extend_from_slice(&a);
    let e = decode_all(decoder(ChunkedMode::Signed), &swapped).unwrap_err();
    assert!(
        matches!(e, SigV4Error::ChunkSignatureDoesNotMatch { .. }),
        "{e:?}"
    );

    // Wrong seed (another request's signature).
    let other = ChunkedDecoder::new(ChunkedMode::Signed, signer(), &"0".repeat(64));
    let e = decode_all(other, &a).unwrap_err();
    assert!(
        matches!(e, SigV4Error::ChunkSignatureDoesNotMatch { .. }),
        "{e:?}"
    );
}

#[test]
fn malformed_framing() {
    let sig = "chunk-signature=".to_owned() + &"0".repeat(64);
    let cases: Vec<(ChunkedMode, Vec<u8>)> = vec![
        (
            ChunkedMode::UnsignedWithTrailer,
            b"zz\r\nhello\r\n0\r\n\r\n".to_vec(),
        ),
        (
            ChunkedMode::UnsignedWithTrailer,
            b"5\r\nhelloXX0\r\n\r\n".to_vec(),
        ),
        (
            ChunkedMode::UnsignedWithTrailer,
            b"5\nhello\r\n0\r\n\r\n".to_vec(),
        ),
        (
            ChunkedMode::UnsignedWithTrailer,
            b"0\r\nno-colon\r\n\r\n".to_vec(),
        ),
        (ChunkedMode::UnsignedWithTrailer, b"0\r\n\r\nextra".to_vec()),
        (
            ChunkedMode::UnsignedWithTrailer,
            b"11111111111111111\r\n".to_vec(),
        ),
        (ChunkedMode::Signed, b"5\r\nhello\r\n".to_vec()),
        (
            ChunkedMode::UnsignedWithTrailer,
            [b"1".repeat(5000), b"\r\n".to_vec()].concat(),
        ),
        (
            ChunkedMode::SignedWithTrailer,
            format!("0;{sig}\r\n\r\n").into_bytes(),
        ),
    ];
    for (i, (mode, input)) in cases.into_iter().enumerate() {
        let e = decode_all(decoder(mode), &input).unwrap_err();
        assert!(
            matches!(
                e,
                SigV4Error::MalformedChunkedEncoding { .. }
                    | SigV4Error::ChunkSignatureDoesNotMatch { .. }
            ),
            "case {i}: {e:?}"
        );
    }
    // A trailer where none was announced.
    let s = signer();
    let mut input = encode_chunked(&[b"x"], Some((&s, SEED)), &[]);
    input.truncate(input.len() - 2);
    input.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    let e = decode_all(decoder(ChunkedMode::Signed), &input).unwrap_err();
    assert!(
        matches!(e, SigV4Error::MalformedChunkedEncoding { .. }),
        "{e:?}"
    );
}

#[test]
fn a_failed_decoder_stays_failed() {
    let mut dec = decoder(ChunkedMode::UnsignedWithTrailer);
    assert!(dec.feed(b"zz\r\n", &mut Vec::new()).is_err());
    assert!(dec.feed(b"0\r\n\r\n", &mut Vec::new()).is_err());
    assert!(dec.finish().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any data, cut into any chunks, fed in any pieces, decodes to itself in every mode.
    #[test]
    fn round_trip(
        data in proptest::collection::vec(any::<u8>(), 0..3000),
        chunk_cuts in proptest::collection::vec(1usize..700, 1..8),
        feed_cuts in proptest::collection::vec(1usize..500, 1..20),
        mode_i in 0usize..3,
    ) {
        let mode = MODES[mode_i];
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut rest = &data[..];
        for c in chunk_cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let n = (*c).min(rest.len());
            chunks.push(&rest[..n]);
            rest = &rest[n..];
        }
        let trailers: &[(&str, &str)] = if mode == ChunkedMode::Signed { &[] } else { &[("x-amz-checksum-sha256", "abc="), ("x-amz-checksum-crc32", "def=")] };
        let input = body(mode, &chunks, trailers);

        let mut dec = decoder(mode).with_decoded_length(data.len() as u64);
        let mut out = Vec::new();
        let mut rest = &input[..];
        for c in feed_cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let n = (*c).min(rest.len());
            // Use the zero-copy step API directly.
            let mut piece = &rest[..n];
            while !piece.is_empty() {
                let (used, got) = dec.decode(piece).unwrap();
                out.extend_from_slice(got);
                piece = &piece[used..];
            }
            rest = &rest[n..];
        }
        prop_assert_eq!(&out, &data);
        let got = dec.finish().unwrap();
        prop_assert_eq!(got.len(), trailers.len());
    }

    /// Flipping any byte of a signed body is caught.
    #[test]
    fn any_flip_is_caught(
        data in proptest::collection::vec(any::<u8>(), 1..400),
        at in any::<prop::sample::Index>(),
    ) {
        let input = body(ChunkedMode::SignedWithTrailer, &[&data], &[("x-amz-checksum-crc32", "AAAAAA==")]);
        let mut bad = input.clone();
        let i = at.index(bad.len());
        bad[i] ^= 0x01;
        prop_assert!(decode_all(decoder(ChunkedMode::SignedWithTrailer), &bad).is_err());
    }
}
