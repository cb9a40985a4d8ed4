//! The fixture, created through the target's own API before anything is measured: two
//! accounts (development-mode roots, a 12-digit access key id), an IAM user with an inline
//! policy and an access key, a role for GetRole, a cross-account role whose trust policy
//! requires an external id, a bucket with a 4 KiB object, a DynamoDB table with an item, and a
//! KMS key with a ciphertext. Each part that fails leaves its ops "n/a" instead of ending the
//! run (rolegate has no DynamoDB yet on this branch; moto checks no policy at all).

use crate::conn::Conn;
use crate::ops::{self, dynamo, kms, EXTERNAL_ID, ITEM_KEY, OBJECT_KEY};
use crate::template::{Clock, Creds, HostHeader, Template};
use bytes::Bytes;
use http::Method;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How many accounts CreateUser spreads over (connection `c` writes to account `c % N`).
pub const WRITER_ACCOUNTS: usize = 64;

/// Account A's root (the user, its roles, bucket, table and key live there).
pub const ROOT_A: &str = "111111111111";
/// Account B's root (the cross-account role lives there).
pub const ROOT_B: &str = "222222222222";

/// What the ops need; every part is the value or why it could not be made.
pub struct Fixture {
    /// A run-unique prefix for every name.
    pub prefix: String,
    pub user: Result<Arc<Creds>, String>,
    /// CreateUser's callers: one user per account of [`WRITER_ACCOUNTS`], each allowed
    /// `iam:CreateUser` in its own account. IAM allows 5,000 users per account, a few seconds'
    /// worth at the target rate; spread over accounts, no run reaches the quota.
    pub writers: Result<Vec<Arc<Creds>>, String>,
    pub local_role: Result<String, String>,
    pub cross_role: Result<String, String>,
    pub bucket: Result<String, String>,
    pub table: Result<String, String>,
    pub ciphertext: Result<String, String>,
}

impl Fixture {
    /// Placeholder values for the ceiling server, which answers anything.
    pub fn placeholder() -> Fixture {
        Fixture {
            prefix: "ceiling".to_owned(),
            user: Ok(Creds::new("AKIAIOSFODNN7EXAMPLE", "placeholder")),
            writers: Ok(vec![Creds::new("AKIAIOSFODNN7EXAMPLE", "placeholder")]),
            local_role: Ok("local".to_owned()),
            cross_role: Ok("arn:aws:iam::222222222222:role/cross".to_owned()),
            bucket: Ok("bucket".to_owned()),
            table: Ok("table".to_owned()),
            ciphertext: Ok("AAAA".to_owned()),
        }
    }
}

/// A sequential client for the fixture calls.
struct Api {
    conn: Conn,
    host: HostHeader,
    clock: Clock,
}

impl Api {
    /// Sends `t` and returns the body of a 2xx answer, or the status and body as the error.
    async fn call(&mut self, what: &str, t: Result<Template, String>) -> Result<Bytes, String> {
        let req = t?.build(&self.host, &mut self.clock, 0)?;
        let reply = self
            .conn
            .send(req, true)
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        if (200..300).contains(&reply.status) {
            Ok(reply.body)
        } else {
            let text = String::from_utf8_lossy(&reply.body);
            Err(format!(
                "{what}: HTTP {}: {}",
                reply.status,
                text.chars().take(300).collect::<String>()
            ))
        }
    }

    async fn iam(&mut self, creds: &Arc<Creds>, form: &str) -> Result<Bytes, String> {
        let what = form.split('&').next().unwrap_or(form).to_owned();
        self.call(&what, Template::query("iam", form, creds)).await
    }
}

/// The text of the first `<tag>...</tag>` of an XML answer.
fn xml_text(body: &[u8], tag: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&format!("</{tag}>"))?;
    Some(text[start..start + len].to_owned())
}

fn json_field(body: &[u8], pointer: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.pointer(pointer)?.as_str().map(str::to_owned)
}

fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Creates the fixture on the server at `addr`.
pub async fn create(addr: SocketAddr) -> Result<Fixture, String> {
    let mut api = Api {
        conn: Conn::new(addr),
        host: HostHeader::new(&addr.to_string())?,
        clock: Clock::default(),
    };
    let run = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() % 100_000_000)
        .unwrap_or(0);
    let prefix = format!("lg{run}");
    let root_a = Creds::new(ROOT_A, "loadgen-root");
    let root_b = Creds::new(ROOT_B, "loadgen-root");
    let gci = "Action=GetCallerIdentity&Version=2011-06-15";
    let account = |body: Bytes| xml_text(&body, "Account").ok_or("no Account".to_owned());
    let acct_a = account(
        api.call(
            "GetCallerIdentity as root A",
            Template::query("sts", gci, &root_a),
        )
        .await?,
    )?;
    let acct_b = account(
        api.call(
            "GetCallerIdentity as root B",
            Template::query("sts", gci, &root_b),
        )
        .await?,
    )?;

    let user_name = format!("{prefix}-user");
    let local_role = format!("{prefix}-local");
    let cross_role = format!("{prefix}-cross");
    let cross_arn = format!("arn:aws:iam::{acct_b}:role/{cross_role}");
    let bucket = format!("{prefix}-bucket");
    let table = format!("{prefix}-table");
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Assume", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": cross_arn},
            {"Sid": "Iam", "Effect": "Allow", "Action": ["iam:GetRole", "iam:CreateUser"],
             "Resource": [format!("arn:aws:iam::{acct_a}:role/*"), format!("arn:aws:iam::{acct_a}:user/*")]},
            {"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": format!("arn:aws:s3:::{bucket}/*")},
            {"Sid": "Table", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
             "Resource": format!("arn:aws:dynamodb:us-east-1:{acct_a}:table/{table}")},
            {"Sid": "Key", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        ]
    });
    let user = user_with_key(&mut api, &root_a, &user_name, "loadgen", &policy).await?;

    let trust_a = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{acct_a}:root")}, "Action": "sts:AssumeRole"}]});
    let local = api
        .iam(
            &root_a,
            &format!(
                "Action=CreateRole&Version=2010-05-08&RoleName={local_role}&AssumeRolePolicyDocument={}",
                enc(&trust_a.to_string())
            ),
        )
        .await
        .map(|_| local_role);

    let cross = cross_account_role(&mut api, &root_b, &acct_a, &cross_role, &bucket)
        .await
        .map(|()| cross_arn);
    let bucket = s3_fixture(&mut api, &root_a, &bucket)
        .await
        .map(|()| bucket);
    let table = dynamo_fixture(&mut api, &root_a, &table)
        .await
        .map(|()| table);
    let ciphertext = kms_fixture(&mut api, &root_a).await;
    let writers = writers(&mut api, &prefix).await;
    Ok(Fixture {
        prefix,
        user: Ok(user),
        writers,
        local_role: local,
        cross_role: cross,
        bucket,
        table,
        ciphertext,
    })
}

/// A user with a key in each writer account (development-mode roots `3000000000NN`), allowed
/// `iam:CreateUser` there.
async fn writers(api: &mut Api, prefix: &str) -> Result<Vec<Arc<Creds>>, String> {
    let mut out = Vec::with_capacity(WRITER_ACCOUNTS);
    for n in 0..WRITER_ACCOUNTS {
        let account = format!("3000000000{n:02}");
        let root = Creds::new(&account, "loadgen-root");
        let name = format!("{prefix}-writer{n}");
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "iam:CreateUser", "Resource": format!("arn:aws:iam::{account}:user/*")}]});
        out.push(user_with_key(api, &root, &name, "writer", &policy).await?);
    }
    Ok(out)
}

/// Creates user `name` with the inline policy `policy` and an access key, as `root`.
async fn user_with_key(
    api: &mut Api,
    root: &Arc<Creds>,
    name: &str,
    policy_name: &str,
    policy: &serde_json::Value,
) -> Result<Arc<Creds>, String> {
    api.iam(
        root,
        &format!("Action=CreateUser&Version=2010-05-08&UserName={name}"),
    )
    .await?;
    api.iam(
        root,
        &format!(
            "Action=PutUserPolicy&Version=2010-05-08&UserName={name}&PolicyName={policy_name}&PolicyDocument={}",
            enc(&policy.to_string())
        ),
    )
    .await?;
    let key = api
        .iam(
            root,
            &format!("Action=CreateAccessKey&Version=2010-05-08&UserName={name}"),
        )
        .await?;
    match (
        xml_text(&key, "AccessKeyId"),
        xml_text(&key, "SecretAccessKey"),
    ) {
        (Some(k), Some(s)) => Ok(Creds::new(&k, &s)),
        _ => Err("CreateAccessKey: no key in the answer".to_owned()),
    }
}

