//! KMS through the JSON dispatcher: every operation and error, the key-policy rules of
//! same-account and cross-account access, and the cryptography seen from the API.
#![allow(clippy::unwrap_used)]

use crate::testing::{field, Harness, JsonReply, NOW};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rolegate_core::caller::KeyLookup;
use rolegate_core::kms::default_key_policy;
use rolegate_core::Caller;
use serde_json::{json, Value};

const A: &str = "111111111111";
const B: &str = "222222222222";
const ALLOW_KMS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;

fn b64(s: &[u8]) -> String {
    STANDARD.encode(s)
}

fn unb64(v: &Value) -> Vec<u8> {
    STANDARD
        .decode(v.as_str().unwrap_or(""))
        .unwrap_or_default()
}

fn ok(r: &JsonReply) {
    assert_eq!(r.status, 200, "{}", r.body);
}

fn err(r: &JsonReply, code: &str) {
    assert_eq!((r.status, r.code()), (400, code), "{}", r.body);
}

/// Creates a key as `caller`; returns (key id, key ARN).
fn new_key(h: &Harness, caller: &Caller, input: Value) -> (String, String) {
    let r = h.kms(caller, "CreateKey", input);
    ok(&r);
    let m = &r.body["KeyMetadata"];
    (
        m["KeyId"].as_str().unwrap().to_owned(),
        m["Arn"].as_str().unwrap().to_owned(),
    )
}

