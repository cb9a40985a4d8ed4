//! The measured operations, and the request template of each once a fixture exists.

use crate::fixture::Fixture;
use crate::template::{Creds, Template};
use bytes::Bytes;
use http::Method;
use std::sync::Arc;

/// The external id the cross-account role's trust policy requires.
pub const EXTERNAL_ID: &str = "XX9812DDF2V";
/// The object read by GetObject and the size of every object written.
pub const OBJECT_KEY: &str = "obj-4k";
pub const OBJECT_SIZE: usize = 4096;
/// The item read by GetItem.
pub const ITEM_KEY: &str = "item-1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    GetCallerIdentity,
    AssumeRole,
    GetRole,
    CreateUser,
    S3GetObject,
    S3PutObject,
    DynamoGetItem,
    DynamoPutItem,
    KmsDecrypt,
}

impl Op {
    pub const ALL: [Op; 9] = [
        Op::GetCallerIdentity,
        Op::AssumeRole,
        Op::GetRole,
        Op::CreateUser,
        Op::S3GetObject,
        Op::S3PutObject,
        Op::DynamoGetItem,
        Op::DynamoPutItem,
        Op::KmsDecrypt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::GetCallerIdentity => "get-caller-identity",
            Op::AssumeRole => "assume-role",
            Op::GetRole => "get-role",
            Op::CreateUser => "create-user",
            Op::S3GetObject => "s3-get-object",
            Op::S3PutObject => "s3-put-object",
            Op::DynamoGetItem => "dynamodb-get-item",
            Op::DynamoPutItem => "dynamodb-put-item",
            Op::KmsDecrypt => "kms-decrypt",
        }
    }

    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == name)
    }

    /// What the targets call a read (p99 < 5 ms at 64 connections).
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Op::GetCallerIdentity
                | Op::AssumeRole
                | Op::GetRole
                | Op::S3GetObject
                | Op::DynamoGetItem
                | Op::KmsDecrypt
        )
    }

    /// The request template measured for this op on connection `conn`, or why the target
    /// cannot run it. Writes go to one object or item per connection: concurrent overwrites
    /// of one key measure the lock on that key, not the service (and moto fails on them).
    pub fn template(self, f: &Fixture, conn: usize) -> Result<Template, String> {
        let user = f.user.as_ref().map_err(Clone::clone)?;
        match self {
            Op::GetCallerIdentity => {
                Template::query("sts", "Action=GetCallerIdentity&Version=2011-06-15", user)
            }
            Op::AssumeRole => {
                let role = f.cross_role.as_ref().map_err(Clone::clone)?;
                Template::query("sts", &assume_role_form(role), user)
            }
            Op::GetRole => {
                let role = f.local_role.as_ref().map_err(Clone::clone)?;
                Template::query(
                    "iam",
                    &format!("Action=GetRole&Version=2010-05-08&RoleName={role}"),
                    user,
                )
            }
            Op::CreateUser => {
                let writers = f.writers.as_ref().map_err(Clone::clone)?;
                let writer = writers
                    .get(conn % writers.len().max(1))
                    .ok_or("no writer accounts")?;
                Template::create_user(&format!("{}-new", f.prefix), writer)
            }
            Op::S3GetObject => {
                let bucket = f.bucket.as_ref().map_err(Clone::clone)?;
                Template::s3(
                    Method::GET,
                    &format!("/{bucket}/{OBJECT_KEY}"),
                    Bytes::new(),
                    user,
                )
            }
            Op::S3PutObject => {
                let bucket = f.bucket.as_ref().map_err(Clone::clone)?;
                Template::s3(
                    Method::PUT,
                    &format!("/{bucket}/put-4k-{conn}"),
                    object_body(),
                    user,
                )
            }
            Op::DynamoGetItem => {
                let table = f.table.as_ref().map_err(Clone::clone)?;
                dynamo(
                    "GetItem",
                    &serde_json::json!({"TableName": table, "Key": {"pk": {"S": ITEM_KEY}}}),
                    user,
                )
            }
            Op::DynamoPutItem => {
                let table = f.table.as_ref().map_err(Clone::clone)?;
                dynamo("PutItem", &item(table, &format!("put-{conn}")), user)
            }
            Op::KmsDecrypt => {
                let blob = f.ciphertext.as_ref().map_err(Clone::clone)?;
                kms(
                    "Decrypt",
                    &serde_json::json!({"CiphertextBlob": blob}),
                    user,
                )
            }
        }
    }
}

/// The form of the cross-account AssumeRole (role ARN already known).
pub fn assume_role_form(role_arn: &str) -> String {
    let arn = role_arn.replace(':', "%3A").replace('/', "%2F");
    format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={arn}&RoleSessionName=loadgen&ExternalId={EXTERNAL_ID}"
    )
}

/// 4 KiB of printable bytes.
pub fn object_body() -> Bytes {
    Bytes::from(
        (0..OBJECT_SIZE)
            .map(|i| b'a' + (i % 26) as u8)
            .collect::<Vec<u8>>(),
    )
}

/// A DynamoDB item of about 200 bytes.
pub fn item(table: &str, pk: &str) -> serde_json::Value {
    serde_json::json!({
        "TableName": table,
        "Item": {
            "pk": {"S": pk},
            "owner": {"S": "arn:aws:iam::111111111111:user/loadgen"},
            "count": {"N": "42"},
            "payload": {"S": "x".repeat(128)},
        }
    })
}

pub fn dynamo(op: &str, body: &serde_json::Value, creds: &Arc<Creds>) -> Result<Template, String> {
    Template::json(
        "dynamodb",
        "1.0",
        &format!("DynamoDB_20120810.{op}"),
        body,
        creds,
    )
}

pub fn kms(op: &str, body: &serde_json::Value, creds: &Arc<Creds>) -> Result<Template, String> {
    Template::json("kms", "1.1", &format!("TrentService.{op}"), body, creds)
}
