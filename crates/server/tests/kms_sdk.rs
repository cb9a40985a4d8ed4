//! KMS over real HTTP with the official AWS SDK for Rust (aws-sdk-kms): every operation and its
//! errors as a user of the SDK sees them, key-policy and identity-policy authorization in one
//! account and across accounts, and persistence of ciphertexts across a hard restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, KeySpec, KeyState, Tag};
use common::{allow_user, policy_doc, user_with_key, Keys, Server};

const A: &str = "111111111111";
const B: &str = "222222222222";
const REGION: &str = "us-east-1";
const PLAINTEXT: &[u8] = b"attack at dawn";

/// The error code and message of a failed call, which must be a service error.
fn err<T: std::fmt::Debug, E, R>(r: Result<T, SdkError<E, R>>) -> (String, String)
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let e = r.expect_err("the call should have failed");
    let se = e
        .as_service_error()
        .unwrap_or_else(|| panic!("not a service error: {e:?}"));
    (
        se.code().unwrap_or("").to_owned(),
        se.message().unwrap_or("").to_owned(),
    )
}

fn root(server: &Server, account: &str) -> aws_sdk_kms::Client {
    server.kms(account, "anything", None)
}

fn kms_of(server: &Server, k: &Keys) -> aws_sdk_kms::Client {
    server.kms(&k.id, &k.secret, None)
}