/// A user of `account` with the given inline policy (none when `policy` is empty).
fn user(h: &Harness, account: &str, name: &str, policy: &str) -> Caller {
    let root = Harness::root(account);
    let r = h.iam(&root, &[("Action", "CreateUser"), ("UserName", name)]);
    assert_eq!(r.status, 200, "{}", r.body);
    if !policy.is_empty() {
        let r = h.iam(
            &root,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", name),
                ("PolicyName", "p"),
                ("PolicyDocument", policy),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    h.user(account, name)
}

fn encrypt(h: &Harness, caller: &Caller, key: &str, text: &[u8], context: Value) -> JsonReply {
    h.kms(
        caller,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": b64(text), "EncryptionContext": context}),
    )
}

fn decrypt(h: &Harness, caller: &Caller, blob: &Value, context: Value) -> JsonReply {
    h.kms(
        caller,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": context}),
    )
}

fn policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

fn allow_root(account: &str) -> String {
    format!(
        r#"{{"Sid":"root","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}"#
    )
}

#[test]
fn create_describe_and_list_keys() {
    let h = Harness::new();
    let root = Harness::root(A);
    let r = h.kms(
        &root,
        "CreateKey",
        json!({"Description": "orders", "Tags": [{"TagKey": "team", "TagValue": "core"}]}),
    );
    ok(&r);
    let m = &r.body["KeyMetadata"];
    let id = m["KeyId"].as_str().unwrap().to_owned();
    let arn = format!("arn:aws:kms:us-east-1:{A}:key/{id}");
    assert_eq!(id.len(), 36);
    assert_eq!(m["Arn"], json!(arn));
    assert_eq!(m["AWSAccountId"], json!(A));
    assert_eq!(m["Description"], json!("orders"));
    assert_eq!(m["Enabled"], json!(true));
    assert_eq!(m["KeyState"], json!("Enabled"));
    assert_eq!(m["KeyUsage"], json!("ENCRYPT_DECRYPT"));
    assert_eq!(m["KeySpec"], json!("SYMMETRIC_DEFAULT"));
    assert_eq!(m["KeyManager"], json!("CUSTOMER"));
    assert_eq!(m["Origin"], json!("AWS_KMS"));
    assert_eq!(m["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert_eq!(m["CreationDate"], json!(NOW));
    assert!(m.get("DeletionDate").is_none());

    ok(&h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/orders", "TargetKeyId": id}),
    ));
    let alias_arn = format!("arn:aws:kms:us-east-1:{A}:alias/orders");
    for by in [
        id.as_str(),
        arn.as_str(),
        "alias/orders",
        alias_arn.as_str(),
        &id.to_uppercase(),
    ] {
        let r = h.kms(&root, "DescribeKey", json!({ "KeyId": by }));
        ok(&r);
        assert_eq!(r.body["KeyMetadata"]["Arn"], json!(arn), "by {by}");
    }

    // The default key policy, as AWS prints it.
    let r = h.kms(
        &root,
        "GetKeyPolicy",
        json!({"KeyId": id, "PolicyName": "default"}),
    );
    ok(&r);
    assert_eq!(r.str("Policy"), default_key_policy(A));
    assert_eq!(r.str("PolicyName"), "default");
    let p: Value = serde_json::from_str(r.str("Policy")).unwrap();
    assert_eq!(
        p["Statement"][0]["Principal"]["AWS"],
        json!(format!("arn:aws:iam::{A}:root"))
    );
    let r = h.kms(&root, "ListKeyPolicies", json!({"KeyId": id}));
    ok(&r);
    assert_eq!(
        r.body,
        json!({"PolicyNames": ["default"], "Truncated": false})
    );

    // ListKeys pages through the region's keys, in key id order.
    let (id2, _) = new_key(&h, &root, json!({}));
    let (id3, _) = new_key(&h, &root, json!({}));
    new_key(&h, &Harness::root(B), json!({}));
    let mut all = vec![id.clone(), id2, id3];
    all.sort();
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({"Limit": 2});
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let r = h.kms(&root, "ListKeys", input);
        ok(&r);
        for k in r.body["Keys"].as_array().unwrap() {
            assert_eq!(
                k["KeyArn"],
                json!(format!(
                    "arn:aws:kms:us-east-1:{A}:key/{}",
                    k["KeyId"].as_str().unwrap()
                ))
            );
            seen.push(k["KeyId"].as_str().unwrap().to_owned());
        }
        if r.body["Truncated"] == json!(false) {
            assert!(r.body.get("NextMarker").is_none());
            break;
        }
        marker = Some(r.str("NextMarker").to_owned());
    }
    assert_eq!(seen, all);
    err(
        &h.kms(&root, "ListKeys", json!({"Limit": 0})),
        "ValidationException",
    );

    // Keys are regional.
    let r = h.kms_in("eu-west-1", &root, "ListKeys", json!({}));
    ok(&r);
    assert_eq!(r.body["Keys"], json!([]));
    err(
        &h.kms_in("eu-west-1", &root, "DescribeKey", json!({"KeyId": id})),
        "NotFoundException",
    );
    err(
        &h.kms_in("eu-west-1", &root, "DescribeKey", json!({"KeyId": arn})),
        "NotFoundException",
    );
}

#[test]
fn create_key_errors() {
    let h = Harness::new();
    let root = Harness::root(A);
    let cases = [
        (
            json!({"KeySpec": "RSA_2048"}),
            "UnsupportedOperationException",
        ),
        (json!({"KeySpec": "AES_512"}), "ValidationException"),
        (
            json!({"KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT"}),
            "ValidationException",
        ),
        (
            json!({"CustomerMasterKeySpec": "HMAC_256"}),
            "UnsupportedOperationException",
        ),
        (json!({"KeyUsage": "SIGN_VERIFY"}), "ValidationException"),
        (json!({"KeyUsage": "NOPE"}), "ValidationException"),
        (
            json!({"Origin": "EXTERNAL"}),
            "UnsupportedOperationException",
        ),
        (
            json!({"MultiRegion": true}),
            "UnsupportedOperationException",
        ),
        (
            json!({"Policy": "{not json"}),
            "MalformedPolicyDocumentException",
        ),
        (
            json!({"Policy": policy(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#)}),
            "MalformedPolicyDocumentException",
        ),
        (
            json!({"Tags": [{"TagKey": "aws:x", "TagValue": "v"}]}),
            "TagException",
        ),
        (
            json!({"Description": "x".repeat(8193)}),
            "ValidationException",
        ),
        (json!({"Description": 5}), "SerializationException"),
    ];
    for (input, code) in cases {
        err(&h.kms(&root, "CreateKey", input.clone()), code);
    }
    let r = h.kms(&root, "CreateKey", json!({"KeySpec": "AES_512"}));
    assert!(r.message().starts_with(
        "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048,"
    ));

    // A policy that would lock the caller out is refused unless the check is bypassed.
    let other = policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}"#,
    );
    let r = h.kms(&root, "CreateKey", json!({ "Policy": other }));
    err(&r, "MalformedPolicyDocumentException");
    assert_eq!(
        r.message(),
        "The new key policy will not allow you to update the key policy in the future."
    );
    ok(&h.kms(
        &root,
        "CreateKey",
        json!({"Policy": other, "BypassPolicyLockoutSafetyCheck": true}),
    ));
    let r = h.kms(
        &root,
        "CreateKey",
        json!({"Policy": policy(&allow_root(A))}),
    );
    ok(&r);
    let id = r.body["KeyMetadata"]["KeyId"].as_str().unwrap();
    let r = h.kms(&root, "GetKeyPolicy", json!({ "KeyId": id }));
    assert_eq!(r.str("Policy"), policy(&allow_root(A)));
}

#[test]
fn request_and_lookup_errors() {
    let h = Harness::new();
    let root = Harness::root(A);
    let (id, _) = new_key(&h, &root, json!({}));
    let missing = "0b0e6f9a-1111-4222-8333-444455556666";

    let r = h.kms(&root, "DescribeKey", json!({ "KeyId": missing }));
    err(&r, "NotFoundException");
    assert_eq!(
        r.message(),
        format!("Key 'arn:aws:kms:us-east-1:{A}:key/{missing}' does not exist")
    );
    let r = h.kms(&root, "DescribeKey", json!({"KeyId": "not-a-key"}));
    err(&r, "NotFoundException");
    assert_eq!(r.message(), "Invalid keyId 'not-a-key'");
    let r = h.kms(&root, "DescribeKey", json!({"KeyId": "alias/nope"}));
    err(&r, "NotFoundException");
    assert_eq!(
        r.message(),
        format!("Alias arn:aws:kms:us-east-1:{A}:alias/nope is not found.")
    );
    err(
        &h.kms(
            &root,
            "DescribeKey",
            json!({"KeyId": "arn:aws:s3:::bucket"}),
        ),
        "InvalidArnException",
    );
    let r = h.kms(&root, "DescribeKey", json!({}));
    err(&r, "ValidationException");
    assert_eq!(
        r.message(),
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    );
    err(
        &h.kms(&root, "DescribeKey", json!({"KeyId": 7})),
        "SerializationException",
    );

    // Another account's key: not by id or alias, only by ARN, and only where AWS allows it.
    let b = Harness::root(B);
    err(
        &h.kms(&b, "DescribeKey", json!({ "KeyId": id })),
        "NotFoundException",
    );
    let arn = format!("arn:aws:kms:us-east-1:{A}:key/{id}");
    for op in [
        "EnableKey",
        "DisableKey",
        "GetKeyPolicy",
        "ListResourceTags",
        "ScheduleKeyDeletion",
    ] {
        err(&h.kms(&b, op, json!({ "KeyId": arn })), "NotFoundException");
    }

    // Protocol-level errors.
    let r = h.kms(&root, "NoSuchOperation", json!({}));
    err(&r, "UnknownOperationException");
    let r = crate::dispatch::json(
        &h.state,
        crate::dispatch::JsonService::Kms,
        &root,
        rolegate_core::authorizer::RequestFacts {
            source_ip: "127.0.0.1",
            secure_transport: false,
            region: "us-east-1",
            now: NOW,
        },
        Some("TrentService.ListKeys"),
        b"{not json",
        "rid",
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("SerializationException"));
    assert_eq!(r.content_type, "application/x-amz-json-1.1");
}

#[test]
fn encrypt_decrypt_round_trip_and_ciphertext_errors() {
    let h = Harness::new();
    let root = Harness::root(A);
    let (id, arn) = new_key(&h, &root, json!({}));
    let (id2, arn2) = new_key(&h, &root, json!({}));
    let ctx = json!({"purpose": "test", "dept": "it"});

    let r = encrypt(&h, &root, &id, b"attack at dawn", ctx.clone());
    ok(&r);
    assert_eq!(r.str("KeyId"), arn);
    assert_eq!(r.str("EncryptionAlgorithm"), "SYMMETRIC_DEFAULT");
    let blob = r.body["CiphertextBlob"].clone();
    assert_ne!(unb64(&blob), b"attack at dawn".to_vec());

    // Decrypt finds the key in the blob; with a KeyId it must be that key.
    let r = decrypt(&h, &root, &blob, ctx.clone());
    ok(&r);
    assert_eq!(unb64(&r.body["Plaintext"]), b"attack at dawn".to_vec());
    assert_eq!(r.str("KeyId"), arn);
    ok(&h.kms(
        &root,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": ctx, "KeyId": arn}),
    ));
    let r = h.kms(
        &root,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": ctx, "KeyId": id2}),
    );
    err(&r, "IncorrectKeyException");

    // Wrong, partial or missing context; a tampered blob; a blob that is not ours.
    err(
        &decrypt(&h, &root, &blob, json!({"purpose": "test", "dept": "hr"})),
        "InvalidCiphertextException",
    );
    err(
        &decrypt(&h, &root, &blob, json!({"purpose": "test"})),
        "InvalidCiphertextException",
    );
    let r = decrypt(&h, &root, &blob, json!({}));
    err(&r, "InvalidCiphertextException");
    assert_eq!(r.body, json!({"__type": "InvalidCiphertextException"}));
    let mut raw = unb64(&blob);
    let last = raw.len() - 1;
    raw[last] ^= 0x01;
    err(
        &decrypt(&h, &root, &json!(b64(&raw)), ctx.clone()),
        "InvalidCiphertextException",
    );
    err(
        &decrypt(
            &h,
            &root,
            &json!(b64(b"random bytes, not a blob at all...........")),
            json!({}),
        ),
        "InvalidCiphertextException",
    );

    // A blob naming another key of ours with this key's bytes does not open either.
    let mut moved = unb64(&blob);
    let id2_bytes = rolegate_core::kms::parse_uuid(&id2).unwrap();
    moved[13..29].copy_from_slice(&id2_bytes);
    let r = decrypt(&h, &root, &json!(b64(&moved)), ctx.clone());
    err(&r, "InvalidCiphertextException");
    let _ = arn2;

    // Input checks.
    let r = h.kms(
        &root,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(&[0u8; 4097])}),
    );
    err(&r, "ValidationException");
    assert_eq!(r.message(), "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096");
    err(
        &h.kms(&root, "Encrypt", json!({"KeyId": id, "Plaintext": ""})),
        "ValidationException",
    );
    err(
        &h.kms(&root, "Encrypt", json!({"KeyId": id})),
        "ValidationException",
    );
    err(
        &h.kms(
            &root,
            "Encrypt",
            json!({"KeyId": id, "Plaintext": "!!notbase64"}),
        ),
        "SerializationException",
    );
    err(
        &h.kms(&root, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})),
        "InvalidKeyUsageException",
    );
    err(
        &h.kms(
            &root,
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "ROT13"}),
        ),
        "ValidationException",
    );
    let r = h.kms(
        &root,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"x"), "DryRun": true}),
    );
    assert_eq!((r.status, r.code()), (412, "DryRunOperationException"));
    err(&h.kms(&root, "Decrypt", json!({})), "ValidationException");
}

