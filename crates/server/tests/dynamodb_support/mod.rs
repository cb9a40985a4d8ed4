//! Helpers shared by the DynamoDB end-to-end test files.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::Server;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};
use std::collections::HashMap;

pub const A: &str = "111111111111";
pub const B: &str = "222222222222";

pub type Item = HashMap<String, AttributeValue>;

/// The error code and message of a failed call, which must be a service error.
pub fn err<T: std::fmt::Debug, E, R>(r: Result<T, SdkError<E, R>>) -> (String, String)
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

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn key(pk: &str, sk: i64) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), n(sk))])
}

pub async fn create_table(db: &aws_sdk_dynamodb::Client, name: &str) {
    let out = db
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(d.table_status(), Some(&TableStatus::Creating));
}

pub fn root(server: &Server, account: &str) -> aws_sdk_dynamodb::Client {
    server.dynamodb(account, "anything", None)
}
