//! DynamoDB access control over real HTTP with aws-sdk-dynamodb: AccessDeniedException as the
//! SDK sees it, the ReadOnlyAccess managed policy, fine-grained access by partition key, and
//! the cross-account walkthroughs (an assumed role of another account, a resource policy with
//! the table named by ARN).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod dynamodb_support;

use common::{allow_user, policy_doc, user_with_key, Server};
use dynamodb_support::{create_table, err, key, root, s, A, B};

#[tokio::test(flavor = "multi_thread")]
async fn access_denied_and_the_read_only_managed_policy() {
    let server = Server::start();
    let db = root(&server, A);
    create_table(&db, "my-table").await;
    db.put_item()
        .table_name("my-table")
        .set_item(Some(key("a", 1)))
        .send()
        .await
        .unwrap();
    let iam = server.root_iam(A);
    let nobody = user_with_key(&iam, "nobody").await;
    let (code, message) = err(server
        .dynamodb(&nobody.id, &nobody.secret, None)
        .put_item()
        .table_name("my-table")
        .set_item(Some(key("a", 2)))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        "User: arn:aws:iam::111111111111:user/nobody is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111111111111:table/my-table because no identity-based policy allows the dynamodb:PutItem action"
    );

    let reader = user_with_key(&iam, "reader").await;
    iam.attach_user_policy()
        .user_name("reader")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let rdb = server.dynamodb(&reader.id, &reader.secret, None);
    let scan = rdb.scan().table_name("my-table").send().await.unwrap();
    assert_eq!(scan.count(), 1);
    rdb.get_item()
        .table_name("my-table")
        .set_key(Some(key("a", 1)))
        .send()
        .await
        .unwrap();
    rdb.query()
        .table_name("my-table")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("a"))
        .send()
        .await
        .unwrap();
    let (code, message) = err(rdb
        .put_item()
        .table_name("my-table")
        .set_item(Some(key("a", 2)))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    assert!(message.contains("dynamodb:PutItem"), "{message}");
    let (code, _) = err(rdb
        .delete_item()
        .table_name("my-table")
        .set_key(Some(key("a", 1)))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");

    // Fine-grained access: a user limited to the partition named after them.
    let alice = user_with_key(&iam, "alice").await;
    allow_user(
        &iam,
        "alice",
        "own-items",
        r#"{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:*:*:table/my-table","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:username}"]}}}"#,
    )
    .await;
    let adb = server.dynamodb(&alice.id, &alice.secret, None);
    adb.put_item()
        .table_name("my-table")
        .set_item(Some(key("alice", 1)))
        .send()
        .await
        .unwrap();
    let (code, _) = err(adb
        .put_item()
        .table_name("my-table")
        .set_item(Some(key("bob", 1)))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_account_through_an_assumed_role_and_a_resource_policy() {
    let server = Server::start();
    let a_db = root(&server, A);
    create_table(&a_db, "TestTable").await;
    let b_iam = server.root_iam(B);
    let dev = user_with_key(&b_iam, "dev").await;
    let a_iam = server.root_iam(A);
    let trust = policy_doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:root"}},"Action":"sts:AssumeRole"}}"#
    ));
    a_iam
        .create_role()
        .role_name("TableWriter")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    a_iam
        .put_role_policy()
        .role_name("TableWriter")
        .policy_name("write")
        .policy_document(policy_doc(&format!(
            r#"{{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:us-east-1:{A}:table/TestTable"}}"#
        )))
        .send()
        .await
        .unwrap();
    allow_user(
        &b_iam,
        "dev",
        "assume",
        &format!(
            r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::{A}:role/TableWriter"}},{{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#
        ),
    )
    .await;
    let creds = server
        .sts_of(&dev)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{A}:role/TableWriter"))
        .role_session_name("sess")
        .send()
        .await
        .unwrap();
    let c = creds.credentials().unwrap();
    let role_db = server.dynamodb(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    role_db
        .put_item()
        .table_name("TestTable")
        .set_item(Some(key("from-b", 1)))
        .send()
        .await
        .unwrap();
    let (code, message) = err(role_db
        .delete_item()
        .table_name("TestTable")
        .set_key(Some(key("from-b", 1)))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!("User: arn:aws:sts::{A}:assumed-role/TableWriter/sess is not authorized to perform: dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:{A}:table/TestTable because no identity-based policy allows the dynamodb:DeleteItem action")
    );

    // Directly by ARN: refused until the table's resource policy allows account B.
    let arn = format!("arn:aws:dynamodb:us-east-1:{A}:table/TestTable");
    let dev_db = server.dynamodb(&dev.id, &dev.secret, None);
    let get = || {
        dev_db
            .get_item()
            .table_name(&arn)
            .set_key(Some(key("from-b", 1)))
            .send()
    };
    let (code, _) = err(get().await);
    assert_eq!(code, "AccessDeniedException");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:user/dev"}},"Action":"dynamodb:GetItem","Resource":"{arn}"}}]}}"#
    );
    let put = a_db
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(&policy)
        .send()
        .await
        .unwrap();
    assert!(put.revision_id().is_some());
    let got = get().await.unwrap();
    assert_eq!(got.item().unwrap()["pk"], s("from-b"));
    let fetched = a_db
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.policy(), Some(policy.as_str()));
    let (code, _) = err(dev_db
        .put_item()
        .table_name(&arn)
        .set_item(Some(key("x", 1)))
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_keys_and_bad_signatures_are_refused_in_dynamodb_terms() {
    let server = Server::start();
    let db = root(&server, A);
    create_table(&db, "signed").await;
    let stranger = server.dynamodb("AKIAIOSFODNN7EXAMPLE", "secret", None);
    let (code, message) = err(stranger.list_tables().send().await);
    assert_eq!(code, "UnrecognizedClientException");
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );
    let iam = server.root_iam(A);
    let k = user_with_key(&iam, "signer").await;
    let forged = server.dynamodb(&k.id, "not-the-secret", None);
    let (code, _) = err(forged.list_tables().send().await);
    assert_eq!(code, "InvalidSignatureException");
}