#[test]
fn disabled_and_deleted_keys() {
    let h = Harness::new();
    let root = Harness::root(A);
    let (id, arn) = new_key(&h, &root, json!({}));
    ok(&h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/k", "TargetKeyId": id}),
    ));
    let blob = encrypt(&h, &root, &id, b"x", json!({})).body["CiphertextBlob"].clone();

    ok(&h.kms(&root, "DisableKey", json!({ "KeyId": id })));
    let m = h.kms(&root, "DescribeKey", json!({ "KeyId": id })).body["KeyMetadata"].clone();
    assert_eq!(
        (m["Enabled"].clone(), m["KeyState"].clone()),
        (json!(false), json!("Disabled"))
    );
    let r = encrypt(&h, &root, &id, b"x", json!({}));
    err(&r, "DisabledException");
    assert_eq!(r.message(), format!("{arn} is disabled."));
    err(&decrypt(&h, &root, &blob, json!({})), "DisabledException");
    err(
        &h.kms(
            &root,
            "GenerateDataKey",
            json!({"KeyId": id, "KeySpec": "AES_256"}),
        ),
        "DisabledException",
    );
    ok(&h.kms(&root, "DisableKey", json!({ "KeyId": id })));
    ok(&h.kms(&root, "EnableKey", json!({ "KeyId": id })));
    ok(&decrypt(&h, &root, &blob, json!({})));

    // Scheduling deletion: 7 to 30 days, then the key is unusable until canceled.
    let r = h.kms(
        &root,
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 5}),
    );
    err(&r, "ValidationException");
    assert_eq!(
        r.message(),
        "PendingWindowInDays should be between 7 and 30, but it is 5"
    );
    let r = h.kms(
        &root,
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    );
    ok(&r);
    assert_eq!(
        r.body,
        json!({"KeyId": arn, "DeletionDate": NOW + 7 * 86_400, "KeyState": "PendingDeletion", "PendingWindowInDays": 7})
    );
    let m = h.kms(&root, "DescribeKey", json!({ "KeyId": id })).body["KeyMetadata"].clone();
    assert_eq!(m["KeyState"], json!("PendingDeletion"));
    assert_eq!(m["DeletionDate"], json!(NOW + 7 * 86_400));
    let r = encrypt(&h, &root, &id, b"x", json!({}));
    err(&r, "KMSInvalidStateException");
    assert_eq!(r.message(), format!("{arn} is pending deletion."));
    err(
        &decrypt(&h, &root, &blob, json!({})),
        "KMSInvalidStateException",
    );
    for op in ["EnableKey", "DisableKey", "ScheduleKeyDeletion"] {
        err(
            &h.kms(&root, op, json!({ "KeyId": id })),
            "KMSInvalidStateException",
        );
    }
    err(
        &h.kms(
            &root,
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "a", "TagValue": "b"}]}),
        ),
        "KMSInvalidStateException",
    );
    let r = h.kms(&root, "CancelKeyDeletion", json!({ "KeyId": id }));
    ok(&r);
    assert_eq!(r.body, json!({ "KeyId": arn }));
    let m = h.kms(&root, "DescribeKey", json!({ "KeyId": id })).body["KeyMetadata"].clone();
    assert_eq!(m["KeyState"], json!("Disabled"));
    assert!(m.get("DeletionDate").is_none());
    let r = h.kms(&root, "CancelKeyDeletion", json!({ "KeyId": id }));
    err(&r, "KMSInvalidStateException");
    assert_eq!(r.message(), format!("{arn} is not pending deletion."));

    // Past its deletion date the key, its alias and its ciphertexts are gone.
    ok(&h.kms(&root, "ScheduleKeyDeletion", json!({ "KeyId": id })));
    let later = NOW + 31 * 86_400;
    err(
        &h.kms_at(
            "us-east-1",
            later,
            &root,
            "DescribeKey",
            json!({ "KeyId": id }),
        ),
        "NotFoundException",
    );
    err(
        &h.kms_at(
            "us-east-1",
            later,
            &root,
            "DescribeKey",
            json!({"KeyId": "alias/k"}),
        ),
        "NotFoundException",
    );
    let r = h.kms_at(
        "us-east-1",
        later,
        &root,
        "Decrypt",
        json!({ "CiphertextBlob": blob }),
    );
    err(&r, "NotFoundException");
    let r = h.kms_at("us-east-1", later, &root, "ListKeys", json!({}));
    assert_eq!(r.body["Keys"], json!([]));
    let r = h.kms_at("us-east-1", later, &root, "ListAliases", json!({}));
    assert_eq!(r.body["Aliases"], json!([]));
    // The next write drops it from the account row.
    new_key(&h, &root, json!({}));
    let snap = h.state.catalog.snapshot();
    assert!(snap.account(A).unwrap().kms_keys.contains_key(&id));
    let r = h.kms_at("us-east-1", later, &root, "CreateKey", json!({}));
    ok(&r);
    let snap = h.state.catalog.snapshot();
    assert!(!snap.account(A).unwrap().kms_keys.contains_key(&id));
    assert!(snap.account(A).unwrap().kms_aliases.is_empty());
}

