//! Access keys of IAM users and of the root user: Create/List/Update/Delete and last use.
//!
//! Without `UserName`, an operation acts on the caller's own keys: an IAM user's, or the root
//! user's when the caller is root, as IAM does. Session credentials must name the user.

use super::common::{account, no_such_user, page};
use super::users::user_arn;
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::Shape;
use rolegate_core::clock::iso;
use rolegate_core::ids::{access_key_id, account_of_key, secret_access_key};
use rolegate_core::model::{AccessKey, Account, KeyStatus};
use rolegate_core::{CallerKind, ResourceGuard};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateAccessKey", create_access_key),
    ("ListAccessKeys", list_access_keys),
    ("UpdateAccessKey", update_access_key),
    ("DeleteAccessKey", delete_access_key),
    ("GetAccessKeyLastUsed", get_access_key_last_used),
];

const KEYS_PER_USER: usize = 2;

/// Whose keys an operation acts on.
enum Owner {
    Root,
    User(String),
}

impl Owner {
    /// `UserName`, or the caller itself.
    fn from_request(ctx: &Ctx<'_>) -> Result<Owner, ServiceError> {
        if let Some(name) = ctx.params.get("UserName") {
            Shape::new().name("userName", name, 128).check()?;
            return Ok(Owner::User(name.to_owned()));
        }
        match &ctx.caller.kind {
            CallerKind::User { name } => Ok(Owner::User(name.clone())),
            CallerKind::Root => Ok(Owner::Root),
            _ => Err(ServiceError::validation(
                "Must specify userName when calling with non-User credentials",
            )),
        }
    }

    /// The resource IAM authorizes key operations on: the owning user (or root).
    fn arn(&self, ctx: &Ctx<'_>) -> String {
        match self {
            Owner::Root => format!("arn:aws:iam::{}:root", ctx.account()),
            Owner::User(name) => user_arn(ctx, name),
        }
    }

    /// The owner's keys and its user name as IAM prints it (root has none).
    fn keys<'a>(&self, a: &'a Account) -> Result<(&'a [AccessKey], Option<&'a str>), ServiceError> {
        match self {
            Owner::Root => Ok((&a.root_keys, None)),
            Owner::User(name) => {
                let u = a.user(name).ok_or_else(|| no_such_user(name))?;
                Ok((&u.access_keys, Some(&u.name)))
            }
        }
    }

    fn keys_mut<'a>(
        &self,
        a: &'a mut Account,
    ) -> Result<(&'a mut Vec<AccessKey>, Option<String>), ServiceError> {
        match self {
            Owner::Root => Ok((&mut a.root_keys, None)),
            Owner::User(name) => {
                let u = &mut **a
                    .users
                    .get_mut(&name.to_lowercase())
                    .ok_or_else(|| no_such_user(name))?;
                Ok((&mut u.access_keys, Some(u.name.clone())))
            }
        }
    }
}

fn key_id_param(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let id = ctx.params.required("AccessKeyId")?.to_owned();
    let word = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    Shape::new()
        .length("accessKeyId", &id, 16, 128)
        .pattern("accessKeyId", &id, id.is_empty() || word, "[\\w]+")
        .check()?;
    Ok(id)
}

fn no_such_key(id: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

fn create_access_key(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let owner = Owner::from_request(ctx)?;
    let arn = owner.arn(ctx);
    ctx.authorize("iam:CreateAccessKey", &arn, |_| {})?;
    // Ids are random; a collision with any existing key (any account) is redrawn.
    let mut id = access_key_id("AKIA", ctx.account());
    while ctx.snap.keys.contains_key(&id) {
        id = access_key_id("AKIA", ctx.account());
    }
    let key = AccessKey {
        id,
        secret: secret_access_key(),
        status: KeyStatus::Active,
        created: ctx.now(),
        last_used: None,
    };
    let account_id = ctx.account().to_owned();
    let user_name = ctx.state.catalog.update(&account_id, |a| {
        let (keys, user_name) = owner.keys_mut(a)?;
        if keys.len() >= KEYS_PER_USER {
            return Err(ServiceError::limit_exceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
            )));
        }
        keys.push(key.clone());
        Ok(user_name)
    })?;
    let mut x = Xml::new();
    x.with("AccessKey", |x| {
        x.opt("UserName", user_name.as_deref())
            .elem("AccessKeyId", &key.id)
            .elem("Status", key.status.as_str())
            .elem("SecretAccessKey", &key.secret)
            .elem("CreateDate", &iso(key.created));
    });
    Ok(Some(x))
}

