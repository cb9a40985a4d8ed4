//! Inline policies of users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policy.

use super::common::{account, document_param, page, Holder};
use super::roles::encode_document;
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::xml::escape;
use crate::protocol::Xml;
use crate::validate::Shape;
use rolegate_core::PolicyDoc;
use rolegate_policy::{size_without_whitespace, PolicyKind};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("PutUserPolicy", put_user_policy),
    ("GetUserPolicy", get_user_policy),
    ("DeleteUserPolicy", delete_user_policy),
    ("ListUserPolicies", list_user_policies),
    ("PutGroupPolicy", put_group_policy),
    ("GetGroupPolicy", get_group_policy),
    ("DeleteGroupPolicy", delete_group_policy),
    ("ListGroupPolicies", list_group_policies),
    ("PutRolePolicy", put_role_policy),
    ("GetRolePolicy", get_role_policy),
    ("DeleteRolePolicy", delete_role_policy),
    ("ListRolePolicies", list_role_policies),
];

/// The aggregate size of an entity's inline policies, whitespace not counted.
fn size_quota(h: Holder) -> usize {
    match h {
        Holder::User => 2048,
        Holder::Group => 5120,
        Holder::Role => 10240,
    }
}

/// `PolicyName` of an inline policy: 1-128 printable ASCII characters other than `\ / * ?`.
fn policy_name_param(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let name = ctx.params.required("PolicyName")?.to_owned();
    let ok = name
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '\\' | '/' | '*' | '?'));
    Shape::new()
        .length("policyName", &name, 1, 128)
        .pattern("policyName", &name, ok || name.is_empty(), "[\\w+=,.@-]+")
        .check()?;
    Ok(name)
}

fn no_such_policy(h: Holder, name: &str) -> ServiceError {
    ServiceError::no_such_entity(format!(
        "The {} policy with name {name} cannot be found.",
        h.lower()
    ))
}

/// Validates the parameters and authorizes `iam:<verb><Holder>Policy` on the entity.
fn prepare(
    ctx: &mut Ctx<'_>,
    h: Holder,
    verb: &str,
    with_policy: bool,
) -> Result<(String, Option<String>), ServiceError> {
    let name = h.name_param(ctx, true)?;
    let policy = if with_policy {
        Some(policy_name_param(ctx)?)
    } else {
        None
    };
    authorize(ctx, h, verb, &name)?;
    Ok((name, policy))
}

/// Authorizes `iam:<verb><Holder>Policy` (or `iam:List<Holder>Policies`) on the entity.
fn authorize(ctx: &mut Ctx<'_>, h: Holder, verb: &str, name: &str) -> Result<(), ServiceError> {
    let t = h.target(ctx, name);
    let action = if verb == "List" {
        format!("iam:List{}Policies", h.noun())
    } else {
        format!("iam:{verb}{}Policy", h.noun())
    };
    // Put and Delete carry the entity's permissions boundary; Get and List do not.
    let boundary_key = matches!(verb, "Put" | "Delete");
    ctx.authorize(&action, &t.arn, |c| t.describe(c, boundary_key))
}

fn put(ctx: &mut Ctx<'_>, h: Holder) -> Result<Option<Xml>, ServiceError> {
    let name = h.name_param(ctx, true)?;
    let policy_name = policy_name_param(ctx)?;
    let text = document_param(ctx, "PolicyDocument", "policyDocument")?;
    authorize(ctx, h, "Put", &name)?;
    if h.policies(account(ctx)?, &name).is_none() {
        return Err(h.not_found(&name));
    }
    let label =
        rolegate_core::model::inline_policy_label(&h.noun().to_lowercase(), &name, &policy_name);
    let doc = PolicyDoc::new(&text, PolicyKind::InlineIdentity)?.named(&label);
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let (inline, _) = h.policies_mut(a, &name)?;
        let others: usize = inline
            .iter()
            .filter(|(n, _)| **n != policy_name)
            .map(|(_, d)| size_without_whitespace(d.text()))
            .sum();
        let quota = size_quota(h);
        if others + size_without_whitespace(&text) > quota {
            return Err(ServiceError::limit_exceeded(format!(
                "Maximum policy size of {quota} bytes exceeded for {} {name}",
                h.lower()
            )));
        }
        inline.insert(policy_name.clone(), doc);
        Ok(())
    })?;
    Ok(None)
}