#[test]
fn aliases() {
    let h = Harness::new();
    let root = Harness::root(A);
    let (id1, arn1) = new_key(&h, &root, json!({}));
    let (id2, arn2) = new_key(&h, &root, json!({}));
    ok(&h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id1}),
    ));
    ok(&h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/app-2", "TargetKeyId": arn1}),
    ));
    ok(&h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/other", "TargetKeyId": id2}),
    ));

    let r = h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id2}),
    );
    err(&r, "AlreadyExistsException");
    assert_eq!(
        r.message(),
        format!("An alias with the name arn:aws:kms:us-east-1:{A}:alias/app already exists")
    );
    let r = h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "app", "TargetKeyId": id1}),
    );
    err(&r, "ValidationException");
    assert!(r
        .message()
        .starts_with("Alias must start with the prefix \"alias/\"."));
    err(
        &h.kms(
            &root,
            "CreateAlias",
            json!({"AliasName": "alias/aws/s3", "TargetKeyId": id1}),
        ),
        "NotAuthorizedException",
    );
    err(
        &h.kms(
            &root,
            "CreateAlias",
            json!({"AliasName": "alias/bad name", "TargetKeyId": id1}),
        ),
        "ValidationException",
    );
    let r = h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/x", "TargetKeyId": "alias/app"}),
    );
    err(&r, "ValidationException");
    assert_eq!(r.message(), "Aliases must refer to keys. Not aliases");
    err(
        &h.kms(
            &root,
            "CreateAlias",
            json!({"AliasName": "alias/x", "TargetKeyId": "0b0e6f9a-1111-4222-8333-444455556666"}),
        ),
        "NotFoundException",
    );
    err(
        &h.kms(&root, "CreateAlias", json!({"AliasName": "alias/x"})),
        "ValidationException",
    );

    let r = h.kms(&root, "ListAliases", json!({}));
    ok(&r);
    assert_eq!(
        r.body["Aliases"],
        json!([
            {"AliasName": "alias/app", "AliasArn": format!("arn:aws:kms:us-east-1:{A}:alias/app"), "TargetKeyId": id1},
            {"AliasName": "alias/app-2", "AliasArn": format!("arn:aws:kms:us-east-1:{A}:alias/app-2"), "TargetKeyId": id1},
            {"AliasName": "alias/other", "AliasArn": format!("arn:aws:kms:us-east-1:{A}:alias/other"), "TargetKeyId": id2},
        ])
    );
    assert_eq!(r.body["Truncated"], json!(false));
    let r = h.kms(&root, "ListAliases", json!({"KeyId": id2}));
    assert_eq!(r.body["Aliases"].as_array().map(Vec::len), Some(1));
    let r = h.kms(&root, "ListAliases", json!({"Limit": 2}));
    assert_eq!(r.body["Truncated"], json!(true));
    let r = h.kms(
        &root,
        "ListAliases",
        json!({"Limit": 2, "Marker": r.str("NextMarker")}),
    );
    assert_eq!(r.body["Aliases"][0]["AliasName"], json!("alias/other"));
    err(
        &h.kms(&root, "ListAliases", json!({"KeyId": "alias/none"})),
        "NotFoundException",
    );
    // Other accounts and regions have their own aliases.
    assert_eq!(
        h.kms(&Harness::root(B), "ListAliases", json!({})).body["Aliases"],
        json!([])
    );
    assert_eq!(
        h.kms_in("eu-west-1", &root, "ListAliases", json!({})).body["Aliases"],
        json!([])
    );
    ok(&h.kms_in("eu-west-1", &root, "CreateKey", json!({})));

    // Encrypt by alias name and alias ARN; UpdateAlias moves the alias.
    let r = encrypt(&h, &root, "alias/app", b"x", json!({}));
    assert_eq!(r.str("KeyId"), arn1);
    ok(&h.kms(
        &root,
        "UpdateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id2}),
    ));
    let r = encrypt(
        &h,
        &root,
        &format!("arn:aws:kms:us-east-1:{A}:alias/app"),
        b"x",
        json!({}),
    );
    assert_eq!(r.str("KeyId"), arn2);
    err(
        &h.kms(
            &root,
            "UpdateAlias",
            json!({"AliasName": "alias/none", "TargetKeyId": id2}),
        ),
        "NotFoundException",
    );
    err(
        &h.kms(
            &root,
            "UpdateAlias",
            json!({"AliasName": "alias/app", "TargetKeyId": "alias/other"}),
        ),
        "ValidationException",
    );

    ok(&h.kms(&root, "DeleteAlias", json!({"AliasName": "alias/app"})));
    let r = h.kms(&root, "DeleteAlias", json!({"AliasName": "alias/app"}));
    err(&r, "NotFoundException");
    assert_eq!(
        r.message(),
        format!("Alias arn:aws:kms:us-east-1:{A}:alias/app is not found.")
    );
    err(
        &encrypt(&h, &root, "alias/app", b"x", json!({})),
        "NotFoundException",
    );

    // No alias for a key pending deletion.
    ok(&h.kms(&root, "ScheduleKeyDeletion", json!({ "KeyId": id2 })));
    err(
        &h.kms(
            &root,
            "CreateAlias",
            json!({"AliasName": "alias/late", "TargetKeyId": id2}),
        ),
        "KMSInvalidStateException",
    );
}