async fn cross_account_role(
    api: &mut Api,
    root_b: &Arc<Creds>,
    acct_a: &str,
    role: &str,
    bucket: &str,
) -> Result<(), String> {
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{acct_a}:root")}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]});
    api.iam(
        root_b,
        &format!(
            "Action=CreateRole&Version=2010-05-08&RoleName={role}&AssumeRolePolicyDocument={}",
            enc(&trust.to_string())
        ),
    )
    .await?;
    let permissions = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}]});
    api.iam(
        root_b,
        &format!(
            "Action=PutRolePolicy&Version=2010-05-08&RoleName={role}&PolicyName=read&PolicyDocument={}",
            enc(&permissions.to_string())
        ),
    )
    .await?;
    Ok(())
}

async fn s3_fixture(api: &mut Api, root: &Arc<Creds>, bucket: &str) -> Result<(), String> {
    let path = format!("/{bucket}");
    api.call(
        "CreateBucket",
        Template::s3(Method::PUT, &path, Bytes::new(), root),
    )
    .await?;
    api.call(
        "PutObject",
        Template::s3(
            Method::PUT,
            &format!("{path}/{OBJECT_KEY}"),
            ops::object_body(),
            root,
        ),
    )
    .await?;
    Ok(())
}

async fn dynamo_fixture(api: &mut Api, root: &Arc<Creds>, table: &str) -> Result<(), String> {
    let create = serde_json::json!({
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    });
    api.call("CreateTable", dynamo("CreateTable", &create, root))
        .await?;
    // Real DynamoDB creates tables asynchronously: wait for ACTIVE as a client would.
    let describe = serde_json::json!({"TableName": table});
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body = api
            .call("DescribeTable", dynamo("DescribeTable", &describe, root))
            .await?;
        if json_field(&body, "/Table/TableStatus").as_deref() == Some("ACTIVE") {
            break;
        }
        if Instant::now() > deadline {
            return Err("table not ACTIVE after 30 s".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    api.call(
        "PutItem",
        dynamo("PutItem", &ops::item(table, ITEM_KEY), root),
    )
    .await?;
    Ok(())
}

async fn kms_fixture(api: &mut Api, root: &Arc<Creds>) -> Result<String, String> {
    let created = api
        .call(
            "CreateKey",
            kms(
                "CreateKey",
                &serde_json::json!({"Description": "loadgen"}),
                root,
            ),
        )
        .await?;
    let key_id = json_field(&created, "/KeyMetadata/KeyId").ok_or("CreateKey: no KeyId")?;
    // 32 bytes of plaintext, base64 (a data key's size).
    let encrypt = serde_json::json!({
        "KeyId": key_id,
        "Plaintext": "bG9hZGdlbiBwbGFpbnRleHQgb2YgMzIgYnl0ZXMhISE=",
    });
    let out = api.call("Encrypt", kms("Encrypt", &encrypt, root)).await?;
    json_field(&out, "/CiphertextBlob").ok_or_else(|| "Encrypt: no CiphertextBlob".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_xml_and_encodes_forms() {
        let body =
            b"<R><AccessKeyId>AKIA1</AccessKeyId><SecretAccessKey>a/b+c</SecretAccessKey></R>";
        assert_eq!(xml_text(body, "AccessKeyId").as_deref(), Some("AKIA1"));
        assert_eq!(xml_text(body, "SecretAccessKey").as_deref(), Some("a/b+c"));
        assert_eq!(xml_text(body, "Account"), None);
        assert_eq!(enc("{\"a\": [1]}"), "%7B%22a%22%3A%20%5B1%5D%7D");
    }
}