fn list_access_keys(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let owner = Owner::from_request(ctx)?;
    let arn = owner.arn(ctx);
    ctx.authorize("iam:ListAccessKeys", &arn, |_| {})?;
    let a = account(ctx)?;
    let (keys, user_name) = owner.keys(a)?;
    page(ctx, "AccessKeyMetadata", keys, |x, k| {
        x.opt("UserName", user_name)
            .elem("AccessKeyId", &k.id)
            .elem("Status", k.status.as_str())
            .elem("CreateDate", &iso(k.created));
    })
}

fn update_access_key(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let owner = Owner::from_request(ctx)?;
    let id = key_id_param(ctx)?;
    let status = match ctx.params.required("Status")? {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        // Expiry is IAM's own doing, never a status a caller can set.
        "Expired" => {
            return Err(ServiceError::invalid_input(
                "Status must be either Active or Inactive.",
            ))
        }
        other => {
            return Err(ServiceError::validation(format!(
                "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"
            )))
        }
    };
    let arn = owner.arn(ctx);
    ctx.authorize("iam:UpdateAccessKey", &arn, |_| {})?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let (keys, _) = owner.keys_mut(a)?;
        let key = keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or_else(|| no_such_key(&id))?;
        key.status = status;
        Ok::<_, ServiceError>(())
    })?;
    Ok(None)
}

fn delete_access_key(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let owner = Owner::from_request(ctx)?;
    let id = key_id_param(ctx)?;
    let arn = owner.arn(ctx);
    ctx.authorize("iam:DeleteAccessKey", &arn, |_| {})?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let (keys, _) = owner.keys_mut(a)?;
        let before = keys.len();
        keys.retain(|k| k.id != id);
        if keys.len() == before {
            return Err(no_such_key(&id));
        }
        Ok(())
    })?;
    Ok(None)
}

fn get_access_key_last_used(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let id = key_id_param(ctx)?;
    // The key may belong to any account; IAM authorizes on its owner, so asking about another
    // account's key is a cross-account request that identity policies alone cannot allow.
    let entry = ctx.snap.keys.get(&id).cloned();
    let (resource, resource_account) = match &entry {
        Some(e) => {
            let arn = ctx
                .snap
                .account(&e.account)
                .and_then(|a| match &e.user {
                    None => Some(a.root_arn()),
                    Some(u) => a.user(u).map(|u| u.arn.clone()),
                })
                .unwrap_or_else(|| format!("arn:aws:iam::{}:root", e.account));
            (arn, e.account.clone())
        }
        None => {
            let acct = account_of_key(&id)
                .filter(|a| ctx.snap.account(a).is_some())
                .unwrap_or_else(|| ctx.account().to_owned());
            (format!("arn:aws:iam::{acct}:user/*"), acct)
        }
    };
    ctx.authorize_on(
        "iam:GetAccessKeyLastUsed",
        &resource,
        Some(&resource_account),
        ResourceGuard::None,
        |_| {},
    )?;
    let entry = entry.ok_or_else(|| no_such_key(&id))?;
    let owner_account = ctx
        .snap
        .account(&entry.account)
        .ok_or_else(|| no_such_key(&id))?;
    let (user_name, stored) = match &entry.user {
        None => (None, owner_account.root_keys.iter().find(|k| k.id == id)),
        Some(u) => {
            let user = owner_account.user(u).ok_or_else(|| no_such_key(&id))?;
            (
                Some(user.name.clone()),
                user.access_keys.iter().find(|k| k.id == id),
            )
        }
    };
    let stored = stored.ok_or_else(|| no_such_key(&id))?;
    let used = ctx
        .state
        .catalog
        .key_last_used(&id)
        .or_else(|| stored.last_used.clone());
    let mut x = Xml::new();
    x.opt("UserName", user_name.as_deref());
    x.with("AccessKeyLastUsed", |x| match &used {
        Some(u) => {
            x.elem("LastUsedDate", &iso(u.date))
                .elem("ServiceName", &u.service)
                .elem("Region", &u.region);
        }
        // IAM's answer for a key never used.
        None => {
            x.elem("ServiceName", "N/A").elem("Region", "N/A");
        }
    });
    Ok(Some(x))
}