#[test]
fn re_encrypt_and_data_keys() {
    let h = Harness::new();
    let root = Harness::root(A);
    let (id1, arn1) = new_key(&h, &root, json!({}));
    let (id2, arn2) = new_key(&h, &root, json!({}));
    let blob =
        encrypt(&h, &root, &id1, b"payload", json!({"a": "1"})).body["CiphertextBlob"].clone();

    let r = h.kms(
        &root,
        "ReEncrypt",
        json!({"CiphertextBlob": blob, "SourceEncryptionContext": {"a": "1"}, "DestinationKeyId": id2, "DestinationEncryptionContext": {"b": "2"}}),
    );
    ok(&r);
    assert_eq!(
        (r.str("SourceKeyId"), r.str("KeyId")),
        (arn1.as_str(), arn2.as_str())
    );
    assert_eq!(r.str("SourceEncryptionAlgorithm"), "SYMMETRIC_DEFAULT");
    let moved = r.body["CiphertextBlob"].clone();
    let r = decrypt(&h, &root, &moved, json!({"b": "2"}));
    assert_eq!(
        (unb64(&r.body["Plaintext"]), r.str("KeyId")),
        (b"payload".to_vec(), arn2.as_str())
    );
    err(
        &h.kms(
            &root,
            "ReEncrypt",
            json!({"CiphertextBlob": blob, "DestinationKeyId": id2}),
        ),
        "InvalidCiphertextException",
    );
    err(
        &h.kms(&root, "ReEncrypt", json!({"CiphertextBlob": blob, "SourceKeyId": id2, "SourceEncryptionContext": {"a": "1"}, "DestinationKeyId": id2})),
        "IncorrectKeyException",
    );
    err(
        &h.kms(&root, "ReEncrypt", json!({"CiphertextBlob": blob})),
        "ValidationException",
    );

    for (input, len) in [
        (json!({"KeyId": id1, "KeySpec": "AES_256"}), 32),
        (json!({"KeyId": id1, "KeySpec": "AES_128"}), 16),
        (
            json!({"KeyId": id1, "NumberOfBytes": 64, "EncryptionContext": {"k": "v"}}),
            64,
        ),
    ] {
        let context = input["EncryptionContext"].clone();
        let context = if context.is_null() {
            json!({})
        } else {
            context
        };
        let r = h.kms(&root, "GenerateDataKey", input);
        ok(&r);
        assert_eq!(r.str("KeyId"), arn1);
        let plain = unb64(&r.body["Plaintext"]);
        assert_eq!(plain.len(), len);
        let d = decrypt(&h, &root, &r.body["CiphertextBlob"], context);
        assert_eq!(unb64(&d.body["Plaintext"]), plain);
    }
    let r = h.kms(
        &root,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": id1, "KeySpec": "AES_256"}),
    );
    ok(&r);
    assert!(r.body.get("Plaintext").is_none());
    assert_eq!(
        unb64(&decrypt(&h, &root, &r.body["CiphertextBlob"], json!({})).body["Plaintext"]).len(),
        32
    );
    for input in [
        json!({"KeyId": id1}),
        json!({"KeyId": id1, "KeySpec": "AES_256", "NumberOfBytes": 32}),
        json!({"KeyId": id1, "NumberOfBytes": 1025}),
        json!({"KeyId": id1, "KeySpec": "AES_512"}),
    ] {
        err(
            &h.kms(&root, "GenerateDataKey", input),
            "ValidationException",
        );
    }
    let r = h.kms(&root, "GenerateDataKey", json!({"KeyId": id1}));
    assert_eq!(
        r.message(),
        "Please specify either number of bytes or key spec."
    );
}