fn get(ctx: &mut Ctx<'_>, h: Holder) -> Result<Option<Xml>, ServiceError> {
    let (name, policy) = prepare(ctx, h, "Get", true)?;
    let policy = policy.unwrap_or_default();
    let a = account(ctx)?;
    let (inline, _) = h.policies(a, &name).ok_or_else(|| h.not_found(&name))?;
    let doc = inline
        .get(&policy)
        .ok_or_else(|| no_such_policy(h, &policy))?;
    let entity_name = match h {
        Holder::User => a.user(&name).map(|u| u.name.clone()),
        Holder::Group => a.group(&name).map(|g| g.name.clone()),
        Holder::Role => a.role(&name).map(|r| r.name.clone()),
    }
    .unwrap_or(name);
    let mut x = Xml::new();
    x.elem(&format!("{}Name", h.noun()), &entity_name)
        .elem("PolicyName", &policy)
        .elem("PolicyDocument", &encode_document(doc.text()));
    Ok(Some(x))
}

fn delete(ctx: &mut Ctx<'_>, h: Holder) -> Result<Option<Xml>, ServiceError> {
    let (name, policy) = prepare(ctx, h, "Delete", true)?;
    let policy = policy.unwrap_or_default();
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let (inline, _) = h.policies_mut(a, &name)?;
        inline
            .remove(&policy)
            .map(|_| ())
            .ok_or_else(|| no_such_policy(h, &policy))
    })?;
    Ok(None)
}

fn list(ctx: &mut Ctx<'_>, h: Holder) -> Result<Option<Xml>, ServiceError> {
    let (name, _) = prepare(ctx, h, "List", false)?;
    let a = account(ctx)?;
    let (inline, _) = h.policies(a, &name).ok_or_else(|| h.not_found(&name))?;
    let names: Vec<&String> = inline.keys().collect();
    page(ctx, "PolicyNames", &names, |x, n| {
        let mut text = String::new();
        escape(n, &mut text);
        x.raw(&text);
    })
}

fn put_user_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    put(ctx, Holder::User)
}
fn get_user_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    get(ctx, Holder::User)
}
fn delete_user_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    delete(ctx, Holder::User)
}
fn list_user_policies(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    list(ctx, Holder::User)
}
fn put_group_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    put(ctx, Holder::Group)
}
fn get_group_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    get(ctx, Holder::Group)
}
fn delete_group_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    delete(ctx, Holder::Group)
}
fn list_group_policies(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    list(ctx, Holder::Group)
}
fn put_role_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    put(ctx, Holder::Role)
}
fn get_role_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    get(ctx, Holder::Role)
}
fn delete_role_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    delete(ctx, Holder::Role)
}
fn list_role_policies(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    list(ctx, Holder::Role)
}

#[cfg(test)]
mod tests {
    use crate::iam::policies::tests::{decode, entities, err, error, user_with, A, DOC};
    use crate::testing::{field, fields, Harness};

    const HOLDERS: [(&str, &str); 3] = [
        ("User", "UserName"),
        ("Group", "GroupName"),
        ("Role", "RoleName"),
    ];

