//! Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey and
//! GenerateDataKeyWithoutPlaintext. The encryption context is authenticated data, and its pairs
//! become `kms:EncryptionContext:<key>` condition keys.

use super::common::{
    authorize_key, crypto_keys, dry_run, dry_run_requested, invalid_ciphertext, key_not_found,
    kms_error, live_key, require_enabled, resolve, validation, Reach, Target,
};
use super::keys::check_enum;
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::json::{blob, missing, JsonInput};
use rand::RngCore;
use rolegate_core::kms::{blob_key, key_arn};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("Encrypt", encrypt),
    ("Decrypt", decrypt),
    ("ReEncrypt", re_encrypt),
    ("GenerateDataKey", generate_data_key),
    (
        "GenerateDataKeyWithoutPlaintext",
        generate_data_key_without_plaintext,
    ),
];

const ALGORITHMS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "SM2PKE",
];

/// A blob member with its length bounds; sensitive values are not echoed in the message.
fn blob_member(input: &JsonInput, member: &str, max: usize) -> Result<Vec<u8>, ServiceError> {
    let b = input.blob(member)?.ok_or_else(|| missing(member))?;
    let field = crate::protocol::json::field_name(member);
    if b.is_empty() {
        return Err(validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )));
    }
    if b.len() > max {
        return Err(validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        )));
    }
    Ok(b)
}

/// An `EncryptionAlgorithm` member: known, and one a symmetric key supports.
fn check_algorithm(input: &JsonInput, member: &str, t: &Target) -> Result<(), ServiceError> {
    let Some(alg) = input.str(member)? else {
        return Ok(());
    };
    check_enum(&crate::protocol::json::field_name(member), alg, ALGORITHMS)?;
    if alg != "SYMMETRIC_DEFAULT" {
        return Err(kms_error(
            "InvalidKeyUsageException",
            format!(
                "{} key usage is ENCRYPT_DECRYPT and key spec is SYMMETRIC_DEFAULT, which does not support the {alg} encryption algorithm.",
                t.key.arn
            ),
        ));
    }
    Ok(())
}

/// The key of a ciphertext: the one the blob names, which the KeyId, when given, must match.
fn source_key(
    ctx: &Ctx<'_>,
    ciphertext: &[u8],
    key_id: Option<&str>,
) -> Result<Target, ServiceError> {
    let named = blob_key(ciphertext).ok_or_else(invalid_ciphertext)?;
    if let Some(k) = key_id {
        let t = resolve(ctx, k, Reach::CrossAccount)?;
        if t.key.id != named.key_id || t.key.account() != named.account {
            return Err(kms_error(
                "IncorrectKeyException",
                "The key ID in the request does not identify a CMK that can perform this operation.",
            ));
        }
        return Ok(t);
    }
    let region = ctx.facts.region;
    live_key(&ctx.snap, &named.account, region, &named.key_id, ctx.now())
        .map(|k| Target {
            key: k.clone(),
            alias: None,
        })
        .ok_or_else(|| key_not_found(&key_arn(region, &named.account, &named.key_id)))
}

fn encrypt(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let key_id = input.required_str("KeyId")?;
    let plaintext = blob_member(input, "Plaintext", 4096)?;
    let context = input.string_map("EncryptionContext")?;
    let t = resolve(ctx, key_id, Reach::CrossAccount)?;
    authorize_key(ctx, "kms:Encrypt", &t, |c| crypto_keys(c, &context))?;
    require_enabled(&t.key)?;
    check_algorithm(input, "EncryptionAlgorithm", &t)?;
    if dry_run_requested(input)? {
        return Err(dry_run());
    }
    let ciphertext = t.key.encrypt(&plaintext, &context);
    Ok(json!({
        "CiphertextBlob": blob(&ciphertext),
        "KeyId": t.key.arn,
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }))
}

fn decrypt(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let ciphertext = blob_member(input, "CiphertextBlob", 6144)?;
    let context = input.string_map("EncryptionContext")?;
    let t = source_key(ctx, &ciphertext, input.str("KeyId")?)?;
    authorize_key(ctx, "kms:Decrypt", &t, |c| crypto_keys(c, &context))?;
    require_enabled(&t.key)?;
    check_algorithm(input, "EncryptionAlgorithm", &t)?;
    if dry_run_requested(input)? {
        return Err(dry_run());
    }
    let plaintext = t
        .key
        .decrypt(&ciphertext, &context)
        .map_err(|_| invalid_ciphertext())?;
    Ok(json!({
        "KeyId": t.key.arn,
        "Plaintext": blob(&plaintext),
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }))
}