#[test]
fn key_policy_operations() {
    let h = Harness::new();
    let root = Harness::root(A);
    let (id, _) = new_key(&h, &root, json!({}));
    let custom = policy(&format!(
        r#"{},{{"Sid":"deny-decrypt","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}}"#,
        allow_root(A)
    ));
    ok(&h.kms(
        &root,
        "PutKeyPolicy",
        json!({"KeyId": id, "PolicyName": "default", "Policy": custom}),
    ));
    assert_eq!(
        h.kms(&root, "GetKeyPolicy", json!({ "KeyId": id }))
            .str("Policy"),
        custom
    );
    // The new policy is in force at once.
    let blob = encrypt(&h, &root, &id, b"x", json!({})).body["CiphertextBlob"].clone();
    err(
        &decrypt(&h, &root, &blob, json!({})),
        "AccessDeniedException",
    );

    err(
        &h.kms(&root, "PutKeyPolicy", json!({"KeyId": id, "Policy": "{"})),
        "MalformedPolicyDocumentException",
    );
    err(
        &h.kms(
            &root,
            "PutKeyPolicy",
            json!({"KeyId": id, "Policy": custom, "PolicyName": "other"}),
        ),
        "UnsupportedOperationException",
    );
    err(
        &h.kms(
            &root,
            "PutKeyPolicy",
            json!({"KeyId": id, "Policy": custom, "PolicyName": "bad name"}),
        ),
        "ValidationException",
    );
    err(
        &h.kms(&root, "PutKeyPolicy", json!({ "KeyId": id })),
        "ValidationException",
    );
    err(
        &h.kms(
            &root,
            "GetKeyPolicy",
            json!({"KeyId": id, "PolicyName": "other"}),
        ),
        "NotFoundException",
    );
    let locked = policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}"#,
    );
    let r = h.kms(
        &root,
        "PutKeyPolicy",
        json!({"KeyId": id, "Policy": locked}),
    );
    err(&r, "MalformedPolicyDocumentException");
    assert_eq!(
        r.message(),
        "The new key policy will not allow you to update the key policy in the future."
    );
    ok(&h.kms(
        &root,
        "PutKeyPolicy",
        json!({"KeyId": id, "Policy": locked, "BypassPolicyLockoutSafetyCheck": true}),
    ));
    // Locked out: even the account root is refused now, as on AWS.
    let r = h.kms(&root, "GetKeyPolicy", json!({ "KeyId": id }));
    err(&r, "AccessDeniedException");
    assert!(r
        .message()
        .ends_with("because no resource-based policy allows the kms:GetKeyPolicy action"));
}

#[test]
fn tags() {
    let h = Harness::new();
    let root = Harness::root(A);
    let (id, _) = new_key(
        &h,
        &root,
        json!({"Tags": [{"TagKey": "b", "TagValue": "1"}]}),
    );
    ok(&h.kms(&root, "TagResource", json!({"KeyId": id, "Tags": [{"TagKey": "a", "TagValue": "x"}, {"TagKey": "b", "TagValue": "2"}]})));
    let r = h.kms(&root, "ListResourceTags", json!({ "KeyId": id }));
    ok(&r);
    assert_eq!(
        r.body,
        json!({"Tags": [{"TagKey": "a", "TagValue": "x"}, {"TagKey": "b", "TagValue": "2"}], "Truncated": false})
    );
    let r = h.kms(&root, "ListResourceTags", json!({"KeyId": id, "Limit": 1}));
    assert_eq!(
        (r.body["Truncated"].clone(), r.str("NextMarker")),
        (json!(true), "a")
    );
    let r = h.kms(
        &root,
        "ListResourceTags",
        json!({"KeyId": id, "Limit": 1, "Marker": "a"}),
    );
    assert_eq!(r.body["Tags"], json!([{"TagKey": "b", "TagValue": "2"}]));
    ok(&h.kms(
        &root,
        "UntagResource",
        json!({"KeyId": id, "TagKeys": ["a", "absent"]}),
    ));
    let r = h.kms(&root, "ListResourceTags", json!({ "KeyId": id }));
    assert_eq!(r.body["Tags"], json!([{"TagKey": "b", "TagValue": "2"}]));
    let r = h.kms(
        &root,
        "TagResource",
        json!({"KeyId": id, "Tags": [{"TagKey": "aws:x", "TagValue": "v"}]}),
    );
    err(&r, "TagException");
    assert_eq!(r.message(), "Tags beginning with aws: are reserved");
    err(
        &h.kms(&root, "TagResource", json!({ "KeyId": id })),
        "ValidationException",
    );
    err(
        &h.kms(
            &root,
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "k"}]}),
        ),
        "ValidationException",
    );
    err(
        &h.kms(&root, "UntagResource", json!({ "KeyId": id })),
        "ValidationException",
    );
    let many: Vec<Value> = (0..51)
        .map(|i| json!({"TagKey": format!("k{i}"), "TagValue": "v"}))
        .collect();
    err(
        &h.kms(&root, "TagResource", json!({"KeyId": id, "Tags": many})),
        "LimitExceededException",
    );
}

#[test]
fn same_account_iam_policies_count_only_where_the_key_policy_names_the_account() {
    let h = Harness::new();
    let root = Harness::root(A);
    let alice = user(&h, A, "alice", ALLOW_KMS);
    let nobody = user(&h, A, "nobody", "");

    // Default key policy: IAM policies decide.
    let (id, arn) = new_key(&h, &root, json!({}));
    let r = encrypt(&h, &alice, &id, b"x", json!({}));
    ok(&r);
    let blob = r.body["CiphertextBlob"].clone();
    ok(&decrypt(&h, &alice, &blob, json!({})));
    let r = decrypt(&h, &nobody, &blob, json!({}));
    err(&r, "AccessDeniedException");
    assert_eq!(
        r.message(),
        format!("User: arn:aws:iam::{A}:user/nobody is not authorized to perform: kms:Decrypt on resource: {arn} because no identity-based policy allows the kms:Decrypt action")
    );

    // A key policy that does not name the account: an IAM allow is not enough.
    let only_b = policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}"#,
    );
    let (id2, arn2) = new_key(
        &h,
        &root,
        json!({"Policy": only_b, "BypassPolicyLockoutSafetyCheck": true}),
    );
    let r = encrypt(&h, &alice, &id2, b"x", json!({}));
    err(&r, "AccessDeniedException");
    assert_eq!(
        r.message(),
        format!("User: arn:aws:iam::{A}:user/alice is not authorized to perform: kms:Encrypt on resource: {arn2} because no resource-based policy allows the kms:Encrypt action")
    );
    // Not even the root user: the key policy must allow.
    err(
        &encrypt(&h, &root, &id2, b"x", json!({})),
        "AccessDeniedException",
    );

    // A key policy naming the user grants without any IAM policy.
    let names_nobody = policy(&format!(
        r#"{},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:user/nobody"}},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}}"#,
        allow_root(A)
    ));
    let (id3, _) = new_key(&h, &root, json!({ "Policy": names_nobody }));
    let blob3 = encrypt(&h, &nobody, &id3, b"x", json!({})).body["CiphertextBlob"].clone();
    ok(&decrypt(&h, &nobody, &blob3, json!({})));
    err(
        &h.kms(&nobody, "DescribeKey", json!({ "KeyId": id3 })),
        "AccessDeniedException",
    );

    // An explicit deny in an identity policy beats the key policy.
    let denied = user(
        &h,
        A,
        "denied",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#,
    );
    ok(&encrypt(&h, &denied, &id, b"x", json!({})));
    let r = decrypt(&h, &denied, &blob, json!({}));
    err(&r, "AccessDeniedException");
    assert!(r
        .message()
        .ends_with("with an explicit deny in an identity-based policy"));
}