    #[test]
    fn put_get_list_delete() {
        let h = Harness::new();
        let root = Harness::root(A);
        entities(&h, &root, "dev");
        // As submitted: whitespace and key order kept.
        let pretty = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n}";
        for (holder, param) in HOLDERS {
            let put = |name: &str, doc: &str| {
                h.iam(
                    &root,
                    &[
                        ("Action", &format!("Put{holder}Policy")),
                        (param, "dev"),
                        ("PolicyName", name),
                        ("PolicyDocument", doc),
                    ],
                )
            };
            assert_eq!(put("b-policy", DOC).status, 200);
            let r = put("a:policy", pretty);
            assert_eq!(r.status, 200, "{}", r.body);
            // Replacing keeps one policy of the name.
            assert_eq!(put("b-policy", DOC).status, 200);

            let r = h.iam(
                &root,
                &[
                    ("Action", &format!("Get{holder}Policy")),
                    (param, "DEV"),
                    ("PolicyName", "a:policy"),
                ],
            );
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(field(&r.body, &format!("{holder}Name")), Some("dev"));
            assert_eq!(field(&r.body, "PolicyName"), Some("a:policy"));
            assert_eq!(
                field(&r.body, "PolicyDocument").map(decode),
                Some(pretty.to_owned())
            );

            let list = |extra: &[(&str, &str)]| {
                let mut params = vec![
                    ("Action", format!("List{holder}Policies")),
                    (param, "dev".to_owned()),
                ];
                params.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
                let params: Vec<(&str, &str)> =
                    params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                h.iam(&root, &params)
            };
            let r = list(&[]);
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(fields(&r.body, "member"), vec!["a:policy", "b-policy"]);
            let r = list(&[("MaxItems", "1")]);
            assert_eq!(fields(&r.body, "member"), vec!["a:policy"]);
            assert_eq!(field(&r.body, "IsTruncated"), Some("true"));

            let delete = |name: &str| {
                h.iam(
                    &root,
                    &[
                        ("Action", &format!("Delete{holder}Policy")),
                        (param, "dev"),
                        ("PolicyName", name),
                    ],
                )
            };
            assert_eq!(delete("a:policy").status, 200);
            let lower = holder.to_lowercase();
            assert_eq!(
                error(&delete("a:policy")),
                err(
                    404,
                    "NoSuchEntity",
                    &format!("The {lower} policy with name a:policy cannot be found.")
                )
            );
            assert_eq!(
                error(&h.iam(
                    &root,
                    &[
                        ("Action", &format!("Get{holder}Policy")),
                        (param, "dev"),
                        ("PolicyName", "a:policy")
                    ]
                )),
                err(
                    404,
                    "NoSuchEntity",
                    &format!("The {lower} policy with name a:policy cannot be found.")
                )
            );
            assert_eq!(fields(&list(&[]).body, "member"), vec!["b-policy"]);
            assert_eq!(
                error(&h.iam(
                    &root,
                    &[
                        ("Action", &format!("Put{holder}Policy")),
                        (param, "nobody"),
                        ("PolicyName", "p"),
                        ("PolicyDocument", DOC)
                    ],
                )),
                err(
                    404,
                    "NoSuchEntity",
                    &format!("The {lower} with name nobody cannot be found.")
                )
            );
            assert_eq!(
                error(&h.iam(
                    &root,
                    &[
                        ("Action", &format!("List{holder}Policies")),
                        (param, "nobody")
                    ]
                )),
                err(
                    404,
                    "NoSuchEntity",
                    &format!("The {lower} with name nobody cannot be found.")
                )
            );
        }
    }

    #[test]
    fn inline_policies_grant() {
        let h = Harness::new();
        let root = Harness::root(A);
        let bob = user_with(
            &h,
            "bob",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"*"}]}"#,
        );
        let allow_get =
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;
        assert_eq!(
            h.iam(&root, &[("Action", "GetUser"), ("UserName", "bob")])
                .status,
            200
        );
        assert_eq!(
            error(&h.iam(&bob, &[("Action", "GetUser"), ("UserName", "bob")])).1,
            "AccessDenied"
        );
        let r = h.iam(
            &bob,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", "bob"),
                ("PolicyName", "get"),
                ("PolicyDocument", allow_get),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let bob = h.user(A, "bob");
        assert_eq!(
            h.iam(&bob, &[("Action", "GetUser"), ("UserName", "bob")])
                .status,
            200
        );
    }

    #[test]
    fn validation_malformed_and_size_quota() {
        let h = Harness::new();
        let root = Harness::root(A);
        entities(&h, &root, "dev");
        for bad in ["with space", "a/b", "a*", "q?", "back\\slash"] {
            let r = h.iam(
                &root,
                &[
                    ("Action", "PutUserPolicy"),
                    ("UserName", "dev"),
                    ("PolicyName", bad),
                    ("PolicyDocument", DOC),
                ],
            );
            assert_eq!(
                error(&r),
                err(400, "ValidationError", &format!("1 validation error detected: Value '{bad}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"))
            );
        }
        let r = h.iam(
            &root,
            &[
                ("Action", "PutRolePolicy"),
                ("RoleName", "dev"),
                ("PolicyName", "p"),
                (
                    "PolicyDocument",
                    r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
                ),
            ],
        );
        assert_eq!(
            error(&r),
            err(
                400,
                "MalformedPolicyDocument",
                "Policy statement must contain actions."
            )
        );

        let sized = |n: usize| {
            let actions: Vec<String> = (0..n).map(|i| format!("\"s3:GetObject{i:04}\"")).collect();
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
                actions.join(",")
            )
        };
        for (holder, param, quota) in [
            ("User", "UserName", 2048),
            ("Group", "GroupName", 5120),
            ("Role", "RoleName", 10240),
        ] {
            let put = |name: &str, doc: &str| {
                h.iam(
                    &root,
                    &[
                        ("Action", &format!("Put{holder}Policy")),
                        (param, "dev"),
                        ("PolicyName", name),
                        ("PolicyDocument", doc),
                    ],
                )
            };
            // Each action adds 19 characters; fill close to the quota with two policies.
            let half = (quota / 2 - 100) / 20;
            assert_eq!(put("one", &sized(half)).status, 200);
            // Replacing a policy counts its new size only.
            assert_eq!(put("one", &sized(half)).status, 200);
            assert_eq!(put("two", &sized(half)).status, 200);
            let lower = holder.to_lowercase();
            assert_eq!(
                error(&put("three", &sized(quota / 19 / 4))),
                err(
                    409,
                    "LimitExceeded",
                    &format!("Maximum policy size of {quota} bytes exceeded for {lower} dev")
                )
            );
        }
    }

    #[test]
    fn access_denied() {
        let h = Harness::new();
        let root = Harness::root(A);
        entities(&h, &root, "dev");
        let bob = user_with(
            &h,
            "bob",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRolePolicies","Resource":"*"}]}"#,
        );
        let r = h.iam(
            &bob,
            &[
                ("Action", "PutRolePolicy"),
                ("RoleName", "dev"),
                ("PolicyName", "p"),
                ("PolicyDocument", DOC),
            ],
        );
        assert_eq!(
            error(&r),
            err(403, "AccessDenied", &format!("User: arn:aws:iam::{A}:user/bob is not authorized to perform: iam:PutRolePolicy on resource: arn:aws:iam::{A}:role/dev because no identity-based policy allows the iam:PutRolePolicy action"))
        );
        let r = h.iam(
            &bob,
            &[
                ("Action", "GetGroupPolicy"),
                ("GroupName", "nobody"),
                ("PolicyName", "p"),
            ],
        );
        assert_eq!(
            error(&r),
            err(403, "AccessDenied", &format!("User: arn:aws:iam::{A}:user/bob is not authorized to perform: iam:GetGroupPolicy on resource: arn:aws:iam::{A}:group/nobody because no identity-based policy allows the iam:GetGroupPolicy action"))
        );
        assert_eq!(
            h.iam(&bob, &[("Action", "ListRolePolicies"), ("RoleName", "dev")])
                .status,
            200
        );
    }
}