fn re_encrypt(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let ciphertext = blob_member(input, "CiphertextBlob", 6144)?;
    let destination_id = input.required_str("DestinationKeyId")?;
    let source_context = input.string_map("SourceEncryptionContext")?;
    let destination_context = input.string_map("DestinationEncryptionContext")?;
    let source = source_key(ctx, &ciphertext, input.str("SourceKeyId")?)?;
    let destination = resolve(ctx, destination_id, Reach::CrossAccount)?;
    let same = if source.key.arn == destination.key.arn {
        "true"
    } else {
        "false"
    };
    authorize_key(ctx, "kms:ReEncryptFrom", &source, |c| {
        crypto_keys(c, &source_context);
        c.insert("kms:ReEncryptOnSameKey", same);
    })?;
    authorize_key(ctx, "kms:ReEncryptTo", &destination, |c| {
        crypto_keys(c, &destination_context);
        c.insert("kms:ReEncryptOnSameKey", same);
    })?;
    require_enabled(&source.key)?;
    require_enabled(&destination.key)?;
    check_algorithm(input, "SourceEncryptionAlgorithm", &source)?;
    check_algorithm(input, "DestinationEncryptionAlgorithm", &destination)?;
    if dry_run_requested(input)? {
        return Err(dry_run());
    }
    let plaintext = source
        .key
        .decrypt(&ciphertext, &source_context)
        .map_err(|_| invalid_ciphertext())?;
    let out = destination.key.encrypt(&plaintext, &destination_context);
    Ok(json!({
        "CiphertextBlob": blob(&out),
        "SourceKeyId": source.key.arn,
        "KeyId": destination.key.arn,
        "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }))
}

/// The data key's length from `KeySpec` or `NumberOfBytes` (exactly one of them).
fn data_key_len(input: &JsonInput) -> Result<usize, ServiceError> {
    let spec = input.str("KeySpec")?;
    let bytes = input.int("NumberOfBytes")?;
    match (spec, bytes) {
        (Some(s), None) => {
            check_enum("keySpec", s, &["AES_256", "AES_128"])?;
            Ok(if s == "AES_128" { 16 } else { 32 })
        }
        (None, Some(n)) => {
            crate::validate::Shape::new()
                .range("numberOfBytes", n, 1, 1024)
                .check()?;
            Ok(n as usize)
        }
        _ => Err(validation(
            "Please specify either number of bytes or key spec.",
        )),
    }
}

fn data_key(
    ctx: &mut Ctx<'_>,
    input: &JsonInput,
    action: &str,
) -> Result<(Target, Vec<u8>, Vec<u8>), ServiceError> {
    let key_id = input.required_str("KeyId")?;
    let context: BTreeMap<String, String> = input.string_map("EncryptionContext")?;
    let len = data_key_len(input)?;
    let t = resolve(ctx, key_id, Reach::CrossAccount)?;
    authorize_key(ctx, action, &t, |c| crypto_keys(c, &context))?;
    require_enabled(&t.key)?;
    if dry_run_requested(input)? {
        return Err(dry_run());
    }
    let mut plaintext = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut plaintext);
    let ciphertext = t.key.encrypt(&plaintext, &context);
    Ok((t, plaintext, ciphertext))
}

fn generate_data_key(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let (t, plaintext, ciphertext) = data_key(ctx, input, "kms:GenerateDataKey")?;
    Ok(json!({
        "CiphertextBlob": blob(&ciphertext),
        "Plaintext": blob(&plaintext),
        "KeyId": t.key.arn,
    }))
}

fn generate_data_key_without_plaintext(
    ctx: &mut Ctx<'_>,
    input: &JsonInput,
) -> Result<Value, ServiceError> {
    let (t, _, ciphertext) = data_key(ctx, input, "kms:GenerateDataKeyWithoutPlaintext")?;
    Ok(json!({
        "CiphertextBlob": blob(&ciphertext),
        "KeyId": t.key.arn,
    }))
}