#[test]
fn condition_keys() {
    let h = Harness::new();
    let root = Harness::root(A);
    let dev = user(&h, A, "dev", "");
    // Decrypt only with dept=it in the context; Encrypt only when the context has exactly
    // the key "dept"; both only from account A.
    let p = policy(&format!(
        r#"{},
        {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:user/dev"}},"Action":"kms:Decrypt","Resource":"*",
          "Condition":{{"StringEquals":{{"kms:EncryptionContext:dept":"it","kms:CallerAccount":"{A}"}}}}}},
        {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:user/dev"}},"Action":"kms:Encrypt","Resource":"*",
          "Condition":{{"ForAllValues:StringEquals":{{"kms:EncryptionContextKeys":["dept"]}},"Null":{{"kms:EncryptionContextKeys":"false"}}}}}},
        {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:user/dev"}},"Action":"kms:DescribeKey","Resource":"*",
          "Condition":{{"StringEquals":{{"kms:RequestAlias":"alias/dev"}}}}}}"#,
        allow_root(A)
    ));
    let (id, _) = new_key(&h, &root, json!({ "Policy": p }));
    ok(&h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/dev", "TargetKeyId": id}),
    ));
    let it = encrypt(&h, &dev, &id, b"x", json!({"dept": "it"}));
    ok(&it);
    let hr = encrypt(&h, &dev, &id, b"x", json!({"dept": "hr"}));
    ok(&hr);
    err(
        &encrypt(&h, &dev, &id, b"x", json!({})),
        "AccessDeniedException",
    );
    err(
        &encrypt(&h, &dev, &id, b"x", json!({"dept": "it", "other": "y"})),
        "AccessDeniedException",
    );
    ok(&decrypt(
        &h,
        &dev,
        &it.body["CiphertextBlob"],
        json!({"dept": "it"}),
    ));
    err(
        &decrypt(&h, &dev, &hr.body["CiphertextBlob"], json!({"dept": "hr"})),
        "AccessDeniedException",
    );
    ok(&h.kms(&dev, "DescribeKey", json!({"KeyId": "alias/dev"})));
    err(
        &h.kms(&dev, "DescribeKey", json!({ "KeyId": id })),
        "AccessDeniedException",
    );
}

#[test]
fn cross_account_needs_the_key_policy_and_the_identity_policy() {
    let h = Harness::new();
    let a_root = Harness::root(A);
    let with_iam = user(&h, B, "bob", ALLOW_KMS);
    let without_iam = user(&h, B, "eve", "");

    let trusts_b = policy(&format!(
        r#"{},{{"Sid":"b","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:root"}},"Action":["kms:Decrypt","kms:Encrypt","kms:DescribeKey","kms:GenerateDataKey","kms:ReEncrypt*"],"Resource":"*"}}"#,
        allow_root(A)
    ));
    let (id, arn) = new_key(&h, &a_root, json!({ "Policy": trusts_b }));
    ok(&h.kms(
        &a_root,
        "CreateAlias",
        json!({"AliasName": "alias/shared", "TargetKeyId": id}),
    ));
    let blob =
        encrypt(&h, &a_root, &id, b"for b", json!({"k": "v"})).body["CiphertextBlob"].clone();

    // Both sides allow: by key ARN or alias ARN, and Decrypt without KeyId.
    let r = decrypt(&h, &with_iam, &blob, json!({"k": "v"}));
    ok(&r);
    assert_eq!(
        (unb64(&r.body["Plaintext"]), r.str("KeyId")),
        (b"for b".to_vec(), arn.as_str())
    );
    ok(&h.kms(&with_iam, "DescribeKey", json!({ "KeyId": arn })));
    ok(&encrypt(
        &h,
        &with_iam,
        &format!("arn:aws:kms:us-east-1:{A}:alias/shared"),
        b"x",
        json!({}),
    ));
    ok(&h.kms(
        &with_iam,
        "GenerateDataKey",
        json!({"KeyId": arn, "KeySpec": "AES_256"}),
    ));
    // By id or alias name, B's own account is searched.
    err(
        &encrypt(&h, &with_iam, &id, b"x", json!({})),
        "NotFoundException",
    );
    err(
        &encrypt(&h, &with_iam, "alias/shared", b"x", json!({})),
        "NotFoundException",
    );
    // Operations the key policy does not grant to B.
    let r = h.kms(
        &with_iam,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": arn, "KeySpec": "AES_256"}),
    );
    err(&r, "AccessDeniedException");
    assert!(r.message().ends_with(
        "because no resource-based policy allows the kms:GenerateDataKeyWithoutPlaintext action"
    ));

    // The identity side missing: denied although the key policy names B.
    let r = decrypt(&h, &without_iam, &blob, json!({"k": "v"}));
    err(&r, "AccessDeniedException");
    assert_eq!(
        r.message(),
        format!("User: arn:aws:iam::{B}:user/eve is not authorized to perform: kms:Decrypt on resource: {arn} because no identity-based policy allows the kms:Decrypt action")
    );

    // The key policy side missing: denied although B's identity policy allows.
    ok(&h.kms(
        &a_root,
        "PutKeyPolicy",
        json!({"KeyId": id, "Policy": policy(&allow_root(A))}),
    ));
    let r = decrypt(&h, &with_iam, &blob, json!({"k": "v"}));
    err(&r, "AccessDeniedException");
    assert!(r
        .message()
        .ends_with("because no resource-based policy allows the kms:Decrypt action"));
}