#[cfg(test)]
mod tests {
    use crate::dispatch::QueryResponse;
    use crate::testing::{field, fields, Harness, NOW};
    use rolegate_core::ids::account_of_key;
    use rolegate_core::session::SessionKind;
    use rolegate_core::{Caller, CallerKind, CatalogError, KeyStatus, PolicyDoc, Session};
    use rolegate_policy::{PolicyKind, Principal};
    use std::sync::Arc;

    const A: &str = "111111111111";

    fn setup() -> Harness {
        let h = Harness::new();
        let root = Harness::root(A);
        for name in ["alice", "bob"] {
            let r = h.iam(&root, &[("Action", "CreateUser"), ("UserName", name)]);
            assert_eq!(r.status, 200, "{}", r.body);
        }
        h
    }

    fn grant(h: &Harness, user: &str, statement: &str) {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        let doc = PolicyDoc::new(&text, PolicyKind::InlineIdentity).expect("policy");
        h.state
            .catalog
            .update(A, |a| {
                a.users
                    .get_mut(user)
                    .expect("user")
                    .inline
                    .insert("p".into(), doc);
                Ok::<_, CatalogError>(())
            })
            .expect("grant");
    }

    /// A new access key of `user` (made by A's root), by id.
    fn new_key(h: &Harness, user: &str) -> String {
        let r = h.iam(
            &Harness::root(A),
            &[("Action", "CreateAccessKey"), ("UserName", user)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        field(&r.body, "AccessKeyId").expect("id").to_owned()
    }

    /// Asserts an error response's code and (unescaped) message.
    fn expect_error(r: &QueryResponse, code: &str, message: &str) {
        let got = field(&r.body, "Message").map(|m| m.replace("&apos;", "'").replace("&amp;", "&"));
        assert_eq!(
            (field(&r.body, "Code"), got.as_deref()),
            (Some(code), Some(message)),
            "{}",
            r.body
        );
    }

    #[test]
    fn create_list_update_delete_for_a_named_user() {
        let h = setup();
        let root = Harness::root(A);
        let r = h.iam(
            &root,
            &[("Action", "CreateAccessKey"), ("UserName", "alice")],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "UserName"), Some("alice"));
        assert_eq!(field(&r.body, "Status"), Some("Active"));
        assert_eq!(field(&r.body, "CreateDate"), Some("2026-09-21T14:13:20Z"));
        let id = field(&r.body, "AccessKeyId").expect("id").to_owned();
        let secret = field(&r.body, "SecretAccessKey")
            .expect("secret")
            .to_owned();
        assert_eq!((id.len(), secret.len()), (20, 40));
        assert!(id.starts_with("AKIA"));
        assert_eq!(account_of_key(&id).as_deref(), Some(A));
        // The key authenticates at once, with its secret.
        let snap = h.state.catalog.snapshot();
        let entry = snap.keys.get(&id).expect("indexed");
        assert_eq!(
            (&*entry.secret, entry.user.as_deref()),
            (secret.as_str(), Some("alice"))
        );

        let r = h.iam(
            &root,
            &[("Action", "CreateAccessKey"), ("UserName", "ALICE")],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(
            &root,
            &[("Action", "CreateAccessKey"), ("UserName", "alice")],
        );
        assert_eq!(r.status, 409);
        expect_error(
            &r,
            "LimitExceeded",
            "Cannot exceed quota for AccessKeysPerUser: 2",
        );

        let r = h.iam(
            &root,
            &[("Action", "ListAccessKeys"), ("UserName", "alice")],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(fields(&r.body, "AccessKeyId").len(), 2);
        assert_eq!(fields(&r.body, "AccessKeyId")[0], id);
        assert!(field(&r.body, "SecretAccessKey").is_none());
        assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
        let r = h.iam(
            &root,
            &[
                ("Action", "ListAccessKeys"),
                ("UserName", "alice"),
                ("MaxItems", "1"),
            ],
        );
        assert_eq!(
            (field(&r.body, "IsTruncated"), field(&r.body, "Marker")),
            (Some("true"), Some("1"))
        );

        let update = [
            ("Action", "UpdateAccessKey"),
            ("UserName", "alice"),
            ("AccessKeyId", id.as_str()),
            ("Status", "Inactive"),
        ];
        let r = h.iam(&root, &update);
        assert_eq!(r.status, 200, "{}", r.body);
        let snap = h.state.catalog.snapshot();
        assert_eq!(
            snap.keys.get(&id).map(|e| e.status),
            Some(KeyStatus::Inactive)
        );
        let r = h.iam(
            &root,
            &[("Action", "ListAccessKeys"), ("UserName", "alice")],
        );
        assert_eq!(fields(&r.body, "Status")[0], "Inactive");

        let delete = [
            ("Action", "DeleteAccessKey"),
            ("UserName", "alice"),
            ("AccessKeyId", id.as_str()),
        ];
        let r = h.iam(&root, &delete);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(h.state.catalog.snapshot().keys.get(&id).is_none());
        let r = h.iam(&root, &delete);
        assert_eq!(r.status, 404);
        expect_error(
            &r,
            "NoSuchEntity",
            &format!("The Access Key with id {id} cannot be found."),
        );
    }

    #[test]
    fn errors_and_validation() {
        let h = setup();
        let root = Harness::root(A);
        let r = h.iam(
            &root,
            &[("Action", "CreateAccessKey"), ("UserName", "ghost")],
        );
        assert_eq!(r.status, 404);
        expect_error(
            &r,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        );
        let r = h.iam(
            &root,
            &[("Action", "CreateAccessKey"), ("UserName", "bad name")],
        );
        assert_eq!(field(&r.body, "Code"), Some("ValidationError"));

        let id = new_key(&h, "alice");
        // A key of another user is not found under this one.
        let r = h.iam(
            &root,
            &[
                ("Action", "DeleteAccessKey"),
                ("UserName", "bob"),
                ("AccessKeyId", &id),
            ],
        );
        assert_eq!(r.status, 404);
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateAccessKey"),
                ("UserName", "alice"),
                ("AccessKeyId", &id),
                ("Status", "Off"),
            ],
        );
        expect_error(&r, "ValidationError", "1 validation error detected: Value 'Off' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]");
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateAccessKey"),
                ("UserName", "alice"),
                ("AccessKeyId", &id),
                ("Status", "Expired"),
            ],
        );
        assert_eq!(field(&r.body, "Code"), Some("InvalidInput"));
        let r = h.iam(
            &root,
            &[
                ("Action", "DeleteAccessKey"),
                ("UserName", "alice"),
                ("AccessKeyId", "short"),
            ],
        );
        expect_error(
            &r,
            "ValidationError",
            "1 validation error detected: Value 'short' at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16",
        );
        let r = h.iam(
            &root,
            &[("Action", "DeleteAccessKey"), ("UserName", "alice")],
        );
        assert_eq!(field(&r.body, "Code"), Some("MissingParameter"));
        // Nothing changed.
        let r = h.iam(
            &root,
            &[("Action", "ListAccessKeys"), ("UserName", "alice")],
        );
        assert_eq!(fields(&r.body, "Status"), vec!["Active"]);
    }

    #[test]
    fn without_user_name_the_caller_manages_its_own_keys() {
        let h = setup();
        let root = Harness::root(A);
        let r = h.iam(&root, &[("Action", "CreateAccessKey")]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(field(&r.body, "UserName").is_none());
        let root_key = field(&r.body, "AccessKeyId").expect("id").to_owned();
        let snap = h.state.catalog.snapshot();
        assert_eq!(snap.account(A).map(|a| a.root_keys.len()), Some(1));
        assert_eq!(
            snap.keys.get(&root_key).map(|e| e.user.is_none()),
            Some(true)
        );
        let r = h.iam(&root, &[("Action", "ListAccessKeys")]);
        assert_eq!(fields(&r.body, "AccessKeyId"), vec![root_key.as_str()]);

        // An IAM user allowed on its own ARN only (the AWS self-service pattern).
        grant(
            &h,
            "alice",
            r#"{"Effect":"Allow","Action":["iam:*AccessKey*"],"Resource":"arn:aws:iam::*:user/${aws:username}"}"#,
        );
        let alice = h.user(A, "alice");
        let r = h.iam(&alice, &[("Action", "CreateAccessKey")]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "UserName"), Some("alice"));
        let id = field(&r.body, "AccessKeyId").expect("id").to_owned();
        let r = h.iam(&alice, &[("Action", "ListAccessKeys")]);
        assert_eq!(fields(&r.body, "AccessKeyId"), vec![id.as_str()]);
        let r = h.iam(
            &alice,
            &[
                ("Action", "UpdateAccessKey"),
                ("AccessKeyId", &id),
                ("Status", "Inactive"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        // The root key is not alice's.
        let r = h.iam(
            &alice,
            &[("Action", "DeleteAccessKey"), ("AccessKeyId", &root_key)],
        );
        assert_eq!(r.status, 404);
        let r = h.iam(
            &alice,
            &[("Action", "DeleteAccessKey"), ("AccessKeyId", &id)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        // ...and not bob's either.
        let r = h.iam(&alice, &[("Action", "ListAccessKeys"), ("UserName", "bob")]);
        assert_eq!(r.status, 403);

        // Session credentials must name the user.
        let role_arn = format!("arn:aws:iam::{A}:role/r");
        let session = Session {
            account: A.to_owned(),
            kind: SessionKind::Role {
                role_arn: role_arn.clone(),
                role_name: "r".to_owned(),
                role_id: "AROAEXAMPLEEXAMPLEEX".to_owned(),
                session_name: "s".to_owned(),
            },
            access_key_id: "ASIAEXAMPLE".to_owned(),
            secret: String::new(),
            issued: NOW,
            expires: NOW + 3600,
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            chain_depth: 0,
            mfa: false,
            instance: None,
        };
        let caller = Caller {
            account: A.to_owned(),
            kind: CallerKind::Session(Arc::new(session)),
            principal: Principal::assumed_role(&role_arn, "AROAEXAMPLEEXAMPLEEX", "s"),
            access_key_id: "ASIAEXAMPLE".to_owned(),
        };
        let r = h.iam(&caller, &[("Action", "ListAccessKeys")]);
        expect_error(
            &r,
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
        );
    }

    #[test]
    fn a_user_without_permission_is_denied() {
        let h = setup();
        let bob = h.user(A, "bob");
        let r = h.iam(
            &bob,
            &[("Action", "CreateAccessKey"), ("UserName", "alice")],
        );
        assert_eq!(r.status, 403);
        expect_error(&r, "AccessDenied", "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:CreateAccessKey on resource: arn:aws:iam::111111111111:user/alice because no identity-based policy allows the iam:CreateAccessKey action");
        // Denied before existence is revealed: a missing user reads the same.
        let r = h.iam(
            &bob,
            &[
                ("Action", "DeleteAccessKey"),
                ("UserName", "ghost"),
                ("AccessKeyId", "AKIAAAAAAAAAAAAAAAAA"),
            ],
        );
        assert_eq!(
            field(&r.body, "Message"),
            Some("User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:DeleteAccessKey on resource: arn:aws:iam::111111111111:user/ghost because no identity-based policy allows the iam:DeleteAccessKey action")
        );
        let r = h.iam(&bob, &[("Action", "ListAccessKeys")]);
        assert_eq!(r.status, 403);
        assert!(h
            .state
            .catalog
            .snapshot()
            .account(A)
            .is_some_and(|a| a.keys().next().is_none()));
    }

    #[test]
    fn last_used() {
        let h = setup();
        let root = Harness::root(A);
        let id = new_key(&h, "alice");
        let r = h.iam(
            &root,
            &[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "UserName"), Some("alice"));
        assert_eq!(field(&r.body, "ServiceName"), Some("N/A"));
        assert_eq!(field(&r.body, "Region"), Some("N/A"));
        assert!(field(&r.body, "LastUsedDate").is_none());

        h.state
            .catalog
            .record_key_use(&id, "s3", "eu-west-1", NOW + 60);
        let r = h.iam(
            &root,
            &[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)],
        );
        assert_eq!(field(&r.body, "LastUsedDate"), Some("2026-09-21T14:14:20Z"));
        assert_eq!(field(&r.body, "ServiceName"), Some("s3"));
        assert_eq!(field(&r.body, "Region"), Some("eu-west-1"));

        // The key's owner is the resource: alice may ask about her own keys only.
        grant(
            &h,
            "alice",
            r#"{"Effect":"Allow","Action":"iam:GetAccessKeyLastUsed","Resource":"arn:aws:iam::*:user/${aws:username}"}"#,
        );
        let alice = h.user(A, "alice");
        let r = h.iam(
            &alice,
            &[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let bob = h.user(A, "bob");
        let r = h.iam(
            &bob,
            &[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)],
        );
        assert_eq!(
            field(&r.body, "Message"),
            Some("User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:GetAccessKeyLastUsed on resource: arn:aws:iam::111111111111:user/alice because no identity-based policy allows the iam:GetAccessKeyLastUsed action")
        );

        let r = h.iam(
            &root,
            &[
                ("Action", "GetAccessKeyLastUsed"),
                ("AccessKeyId", "AKIAAAAAAAAAAAAAAAAA"),
            ],
        );
        assert_eq!(r.status, 404);
        assert_eq!(
            field(&r.body, "Message"),
            Some("The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.")
        );
        // Another account's key is another account's resource.
        let other = Harness::root("222222222222");
        let r = h.iam(
            &other,
            &[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)],
        );
        assert_eq!(r.status, 403, "{}", r.body);
    }

    /// The caller a key signs as is kept with the key index; a change to its user (a new
    /// path, a new name, the user gone) must show on the very next request.
    #[test]
    fn the_caller_of_a_key_follows_changes_to_its_user() {
        use rolegate_core::caller::KeyLookup;
        let h = setup();
        let root = Harness::root(A);
        let id = new_key(&h, "alice");
        let arn_of = |h: &Harness| {
            let snap = h.state.catalog.snapshot();
            match Caller::lookup(&snap, &h.state.tokens, &id, None, NOW) {
                KeyLookup::Found { caller, .. } => Some(caller.principal.arn.clone()),
                _ => None,
            }
        };
        let user_arn = format!("arn:aws:iam::{A}:user/alice");
        assert_eq!(arn_of(&h).as_deref(), Some(user_arn.as_str()));
        // Found twice: the second from the cache, the same caller.
        assert_eq!(arn_of(&h).as_deref(), Some(user_arn.as_str()));
        let update = |params: &[(&str, &str)]| {
            let mut all = vec![("Action", "UpdateUser")];
            all.extend_from_slice(params);
            let r = h.iam(&root, &all);
            assert_eq!(r.status, 200, "{}", r.body);
        };
        update(&[("UserName", "alice"), ("NewPath", "/team/")]);
        let moved = format!("arn:aws:iam::{A}:user/team/alice");
        assert_eq!(arn_of(&h).as_deref(), Some(moved.as_str()));
        update(&[("UserName", "alice"), ("NewUserName", "carol")]);
        let renamed = format!("arn:aws:iam::{A}:user/team/carol");
        assert_eq!(arn_of(&h).as_deref(), Some(renamed.as_str()));
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateAccessKey"),
                ("UserName", "carol"),
                ("AccessKeyId", &id),
                ("Status", "Inactive"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(arn_of(&h), None, "an inactive key signs as no one");
    }
}