fn allow_root(account: &str) -> String {
    format!(
        r#"{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}"#
    )
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

fn key_arn(account: &str, id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{account}:key/{id}")
}

/// Creates a key with the default policy; returns (id, arn).
async fn new_key(kms: &aws_sdk_kms::Client) -> (String, String) {
    let out = kms.create_key().send().await.unwrap();
    let m = out.key_metadata().unwrap();
    (m.key_id().to_owned(), m.arn().unwrap().to_owned())
}

async fn encrypt_ctx(kms: &aws_sdk_kms::Client, key: &str, ctx: &[(&str, &str)]) -> Blob {
    let mut req = kms.encrypt().key_id(key).plaintext(Blob::new(PLAINTEXT));
    for (k, v) in ctx {
        req = req.encryption_context(*k, *v);
    }
    req.send().await.unwrap().ciphertext_blob().unwrap().clone()
}

fn decrypt_req(
    kms: &aws_sdk_kms::Client,
    blob: &Blob,
    ctx: &[(&str, &str)],
) -> aws_sdk_kms::operation::decrypt::builders::DecryptFluentBuilder {
    let mut req = kms.decrypt().ciphertext_blob(blob.clone());
    for (k, v) in ctx {
        req = req.encryption_context(*k, *v);
    }
    req
}

#[tokio::test(flavor = "multi_thread")]
async fn create_key_default_policy_given_policy_and_unsupported_spec() {
    let server = Server::start();
    let kms = root(&server, A);

    let out = kms
        .create_key()
        .description("orders")
        .tags(tag("team", "core"))
        .send()
        .await
        .unwrap();
    let m = out.key_metadata().unwrap();
    let id = m.key_id();
    assert_eq!(m.arn(), Some(key_arn(A, id).as_str()));
    assert_eq!(m.aws_account_id(), Some(A));
    assert_eq!(m.key_state(), Some(&KeyState::Enabled));
    assert!(m.enabled());
    assert_eq!(m.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(
        m.key_usage(),
        Some(&aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
    );
    assert_eq!(m.description(), Some("orders"));
    assert!(m.creation_date().is_some());

    // The default key policy gives the account's root user every KMS action.
    let p = kms.get_key_policy().key_id(id).send().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(p.policy().unwrap()).unwrap();
    assert_eq!(
        doc["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{A}:root")
    );
    assert_eq!(doc["Statement"][0]["Action"], "kms:*");

    // A policy given at creation is the key's policy.
    let given = policy_doc(&allow_root(A));
    let out = kms.create_key().policy(&given).send().await.unwrap();
    let id2 = out.key_metadata().unwrap().key_id().to_owned();
    let p = kms
        .get_key_policy()
        .key_id(&id2)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    let got: serde_json::Value = serde_json::from_str(p.policy().unwrap()).unwrap();
    let want: serde_json::Value = serde_json::from_str(&given).unwrap();
    assert_eq!(got, want);

    // A policy that would lock the caller out is refused.
    let (code, message) = err(kms
        .create_key()
        .policy(policy_doc(
            &allow_root(B).replace("Enable IAM User Permissions", "b"),
        ))
        .send()
        .await);
    assert_eq!(code, "MalformedPolicyDocumentException");
    assert_eq!(
        message,
        "The new key policy will not allow you to update the key policy in the future."
    );
    let (code, _) = err(kms.create_key().policy("{").send().await);
    assert_eq!(code, "MalformedPolicyDocumentException");

    // Only symmetric encryption keys.
    let (code, message) = err(kms.create_key().key_spec(KeySpec::Rsa2048).send().await);
    assert_eq!(code, "UnsupportedOperationException");
    assert_eq!(
        message,
        "KeySpec RSA_2048 is not supported: this endpoint creates SYMMETRIC_DEFAULT encryption keys only."
    );
    // Nothing was created by the failed calls.
    let keys = kms.list_keys().send().await.unwrap();
    assert_eq!(keys.keys().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_key_by_id_arn_alias_and_alias_arn_and_list_keys() {
    let server = Server::start();
    let kms = root(&server, A);
    let (id, arn) = new_key(&kms).await;
    kms.create_alias()
        .alias_name("alias/orders")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let alias_arn = format!("arn:aws:kms:{REGION}:{A}:alias/orders");
    for by in [
        id.as_str(),
        arn.as_str(),
        "alias/orders",
        alias_arn.as_str(),
    ] {
        let out = kms.describe_key().key_id(by).send().await.unwrap();
        let m = out.key_metadata().unwrap();
        assert_eq!(m.arn(), Some(arn.as_str()), "{by}");
        assert_eq!(m.key_id(), id, "{by}");
    }

    let (code, message) = err(kms.describe_key().key_id("alias/missing").send().await);
    assert_eq!(code, "NotFoundException");
    assert_eq!(
        message,
        format!("Alias arn:aws:kms:{REGION}:{A}:alias/missing is not found.")
    );
    let missing = "0b0e6f9a-1111-4222-8333-444455556666";
    let (code, message) = err(kms.describe_key().key_id(missing).send().await);
    assert_eq!(code, "NotFoundException");
    assert_eq!(
        message,
        format!("Key '{}' does not exist", key_arn(A, missing))
    );

    // ListKeys, one page and then paginated by Marker.
    let mut ids = vec![id.clone()];
    for _ in 0..3 {
        ids.push(new_key(&kms).await.0);
    }
    let all = kms.list_keys().send().await.unwrap();
    assert!(!all.truncated());
    let mut listed: Vec<String> = all
        .keys()
        .iter()
        .map(|k| {
            let kid = k.key_id().unwrap().to_owned();
            assert_eq!(k.key_arn(), Some(key_arn(A, &kid).as_str()));
            kid
        })
        .collect();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);

    let first = kms.list_keys().limit(2).send().await.unwrap();
    assert_eq!(first.keys().len(), 2);
    assert!(first.truncated());
    let marker = first.next_marker().unwrap();
    let second = kms
        .list_keys()
        .limit(2)
        .marker(marker)
        .send()
        .await
        .unwrap();
    assert_eq!(second.keys().len(), 2);
    assert!(!second.truncated());
    let mut paged: Vec<String> = first
        .keys()
        .iter()
        .chain(second.keys())
        .map(|k| k.key_id().unwrap().to_owned())
        .collect();
    paged.sort();
    assert_eq!(paged, ids);

    // The other account sees none of them.
    let b = root(&server, B);
    assert!(b.list_keys().send().await.unwrap().keys().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn disable_enable_and_key_deletion_states() {
    let server = Server::start();
    let kms = root(&server, A);
    let (id, arn) = new_key(&kms).await;
    let blob = encrypt_ctx(&kms, &id, &[]).await;

    kms.disable_key().key_id(&id).send().await.unwrap();
    let m = kms.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        m.key_metadata().unwrap().key_state(),
        Some(&KeyState::Disabled)
    );
    assert!(!m.key_metadata().unwrap().enabled());
    let (code, message) = err(kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "DisabledException");
    assert_eq!(message, format!("{arn} is disabled."));
    let (code, _) = err(kms.decrypt().ciphertext_blob(blob.clone()).send().await);
    assert_eq!(code, "DisabledException");

    kms.enable_key().key_id(&id).send().await.unwrap();
    let m = kms.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        m.key_metadata().unwrap().key_state(),
        Some(&KeyState::Enabled)
    );
    let out = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), PLAINTEXT);

    // Pending deletion.
    let (code, _) = err(kms
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(3)
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    let s = kms
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(s.key_id(), Some(arn.as_str()));
    assert_eq!(s.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(s.pending_window_in_days(), Some(7));
    assert!(s.deletion_date().is_some());
    let m = kms.describe_key().key_id(&id).send().await.unwrap();
    let m = m.key_metadata().unwrap();
    assert_eq!(m.key_state(), Some(&KeyState::PendingDeletion));
    assert!(m.deletion_date().is_some());

    let (code, message) = err(kms.decrypt().ciphertext_blob(blob.clone()).send().await);
    assert_eq!(code, "KMSInvalidStateException");
    assert_eq!(message, format!("{arn} is pending deletion."));
    let (code, message) = err(kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "KMSInvalidStateException");
    assert_eq!(message, format!("{arn} is pending deletion."));
    let (code, _) = err(kms.enable_key().key_id(&id).send().await);
    assert_eq!(code, "KMSInvalidStateException");

    // Cancelling leaves the key disabled.
    let c = kms.cancel_key_deletion().key_id(&id).send().await.unwrap();
    assert_eq!(c.key_id(), Some(arn.as_str()));
    let m = kms.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        m.key_metadata().unwrap().key_state(),
        Some(&KeyState::Disabled)
    );
    let (code, message) = err(kms.cancel_key_deletion().key_id(&id).send().await);
    assert_eq!(code, "KMSInvalidStateException");
    assert_eq!(message, format!("{arn} is not pending deletion."));
    kms.enable_key().key_id(&id).send().await.unwrap();
    let out = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), PLAINTEXT);

    // Missing keys.
    let missing = "0b0e6f9a-1111-4222-8333-444455556666";
    let (code, _) = err(kms.disable_key().key_id(missing).send().await);
    assert_eq!(code, "NotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn aliases_create_update_delete_list() {
    let server = Server::start();
    let kms = root(&server, A);
    let (id, _) = new_key(&kms).await;
    let (other, other_arn) = new_key(&kms).await;

    kms.create_alias()
        .alias_name("alias/orders")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let (code, message) = err(kms
        .create_alias()
        .alias_name("alias/orders")
        .target_key_id(&other)
        .send()
        .await);
    assert_eq!(code, "AlreadyExistsException");
    assert_eq!(
        message,
        format!("An alias with the name arn:aws:kms:{REGION}:{A}:alias/orders already exists")
    );
    let (code, _) = err(kms
        .create_alias()
        .alias_name("orders")
        .target_key_id(&id)
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    let (code, _) = err(kms
        .create_alias()
        .alias_name("alias/x")
        .target_key_id("0b0e6f9a-1111-4222-8333-444455556666")
        .send()
        .await);
    assert_eq!(code, "NotFoundException");

    let listed = kms.list_aliases().key_id(&id).send().await.unwrap();
    let names: Vec<&str> = listed
        .aliases()
        .iter()
        .map(|a| a.alias_name().unwrap())
        .collect();
    assert_eq!(names, ["alias/orders"]);
    let a = &listed.aliases()[0];
    assert_eq!(a.target_key_id(), Some(id.as_str()));
    assert_eq!(
        a.alias_arn(),
        Some(format!("arn:aws:kms:{REGION}:{A}:alias/orders").as_str())
    );

    // UpdateAlias moves it to another key.
    kms.update_alias()
        .alias_name("alias/orders")
        .target_key_id(&other)
        .send()
        .await
        .unwrap();
    let d = kms
        .describe_key()
        .key_id("alias/orders")
        .send()
        .await
        .unwrap();
    assert_eq!(d.key_metadata().unwrap().arn(), Some(other_arn.as_str()));
    assert!(kms
        .list_aliases()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .aliases()
        .is_empty());
    let (code, _) = err(kms
        .update_alias()
        .alias_name("alias/missing")
        .target_key_id(&id)
        .send()
        .await);
    assert_eq!(code, "NotFoundException");

    // Encrypt by alias reports the key's ARN.
    let e = kms
        .encrypt()
        .key_id("alias/orders")
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(e.key_id(), Some(other_arn.as_str()));

    // All aliases of the account.
    kms.create_alias()
        .alias_name("alias/second")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let all = kms.list_aliases().send().await.unwrap();
    let mut names: Vec<&str> = all
        .aliases()
        .iter()
        .filter_map(|a| a.alias_name())
        .filter(|n| !n.starts_with("alias/aws/"))
        .collect();
    names.sort();
    assert_eq!(names, ["alias/orders", "alias/second"]);

    kms.delete_alias()
        .alias_name("alias/orders")
        .send()
        .await
        .unwrap();
    let (code, message) = err(kms.delete_alias().alias_name("alias/orders").send().await);
    assert_eq!(code, "NotFoundException");
    assert_eq!(
        message,
        format!("Alias arn:aws:kms:{REGION}:{A}:alias/orders is not found.")
    );
    let (code, _) = err(kms.describe_key().key_id("alias/orders").send().await);
    assert_eq!(code, "NotFoundException");
    // The key itself remains.
    let d = kms.describe_key().key_id(&other).send().await.unwrap();
    assert_eq!(
        d.key_metadata().unwrap().key_state(),
        Some(&KeyState::Enabled)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn encrypt_decrypt_with_context_and_tampering() {
    let server = Server::start();
    let kms = root(&server, A);
    let (id, arn) = new_key(&kms).await;
    let ctx = [("purpose", "e2e"), ("dept", "it")];

    let e = kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(PLAINTEXT))
        .encryption_context("purpose", "e2e")
        .encryption_context("dept", "it")
        .send()
        .await
        .unwrap();
    assert_eq!(e.key_id(), Some(arn.as_str()));
    assert_eq!(
        e.encryption_algorithm(),
        Some(&aws_sdk_kms::types::EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let blob = e.ciphertext_blob().unwrap().clone();
    assert_ne!(blob.as_ref(), PLAINTEXT);

    // Decrypt without KeyId: the ciphertext names its key.
    let d = decrypt_req(&kms, &blob, &ctx).send().await.unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), PLAINTEXT);
    assert_eq!(d.key_id(), Some(arn.as_str()));
    // Context order does not matter.
    let d = decrypt_req(&kms, &blob, &[("dept", "it"), ("purpose", "e2e")])
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), PLAINTEXT);
    // With the right KeyId too.
    let d = decrypt_req(&kms, &blob, &ctx)
        .key_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), PLAINTEXT);

    // Wrong, partial or missing context.
    for wrong in [
        &[("purpose", "e2e")][..],
        &[("purpose", "e2e"), ("dept", "hr")][..],
        &[][..],
    ] {
        let (code, _) = err(decrypt_req(&kms, &blob, wrong).send().await);
        assert_eq!(code, "InvalidCiphertextException", "{wrong:?}");
    }

    // A tampered blob, at the end and at the start of the sealed part.
    let mut bytes = blob.clone().into_inner();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let (code, _) = err(decrypt_req(&kms, &Blob::new(bytes), &ctx).send().await);
    assert_eq!(code, "InvalidCiphertextException");
    let (code, _) = err(
        decrypt_req(&kms, &Blob::new(b"not a ciphertext".to_vec()), &ctx)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidCiphertextException");

    // A KeyId that is not the ciphertext's key.
    let (_, other_arn) = new_key(&kms).await;
    let (code, _) = err(decrypt_req(&kms, &blob, &ctx)
        .key_id(&other_arn)
        .send()
        .await);
    assert_eq!(code, "IncorrectKeyException");

    // Encrypt errors.
    let (code, _) = err(kms
        .encrypt()
        .key_id("alias/missing")
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "NotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn re_encrypt_and_data_keys() {
    let server = Server::start();
    let kms = root(&server, A);
    let (id, arn) = new_key(&kms).await;
    let (other, other_arn) = new_key(&kms).await;
    let blob = encrypt_ctx(&kms, &id, &[("a", "1")]).await;

    let re = kms
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .source_encryption_context("a", "1")
        .destination_key_id(&other)
        .destination_encryption_context("moved", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(re.source_key_id(), Some(arn.as_str()));
    assert_eq!(re.key_id(), Some(other_arn.as_str()));
    let moved = re.ciphertext_blob().unwrap().clone();
    let d = decrypt_req(&kms, &moved, &[("moved", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), PLAINTEXT);
    assert_eq!(d.key_id(), Some(other_arn.as_str()));
    let (code, _) = err(decrypt_req(&kms, &moved, &[("a", "1")]).send().await);
    assert_eq!(code, "InvalidCiphertextException");
    // ReEncrypt with the wrong source context.
    let (code, _) = err(kms
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .source_encryption_context("a", "2")
        .destination_key_id(&other)
        .send()
        .await);
    assert_eq!(code, "InvalidCiphertextException");

    // GenerateDataKey: the plaintext decrypts back from the CiphertextBlob.
    let dk = kms
        .generate_data_key()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .encryption_context("f", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(dk.key_id(), Some(arn.as_str()));
    let plain = dk.plaintext().unwrap().as_ref().to_vec();
    assert_eq!(plain.len(), 32);
    let d = decrypt_req(&kms, dk.ciphertext_blob().unwrap(), &[("f", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), plain.as_slice());
    let (code, _) = err(decrypt_req(&kms, dk.ciphertext_blob().unwrap(), &[])
        .send()
        .await);
    assert_eq!(code, "InvalidCiphertextException");
    let dk16 = kms
        .generate_data_key()
        .key_id(&id)
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();
    assert_eq!(dk16.plaintext().unwrap().as_ref().len(), 16);
    let (code, message) = err(kms.generate_data_key().key_id(&id).send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Please specify either number of bytes or key spec."
    );

    // Without plaintext: only the ciphertext comes back, and it decrypts to a key.
    let np = kms
        .generate_data_key_without_plaintext()
        .key_id("alias/none-yet")
        .key_spec(DataKeySpec::Aes128)
        .send()
        .await;
    assert_eq!(err(np).0, "NotFoundException");
    let np = kms
        .generate_data_key_without_plaintext()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes128)
        .send()
        .await
        .unwrap();
    assert_eq!(np.key_id(), Some(arn.as_str()));
    let d = kms
        .decrypt()
        .ciphertext_blob(np.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref().len(), 16);
    assert_eq!(d.key_id(), Some(arn.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn key_policies_and_tags() {
    let server = Server::start();
    let kms = root(&server, A);
    let (id, _) = new_key(&kms).await;

    let names = kms.list_key_policies().key_id(&id).send().await.unwrap();
    assert_eq!(names.policy_names(), ["default"]);

    let (code, _) = err(kms
        .put_key_policy()
        .key_id(&id)
        .policy_name("default")
        .policy("{")
        .send()
        .await);
    assert_eq!(code, "MalformedPolicyDocumentException");
    let (code, message) = err(kms
        .put_key_policy()
        .key_id(&id)
        .policy_name("default")
        .policy(policy_doc(&allow_root(B)))
        .send()
        .await);
    assert_eq!(code, "MalformedPolicyDocumentException");
    assert_eq!(
        message,
        "The new key policy will not allow you to update the key policy in the future."
    );
    let (code, _) = err(kms
        .put_key_policy()
        .key_id(&id)
        .policy_name("other")
        .policy(policy_doc(&allow_root(A)))
        .send()
        .await);
    assert_eq!(code, "UnsupportedOperationException");

    let new_policy = policy_doc(&format!(
        "{},{}",
        allow_root(A),
        r#"{"Sid":"extra","Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:blocked":"yes"}}}"#
    ));
    kms.put_key_policy()
        .key_id(&id)
        .policy_name("default")
        .policy(&new_policy)
        .send()
        .await
        .unwrap();
    let got = kms.get_key_policy().key_id(&id).send().await.unwrap();
    let got: serde_json::Value = serde_json::from_str(got.policy().unwrap()).unwrap();
    let want: serde_json::Value = serde_json::from_str(&new_policy).unwrap();
    assert_eq!(got, want);
    // The new policy is in force.
    let (code, _) = err(kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .encryption_context("blocked", "yes")
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    encrypt_ctx(&kms, &id, &[("blocked", "no")]).await;

    // Tags.
    assert!(kms
        .list_resource_tags()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .tags()
        .is_empty());
    kms.tag_resource()
        .key_id(&id)
        .tags(tag("team", "core"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let pairs = |t: &[Tag]| -> Vec<(String, String)> {
        t.iter()
            .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
            .collect()
    };
    let tags = kms.list_resource_tags().key_id(&id).send().await.unwrap();
    assert_eq!(
        pairs(tags.tags()),
        [
            ("env".to_owned(), "prod".to_owned()),
            ("team".to_owned(), "core".to_owned())
        ]
    );
    // Tagging an existing key overwrites its value.
    kms.tag_resource()
        .key_id(&id)
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    kms.untag_resource()
        .key_id(&id)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = kms.list_resource_tags().key_id(&id).send().await.unwrap();
    assert_eq!(pairs(tags.tags()), [("env".to_owned(), "dev".to_owned())]);
    let (code, _) = err(kms
        .tag_resource()
        .key_id(&id)
        .tags(tag("aws:x", "v"))
        .send()
        .await);
    assert_eq!(code, "TagException");
    let (code, _) = err(kms
        .list_resource_tags()
        .key_id("0b0e6f9a-1111-4222-8333-444455556666")
        .send()
        .await);
    assert_eq!(code, "NotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn same_account_user_needs_key_policy_naming_the_account() {
    let server = Server::start();
    let kms = root(&server, A);
    let iam = server.root_iam(A);
    let alice = user_with_key(&iam, "alice").await;
    allow_user(
        &iam,
        "alice",
        "kms",
        r#"{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}"#,
    )
    .await;
    let nobody = user_with_key(&iam, "nobody").await;
    let alice_kms = kms_of(&server, &alice);
    let nobody_kms = kms_of(&server, &nobody);

    // Default key policy: the IAM policy decides.
    let (id, arn) = new_key(&kms).await;
    let e = alice_kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(PLAINTEXT))
        .send()
        .await
        .unwrap();
    let blob = e.ciphertext_blob().unwrap().clone();
    assert_eq!(e.key_id(), Some(arn.as_str()));
    let d = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), PLAINTEXT);
    // Her policy allows only kms:Encrypt.
    let (code, message) = err(alice_kms.decrypt().ciphertext_blob(blob).send().await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!("User: arn:aws:iam::{A}:user/alice is not authorized to perform: kms:Decrypt on resource: {arn} because no identity-based policy allows the kms:Decrypt action")
    );
    let (code, _) = err(nobody_kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");

    // A key policy that does not name account A: the IAM allow is not enough.
    let only_b = policy_doc(&allow_root(B));
    let out = kms
        .create_key()
        .policy(only_b)
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap();
    let m = out.key_metadata().unwrap();
    let (id2, arn2) = (m.key_id().to_owned(), m.arn().unwrap().to_owned());
    let (code, message) = err(alice_kms
        .encrypt()
        .key_id(&id2)
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!("User: arn:aws:iam::{A}:user/alice is not authorized to perform: kms:Encrypt on resource: {arn2} because no resource-based policy allows the kms:Encrypt action")
    );
    // Not even the root user.
    let (code, _) = err(kms
        .encrypt()
        .key_id(&id2)
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_account_role_needs_key_policy_and_identity_policy() {
    let server = Server::start();
    let a_kms = root(&server, A);
    let (_, arn) = new_key(&a_kms).await;
    let ctx = [("purpose", "x-account")];
    let blob = encrypt_ctx(&a_kms, &arn, &ctx).await;

    // In B: bob may assume two roles; "decryptor" may kms:Decrypt, "bare" may not.
    let b_iam = server.root_iam(B);
    let bob = user_with_key(&b_iam, "bob").await;
    allow_user(
        &b_iam,
        "bob",
        "assume",
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
    )
    .await;
    let trust = policy_doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:root"}},"Action":"sts:AssumeRole"}}"#
    ));
    for role in ["decryptor", "bare"] {
        b_iam
            .create_role()
            .role_name(role)
            .assume_role_policy_document(&trust)
            .send()
            .await
            .unwrap();
    }
    b_iam
        .put_role_policy()
        .role_name("decryptor")
        .policy_name("kms")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let bob_sts = server.sts_of(&bob);
    let mut roles = Vec::new();
    for role in ["decryptor", "bare"] {
        let out = bob_sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{B}:role/{role}"))
            .role_session_name("sdk")
            .send()
            .await
            .unwrap();
        let c = out.credentials().unwrap();
        roles.push(server.kms(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
        ));
    }
    let (decryptor, bare) = (&roles[0], &roles[1]);

    // Neither side: the default key policy names only A.
    let (code, message) = err(decrypt_req(decryptor, &blob, &ctx).send().await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!("User: arn:aws:sts::{B}:assumed-role/decryptor/sdk is not authorized to perform: kms:Decrypt on resource: {arn} because no resource-based policy allows the kms:Decrypt action")
    );

    // The key policy names both roles.
    let statement = format!(
        r#"{{"Sid":"roles","Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{B}:role/decryptor","arn:aws:iam::{B}:role/bare"]}},"Action":"kms:Decrypt","Resource":"*"}}"#
    );
    a_kms
        .put_key_policy()
        .key_id(&arn)
        .policy_name("default")
        .policy(policy_doc(&format!("{},{statement}", allow_root(A))))
        .send()
        .await
        .unwrap();
    // Both sides allow: it decrypts A's ciphertext.
    let d = decrypt_req(decryptor, &blob, &ctx).send().await.unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), PLAINTEXT);
    assert_eq!(d.key_id(), Some(arn.as_str()));
    // Key policy yes, identity policy no.
    let (code, message) = err(decrypt_req(bare, &blob, &ctx).send().await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!("User: arn:aws:sts::{B}:assumed-role/bare/sdk is not authorized to perform: kms:Decrypt on resource: {arn} because no identity-based policy allows the kms:Decrypt action")
    );
    // The key policy grants only kms:Decrypt.
    let (code, _) = err(decryptor
        .encrypt()
        .key_id(&arn)
        .plaintext(Blob::new("x"))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    // bob himself is not named.
    let (code, _) = err(decrypt_req(&kms_of(&server, &bob), &blob, &ctx)
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");

    // Identity policy yes, key policy no (statement removed again).
    a_kms
        .put_key_policy()
        .key_id(&arn)
        .policy_name("default")
        .policy(policy_doc(&allow_root(A)))
        .send()
        .await
        .unwrap();
    let (code, message) = err(decrypt_req(decryptor, &blob, &ctx).send().await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!("User: arn:aws:sts::{B}:assumed-role/decryptor/sdk is not authorized to perform: kms:Decrypt on resource: {arn} because no resource-based policy allows the kms:Decrypt action")
    );
    // A's root is unaffected.
    let d = decrypt_req(&a_kms, &blob, &ctx).send().await.unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), PLAINTEXT);
}

#[tokio::test(flavor = "multi_thread")]
async fn authentication_errors_in_kms_terms() {
    let server = Server::start();
    let bob = user_with_key(&server.root_iam(A), "bob").await;
    let (code, _) = err(server
        .kms(&bob.id, "wrong-secret", None)
        .list_keys()
        .send()
        .await);
    assert_eq!(code, "InvalidSignatureException");
    let (code, _) = err(server
        .kms("AKIAIOSFODNN7EXAMPLE", "x", None)
        .list_keys()
        .send()
        .await);
    assert_eq!(code, "UnrecognizedClientException");
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_and_ciphertexts_survive_a_hard_restart() {
    let mut server = Server::start();
    let (id, arn, blob) = {
        let kms = root(&server, A);
        let (id, arn) = new_key(&kms).await;
        kms.create_alias()
            .alias_name("alias/kept")
            .target_key_id(&id)
            .send()
            .await
            .unwrap();
        kms.tag_resource()
            .key_id(&id)
            .tags(tag("k", "v"))
            .send()
            .await
            .unwrap();
        let blob = encrypt_ctx(&kms, "alias/kept", &[("c", "1")]).await;
        (id, arn, blob)
    };

    server.kill_and_restart();

    let kms = root(&server, A);
    let d = decrypt_req(&kms, &blob, &[("c", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), PLAINTEXT);
    assert_eq!(d.key_id(), Some(arn.as_str()));
    let m = kms
        .describe_key()
        .key_id("alias/kept")
        .send()
        .await
        .unwrap();
    assert_eq!(m.key_metadata().unwrap().key_id(), id);
    let tags = kms.list_resource_tags().key_id(&id).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].tag_key(), "k");
    let (code, _) = err(decrypt_req(&kms, &blob, &[("c", "2")]).send().await);
    assert_eq!(code, "InvalidCiphertextException");
}