/// The role session of `user` (who may assume it) on `role_arn`.
fn assume(h: &Harness, user: &Caller, role_arn: &str) -> Caller {
    let r = h.sts(
        user,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", role_arn),
            ("RoleSessionName", "ss"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let key = field(&r.body, "AccessKeyId").unwrap();
    let token = field(&r.body, "SessionToken").unwrap();
    let snap = h.state.catalog.snapshot();
    match Caller::lookup(&snap, &h.state.tokens, key, Some(token), NOW) {
        KeyLookup::Found { caller, .. } => std::sync::Arc::unwrap_or_clone(caller),
        _ => panic!("session not found"),
    }
}

#[test]
fn a_role_of_another_account_decrypts_when_the_key_policy_names_it() {
    let h = Harness::new();
    let a_root = Harness::root(A);
    let b_root = Harness::root(B);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let r = h.iam(
        &b_root,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "decryptor"),
            ("AssumeRolePolicyDocument", &trust),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = h.iam(
        &b_root,
        &[
            ("Action", "PutRolePolicy"),
            ("RoleName", "decryptor"),
            ("PolicyName", "kms"),
            ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let assumer = user(
        &h,
        B,
        "ops",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    );
    let role = assume(&h, &assumer, &format!("arn:aws:iam::{B}:role/decryptor"));

    let with_role = policy(&format!(
        r#"{},{{"Sid":"role","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:role/decryptor"}},"Action":"kms:Decrypt","Resource":"*"}}"#,
        allow_root(A)
    ));
    let (id, arn) = new_key(&h, &a_root, json!({ "Policy": with_role }));
    let blob = encrypt(&h, &a_root, &id, b"prod secret", json!({})).body["CiphertextBlob"].clone();
    let r = decrypt(&h, &role, &blob, json!({}));
    ok(&r);
    assert_eq!(unb64(&r.body["Plaintext"]), b"prod secret".to_vec());
    // The role encrypts nothing: the key policy grants Decrypt only.
    err(
        &encrypt(&h, &role, &arn, b"x", json!({})),
        "AccessDeniedException",
    );

    // Without the key policy statement: AccessDenied, although the role's policy allows.
    ok(&h.kms(
        &a_root,
        "PutKeyPolicy",
        json!({"KeyId": id, "Policy": policy(&allow_root(A))}),
    ));
    let r = decrypt(&h, &role, &blob, json!({}));
    err(&r, "AccessDeniedException");
    assert_eq!(
        r.message(),
        format!("User: arn:aws:sts::{B}:assumed-role/decryptor/ss is not authorized to perform: kms:Decrypt on resource: {arn} because no resource-based policy allows the kms:Decrypt action")
    );
}

/// Well-formed input for every operation, naming `key` (and its alias `alias/k`).
fn input_for(op: &str, key: &str, blob: &Value) -> Value {
    match op {
        "CreateAlias" => json!({"AliasName": "alias/new", "TargetKeyId": key}),
        "UpdateAlias" => json!({"AliasName": "alias/k", "TargetKeyId": key}),
        "DeleteAlias" => json!({"AliasName": "alias/k"}),
        "Encrypt" => json!({"KeyId": key, "Plaintext": "eA=="}),
        "Decrypt" => json!({ "CiphertextBlob": blob }),
        "ReEncrypt" => json!({"CiphertextBlob": blob, "DestinationKeyId": key}),
        "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
            json!({"KeyId": key, "KeySpec": "AES_256"})
        }
        "PutKeyPolicy" => json!({"KeyId": key, "Policy": policy(&allow_root(A))}),
        "TagResource" => json!({"KeyId": key, "Tags": [{"TagKey": "k", "TagValue": "v"}]}),
        "UntagResource" => json!({"KeyId": key, "TagKeys": ["k"]}),
        "CreateKey" | "ListKeys" | "ListAliases" => json!({}),
        _ => json!({ "KeyId": key }),
    }
}

#[test]
fn every_routed_operation_is_authorized() {
    let h = Harness::new();
    let root = Harness::root(A);
    let nobody = user(&h, A, "nobody", "");
    let (id, _) = new_key(&h, &root, json!({}));
    ok(&h.kms(
        &root,
        "CreateAlias",
        json!({"AliasName": "alias/k", "TargetKeyId": id}),
    ));
    let blob = encrypt(&h, &root, &id, b"x", json!({})).body["CiphertextBlob"].clone();
    let ops: Vec<&str> = super::operations().map(|(n, _)| n).collect();
    assert_eq!(ops.len(), 22);
    let mut failures = Vec::new();
    for op in ops {
        let r = h.kms(&nobody, op, input_for(op, &id, &blob));
        if (r.status, r.code()) != (400, "AccessDeniedException") {
            failures.push(format!("{op}: {} {}", r.status, r.body));
        }
        // And the same input succeeds for the root user (except deleting what others need).
        if !matches!(
            op,
            "DeleteAlias" | "ScheduleKeyDeletion" | "DisableKey" | "CancelKeyDeletion"
        ) {
            let r = h.kms(&root, op, input_for(op, &id, &blob));
            if r.status != 200 {
                failures.push(format!("{op} as root: {} {}", r.status, r.body));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn key_material_survives_reopening_the_store() {
    // The account row (with the key secret) is sealed at rest; a reopened catalog decrypts.
    let dir = tempfile::tempdir().unwrap();
    let master = rolegate_core::crypto::MasterKey::random();
    let open = || {
        let engine = rolegate_store::RedbEngine::open(&dir.path().join("db")).unwrap();
        rolegate_core::Catalog::open(std::sync::Arc::new(engine), &master).unwrap()
    };
    let state = |catalog| crate::ctx::State {
        catalog,
        tokens: rolegate_core::session::TokenSealer::new(&master),
        dev_mode: true,
        decisions: None,
        dynamodb: Harness::new().state.dynamodb,
    };
    let mut h = Harness::new();
    let catalog = open();
    catalog
        .create_account(rolegate_core::Account::new(A, A, NOW))
        .unwrap();
    h.state = state(catalog);
    let root = Harness::root(A);
    let (id, _) = new_key(&h, &root, json!({}));
    let blob = encrypt(&h, &root, &id, b"kept", json!({})).body["CiphertextBlob"].clone();
    drop(h);
    let mut h = Harness::new();
    h.state = state(open());
    assert_eq!(
        unb64(&decrypt(&h, &root, &blob, json!({})).body["Plaintext"]),
        b"kept".to_vec()
    );
}
