//! Roles: Create/Get/List/Update/Delete, their trust policies, permissions boundaries and tags.

use super::common::{
    account, arn_in, authorize_listing, document_param, list_entity_tags, no_such_role,
    orphan_principal, page, path_param, resource_tags, tag_entity, tag_keys_param, tags_param,
    untag_entity, write_tags, Holder, HolderTarget,
};
use super::Handler;
use crate::ctx::{tag_keys, Ctx};
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::{int_param, Shape};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rolegate_core::clock::iso;
use rolegate_core::ids::unique_id;
use rolegate_core::model::{Account, Role, Tag};
use rolegate_core::{PolicyDoc, Snapshot};
use rolegate_policy::{size_without_whitespace, PolicyKind};
use std::collections::BTreeMap;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateRole", create_role),
    ("GetRole", get_role),
    ("ListRoles", list_roles),
    ("UpdateRole", update_role),
    ("UpdateRoleDescription", update_role_description),
    ("UpdateAssumeRolePolicy", update_assume_role_policy),
    ("DeleteRole", delete_role),
    ("TagRole", tag_role),
    ("UntagRole", untag_role),
    ("ListRoleTags", list_role_tags),
    ("PutRolePermissionsBoundary", put_role_permissions_boundary),
    (
        "DeleteRolePermissionsBoundary",
        delete_role_permissions_boundary,
    ),
];

const ROLES_PER_ACCOUNT: usize = 1000;
/// The default quota; AWS lets it be raised to 4096, rolegate keeps the default.
const TRUST_POLICY_SIZE: usize = 2048;
const DEFAULT_MAX_SESSION: u32 = 3600;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded, as IAM returns
/// policy documents (botocore un-quotes them).
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A policy document as IAM puts it in a response: the submitted text, URL-encoded.
pub(crate) fn encode_document(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).to_string()
}

/// The members ListRoles returns ("does not return PermissionsBoundary, RoleLastUsed, Tags").
pub(crate) fn write_role_summary(x: &mut Xml, r: &Role) {
    x.elem("Path", &r.path)
        .elem("RoleName", &r.name)
        .elem("RoleId", &r.id)
        .elem("Arn", &r.arn)
        .elem("CreateDate", &iso(r.created))
        .elem("AssumeRolePolicyDocument", &encode_document(r.trust.text()))
        .opt("Description", r.description.as_deref())
        .elem("MaxSessionDuration", &r.max_session_duration.to_string());
}

fn write_boundary(x: &mut Xml, r: &Role) {
    if let Some(b) = &r.boundary {
        x.with("PermissionsBoundary", |x| {
            x.elem("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .elem("PermissionsBoundaryArn", b);
        });
    }
}

/// The whole Role shape, as GetRole returns it.
pub(crate) fn write_role(x: &mut Xml, r: &Role) {
    write_role_summary(x, r);
    write_boundary(x, r);
    if !r.tags.is_empty() {
        write_tags(x, "Tags", &r.tags);
    }
    x.with("RoleLastUsed", |x| {
        if let Some(u) = &r.last_used {
            x.elem("LastUsedDate", &iso(u.date))
                .elem("Region", &u.region);
        }
    });
}

/// The role a request names, as authorization sees it (its ARN or the one it would have at
/// path `/`, its tags and boundary).
fn target(ctx: &Ctx<'_>, name: &str) -> HolderTarget {
    Holder::Role.target(ctx, name)
}

/// The role's ARN, or the one it would have at path `/`.
pub(crate) fn role_arn(ctx: &Ctx<'_>, name: &str) -> String {
    target(ctx, name).arn
}

fn role_name(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    Holder::Role.name_param(ctx, false)
}

fn description_shape(shape: &mut Shape, text: &str) {
    shape.length("description", text, 0, 1000);
    let ok = text
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'));
    shape.pattern(
        "description",
        text,
        ok,
        "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
    );
}

fn max_session_param(ctx: &Ctx<'_>, shape: &mut Shape) -> Result<Option<u32>, ServiceError> {
    let value = int_param("maxSessionDuration", ctx.params.get("MaxSessionDuration"))?;
    if let Some(v) = value {
        shape.range("maxSessionDuration", v, 3600, 43200);
    }
    // Out of range values are reported by the shape check before they are used.
    Ok(value.and_then(|v| u32::try_from(v).ok()))
}

/// Whether an `AWS` principal of a trust policy names something that exists: IAM refuses to
/// save a trust policy naming a user, role or account it does not know. Unique ids (what a
/// deleted principal's ARN became) are kept as they are.
fn principal_exists(snap: &Snapshot, value: &str) -> bool {
    if value == "*" {
        return true;
    }
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return snap.account(value).is_some();
    }
    let Some(rest) = value.strip_prefix("arn:") else {
        return true;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, _region, account_id, resource] = parts.as_slice() else {
        return false;
    };
    // rolegate holds only the `aws` partition, and there is no cross-partition trust.
    if *partition != "aws" {
        return false;
    }
    let Some(account) = snap.account(account_id) else {
        return false;
    };
    let name = resource.rsplit('/').next().unwrap_or(resource);
    match (*service, resource.split('/').next()) {
        ("iam", Some("user")) => account.user(name).is_some_and(|u| u.arn == value),
        ("iam", Some("role")) => account.role(name).is_some_and(|r| r.arn == value),
        _ => true,
    }
}

/// A trust policy as IAM accepts it: valid for its kind, within the size quota, naming only
/// principals that exist.
fn trust_policy(ctx: &Ctx<'_>, text: &str) -> Result<PolicyDoc, ServiceError> {
    let doc = PolicyDoc::new(text, PolicyKind::Trust)?;
    if size_without_whitespace(text) > TRUST_POLICY_SIZE {
        return Err(ServiceError::limit_exceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}"
        )));
    }
    if let Some(p) = doc
        .policy()
        .aws_principals()
        .into_iter()
        .find(|p| !principal_exists(&ctx.snap, p))
    {
        return Err(ServiceError::malformed_policy(format!(
            "Invalid principal in policy: \"AWS\":\"{p}\""
        )));
    }
    Ok(doc)
}

fn no_such_boundary(arn: &str) -> ServiceError {
    ServiceError::no_such_entity(format!(
        "Scope ARN: {arn} does not exist or is not attachable."
    ))
}

fn create_role(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let path = path_param(ctx)?;
    let tags = tags_param(ctx)?;
    let text = document_param(ctx, "AssumeRolePolicyDocument", "assumeRolePolicyDocument")?;
    let description = ctx.params.get("Description").map(str::to_owned);
    let boundary = ctx.params.get("PermissionsBoundary").map(str::to_owned);
    let mut shape = Shape::new();
    if let Some(d) = &description {
        description_shape(&mut shape, d);
    }
    if let Some(b) = &boundary {
        shape.length("permissionsBoundary", b, 20, 2048);
    }
    let max_session = max_session_param(ctx, &mut shape)?;
    shape.check()?;
    let arn = arn_in(ctx, "role/", &path[1..], &name);
    ctx.authorize("iam:CreateRole", &arn, |c| {
        tag_keys(c, &tags);
        if let Some(b) = &boundary {
            c.insert("iam:PermissionsBoundary", b);
        }
    })?;
    let trust = trust_policy(ctx, &text)?;
    if let Some(b) = &boundary {
        if ctx.snap.managed_policy(b).is_none() {
            return Err(no_such_boundary(b));
        }
    }
    let now = ctx.now();
    let account_id = ctx.account().to_owned();
    let role = ctx.state.catalog.update(&account_id, |a| {
        if a.role(&name).is_some() {
            return Err(ServiceError::already_exists(format!(
                "Role with name {name} already exists."
            )));
        }
        if a.roles.len() >= ROLES_PER_ACCOUNT {
            return Err(ServiceError::limit_exceeded(format!(
                "Cannot exceed quota for RolesPerAccount: {ROLES_PER_ACCOUNT}"
            )));
        }
        let role = Role {
            name: name.clone(),
            path: path.clone(),
            id: unique_id("AROA"),
            arn: arn.clone(),
            created: now,
            trust,
            description: description.filter(|d| !d.is_empty()),
            max_session_duration: max_session.unwrap_or(DEFAULT_MAX_SESSION),
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            inline: BTreeMap::new(),
            attached: Vec::new(),
            boundary,
            last_used: None,
        };
        a.roles.insert(name.to_lowercase(), role.clone().into());
        Ok(role)
    })?;
    let mut x = Xml::new();
    x.with("Role", |x| {
        write_role_summary(x, &role);
        write_boundary(x, &role);
        if !role.tags.is_empty() {
            write_tags(x, "Tags", &role.tags);
        }
    });
    Ok(Some(x))
}

fn get_role(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let t = target(ctx, &name);
    ctx.authorize("iam:GetRole", &t.arn, |c| resource_tags(c, &t.tags))?;
    let a = account(ctx)?;
    let mut r = a.role(&name).ok_or_else(|| no_such_role(&name))?.clone();
    if let Some(used) = ctx.state.catalog.role_last_used(&r.id) {
        r.last_used = Some(used);
    }
    let mut x = Xml::new();
    x.with("Role", |x| write_role(x, &r));
    Ok(Some(x))
}

fn list_roles(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let prefix = authorize_listing(ctx, "iam:ListRoles", "role")?;
    let a = account(ctx)?;
    // The map is keyed by lowercased name: already in IAM's order.
    let roles: Vec<&Role> = a
        .roles
        .values()
        .map(|v| &**v)
        .filter(|r| r.path.starts_with(&prefix))
        .collect();
    page(ctx, "Roles", &roles, |x, r| write_role_summary(x, r))
}

fn update_role(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let description = ctx.params.get("Description").map(str::to_owned);
    let mut shape = Shape::new();
    if let Some(d) = &description {
        description_shape(&mut shape, d);
    }
    let max_session = max_session_param(ctx, &mut shape)?;
    shape.check()?;
    let t = target(ctx, &name);
    ctx.authorize("iam:UpdateRole", &t.arn, |c| resource_tags(c, &t.tags))?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let r = a
            .roles
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such_role(&name))?;
        if let Some(d) = description {
            r.description = Some(d).filter(|d| !d.is_empty());
        }
        if let Some(m) = max_session {
            r.max_session_duration = m;
        }
        Ok::<_, ServiceError>(())
    })?;
    // UpdateRole has an empty result element, not none.
    Ok(Some(Xml::new()))
}

fn update_role_description(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let description = ctx.params.required("Description")?.to_owned();
    let mut shape = Shape::new();
    description_shape(&mut shape, &description);
    shape.check()?;
    let t = target(ctx, &name);
    ctx.authorize("iam:UpdateRoleDescription", &t.arn, |c| {
        resource_tags(c, &t.tags)
    })?;
    let account_id = ctx.account().to_owned();
    let role = ctx.state.catalog.update(&account_id, |a| {
        let r = a
            .roles
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such_role(&name))?;
        r.description = Some(description).filter(|d| !d.is_empty());
        Ok::<_, ServiceError>(r.clone())
    })?;
    let mut x = Xml::new();
    x.with("Role", |x| write_role(x, &role));
    Ok(Some(x))
}

fn update_assume_role_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let text = document_param(ctx, "PolicyDocument", "policyDocument")?;
    let t = target(ctx, &name);
    ctx.authorize("iam:UpdateAssumeRolePolicy", &t.arn, |c| {
        resource_tags(c, &t.tags)
    })?;
    account(ctx)?
        .role(&name)
        .ok_or_else(|| no_such_role(&name))?;
    let trust = trust_policy(ctx, &text)?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let r = a
            .roles
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such_role(&name))?;
        r.trust = trust;
        Ok::<_, ServiceError>(())
    })?;
    Ok(None)
}

fn delete_role(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let t = target(ctx, &name);
    ctx.authorize("iam:DeleteRole", &t.arn, |c| resource_tags(c, &t.tags))?;
    let (arn, id) = {
        let r = account(ctx)?
            .role(&name)
            .ok_or_else(|| no_such_role(&name))?;
        (r.arn.clone(), r.id.clone())
    };
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let r = a.role(&name).ok_or_else(|| no_such_role(&name))?;
        if !r.inline.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must delete policies first.",
            ));
        }
        if !r.attached.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        if a.instance_profiles
            .values()
            .any(|p| p.roles.iter().any(|n| n.eq_ignore_ascii_case(&name)))
        {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must remove roles from instance profile first.",
            ));
        }
        a.roles.remove(&name.to_lowercase());
        Ok(())
    })?;
    orphan_principal(ctx, &arn, &id)?;
    Ok(None)
}

fn tag_role(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let tags = tags_param(ctx)?;
    let t = target(ctx, &name);
    tag_entity(ctx, "iam:TagRole", &t.arn, &t.tags, &tags, |a| {
        role_tags_mut(a, &name)
    })
}

fn untag_role(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let keys = tag_keys_param(ctx)?;
    let t = target(ctx, &name);
    untag_entity(ctx, "iam:UntagRole", &t.arn, &t.tags, &keys, |a| {
        role_tags_mut(a, &name)
    })
}

fn list_role_tags(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let t = target(ctx, &name);
    list_entity_tags(ctx, "iam:ListRoleTags", &t.arn, &t.tags, |ctx| {
        let r = account(ctx)?
            .role(&name)
            .ok_or_else(|| no_such_role(&name))?;
        Ok(&r.tags)
    })
}

fn role_tags_mut<'a>(a: &'a mut Account, name: &str) -> Result<&'a mut Vec<Tag>, ServiceError> {
    a.roles
        .get_mut(&name.to_lowercase())
        .map(|r| &mut r.tags)
        .ok_or_else(|| no_such_role(name))
}

fn put_role_permissions_boundary(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let boundary = ctx.params.required("PermissionsBoundary")?.to_owned();
    Shape::new()
        .length("permissionsBoundary", &boundary, 20, 2048)
        .check()?;
    let t = target(ctx, &name);
    ctx.authorize("iam:PutRolePermissionsBoundary", &t.arn, |c| {
        resource_tags(c, &t.tags);
        c.insert("iam:PermissionsBoundary", &boundary);
    })?;
    account(ctx)?
        .role(&name)
        .ok_or_else(|| no_such_role(&name))?;
    if ctx.snap.managed_policy(&boundary).is_none() {
        return Err(no_such_boundary(&boundary));
    }
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let r = a
            .roles
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such_role(&name))?;
        r.boundary = Some(boundary);
        Ok::<_, ServiceError>(())
    })?;
    Ok(None)
}

fn delete_role_permissions_boundary(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = role_name(ctx)?;
    let t = target(ctx, &name);
    ctx.authorize("iam:DeleteRolePermissionsBoundary", &t.arn, |c| {
        resource_tags(c, &t.tags);
        if let Some(b) = &t.boundary {
            c.insert("iam:PermissionsBoundary", b);
        }
    })?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let r = a
            .roles
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such_role(&name))?;
        r.boundary = None;
        Ok::<_, ServiceError>(())
    })?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use crate::dispatch::QueryResponse;
    use crate::error::ServiceError;
    use crate::testing::{field, fields, Harness};
    use rolegate_core::clock::iso;
    use rolegate_core::model::LastUsed;
    use rolegate_core::{Caller, PolicyDoc};
    use rolegate_policy::{
        evaluate, Context, PolicyKind, PolicySet, Principal, Request, ResourcePolicyKind,
    };

    const A: &str = "111111111111";
    const B: &str = "222222222222";
    const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    fn trusting(principal: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    }

    fn unescape(s: &str) -> String {
        s.replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    /// (code, message) of an error response.
    fn error(r: &QueryResponse) -> (u16, String, String) {
        (
            r.status,
            field(&r.body, "Code").unwrap_or_default().to_owned(),
            unescape(field(&r.body, "Message").unwrap_or_default()),
        )
    }

    fn err(status: u16, code: &str, message: &str) -> (u16, String, String) {
        (status, code.to_owned(), message.to_owned())
    }

    /// The trust policy GetRole returns, decoded.
    fn trust_of(h: &Harness, caller: &Caller, role: &str) -> String {
        let r = h.iam(caller, &[("Action", "GetRole"), ("RoleName", role)]);
        assert_eq!(r.status, 200, "{}", r.body);
        let encoded = field(&r.body, "AssumeRolePolicyDocument").unwrap_or_default();
        percent_encoding::percent_decode_str(encoded)
            .decode_utf8_lossy()
            .into_owned()
    }

    fn create(h: &Harness, caller: &Caller, name: &str, doc: &str) -> QueryResponse {
        h.iam(
            caller,
            &[
                ("Action", "CreateRole"),
                ("RoleName", name),
                ("AssumeRolePolicyDocument", doc),
            ],
        )
    }

    fn role_count(h: &Harness, account: &str) -> usize {
        h.state
            .catalog
            .snapshot()
            .account(account)
            .map_or(0, |a| a.roles.len())
    }

    /// An IAM user `name` with one inline policy `statement` (none if empty), as a caller.
    fn user_with(h: &Harness, account: &str, name: &str, statement: &str) -> Caller {
        let root = Harness::root(account);
        let r = h.iam(&root, &[("Action", "CreateUser"), ("UserName", name)]);
        assert_eq!(r.status, 200, "{}", r.body);
        if !statement.is_empty() {
            let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
            let doc = PolicyDoc::new(&text, PolicyKind::InlineIdentity).expect("valid policy");
            h.state
                .catalog
                .update(account, |a| {
                    let u = a
                        .users
                        .get_mut(&name.to_lowercase())
                        .ok_or_else(ServiceError::service_failure)?;
                    u.inline.insert("p".to_owned(), doc);
                    Ok::<_, ServiceError>(())
                })
                .expect("policy stored");
        }
        h.user(account, name)
    }

    #[test]
    fn create_get_and_list() {
        let h = Harness::new();
        let root = Harness::root(A);
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateRole"),
                ("RoleName", "App"),
                ("Path", "/team/"),
                ("AssumeRolePolicyDocument", EC2_TRUST),
                ("Description", "the app"),
                ("MaxSessionDuration", "7200"),
                ("Tags.member.1.Key", "env"),
                ("Tags.member.1.Value", "prod"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let id = field(&r.body, "RoleId").unwrap_or_default().to_owned();
        assert!(id.starts_with("AROA") && id.len() == 21, "{id}");
        assert_eq!(
            field(&r.body, "Arn"),
            Some("arn:aws:iam::111111111111:role/team/App")
        );
        assert_eq!(field(&r.body, "Path"), Some("/team/"));
        assert_eq!(field(&r.body, "Value"), Some("prod"));
        assert!(r.body.contains("<CreateRoleResult><Role>"));

        let r = h.iam(&root, &[("Action", "GetRole"), ("RoleName", "app")]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "RoleName"), Some("App"));
        assert_eq!(field(&r.body, "RoleId"), Some(id.as_str()));
        assert_eq!(field(&r.body, "Description"), Some("the app"));
        assert_eq!(field(&r.body, "MaxSessionDuration"), Some("7200"));
        assert_eq!(
            field(&r.body, "CreateDate"),
            Some(iso(crate::testing::NOW).as_str())
        );
        assert_eq!(field(&r.body, "Key"), Some("env"));
        assert!(r.body.contains("<RoleLastUsed></RoleLastUsed>"));
        assert!(!r.body.contains("PermissionsBoundary"));
        // URL-encoded as submitted: no raw braces or quotes on the wire.
        let encoded = field(&r.body, "AssumeRolePolicyDocument").unwrap_or_default();
        assert!(encoded.starts_with("%7B%22Version%22"), "{encoded}");
        assert_eq!(trust_of(&h, &root, "App"), EC2_TRUST);

        // Last use shows when recorded.
        h.state
            .catalog
            .update(A, |a| {
                if let Some(r) = a.roles.get_mut("app") {
                    r.last_used = Some(LastUsed {
                        date: 1_790_000_100,
                        service: "sts".into(),
                        region: "eu-west-1".into(),
                    });
                }
                Ok::<_, ServiceError>(())
            })
            .expect("update");
        let r = h.iam(&root, &[("Action", "GetRole"), ("RoleName", "App")]);
        assert_eq!(
            field(&r.body, "LastUsedDate"),
            Some(iso(1_790_000_100).as_str())
        );
        assert_eq!(field(&r.body, "Region"), Some("eu-west-1"));

        for name in ["b-role", "C-role"] {
            assert_eq!(create(&h, &root, name, EC2_TRUST).status, 200);
        }
        let r = h.iam(&root, &[("Action", "ListRoles")]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(fields(&r.body, "RoleName"), vec!["App", "b-role", "C-role"]);
        assert_eq!(
            fields(&r.body, "MaxSessionDuration"),
            vec!["7200", "3600", "3600"]
        );
        assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
        // Listing omits tags, boundary and last use, as AWS does.
        assert!(!r.body.contains("<Tags>") && !r.body.contains("RoleLastUsed"));

        let r = h.iam(&root, &[("Action", "ListRoles"), ("PathPrefix", "/team/")]);
        assert_eq!(fields(&r.body, "RoleName"), vec!["App"]);

        let r = h.iam(&root, &[("Action", "ListRoles"), ("MaxItems", "2")]);
        assert_eq!(fields(&r.body, "RoleName"), vec!["App", "b-role"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("true"));
        let marker = field(&r.body, "Marker").unwrap_or_default().to_owned();
        let r = h.iam(
            &root,
            &[
                ("Action", "ListRoles"),
                ("MaxItems", "2"),
                ("Marker", &marker),
            ],
        );
        assert_eq!(fields(&r.body, "RoleName"), vec!["C-role"]);

        let r = h.iam(&root, &[("Action", "ListRoles"), ("PathPrefix", "team")]);
        assert_eq!(r.status, 400);
        // Another account sees none of them.
        let r = h.iam(&Harness::root(B), &[("Action", "ListRoles")]);
        assert!(fields(&r.body, "RoleName").is_empty());
    }

    #[test]
    fn create_errors_change_nothing() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "App", EC2_TRUST).status, 200);
        assert_eq!(
            error(&create(&h, &root, "APP", EC2_TRUST)),
            err(
                409,
                "EntityAlreadyExists",
                "Role with name APP already exists."
            )
        );
        assert_eq!(
            error(&create(&h, &root, "bad name", EC2_TRUST)),
            err(400, "ValidationError", "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
        );
        assert_eq!(
            error(&create(&h, &root, &"r".repeat(65), EC2_TRUST)).1,
            "ValidationError"
        );
        let with = |k: &str, v: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", "New"),
                    ("AssumeRolePolicyDocument", EC2_TRUST),
                    (k, v),
                ],
            )
        };
        assert_eq!(
            error(&with("MaxSessionDuration", "3599")),
            err(400, "ValidationError", "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
        );
        assert_eq!(
            error(&with("MaxSessionDuration", "43201")),
            err(400, "ValidationError", "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200")
        );
        assert_eq!(
            error(&with("MaxSessionDuration", "long")).1,
            "ValidationError"
        );
        let long = "d".repeat(1001);
        assert_eq!(
            error(&with("Description", &long)),
            err(400, "ValidationError", &format!("1 validation error detected: Value '{long}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000"))
        );
        assert_eq!(error(&with("Path", "nopath")).1, "ValidationError");
        assert_eq!(
            error(&with("PermissionsBoundary", "arn:aws:iam::111111111111:policy/Nope")),
            err(404, "NoSuchEntity", "Scope ARN: arn:aws:iam::111111111111:policy/Nope does not exist or is not attachable.")
        );
        assert_eq!(
            error(&h.iam(&root, &[("Action", "CreateRole"), ("RoleName", "New")])),
            err(
                400,
                "MissingParameter",
                "The request must contain the parameter AssumeRolePolicyDocument"
            )
        );
        assert_eq!(
            error(&create(&h, &root, "New", "{not json")).1,
            "MalformedPolicyDocument"
        );
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            error(&create(&h, &root, "New", no_principal)),
            err(
                400,
                "MalformedPolicyDocument",
                "Missing required field Principal"
            )
        );
        // 2048 characters without whitespace is the quota; whitespace is free.
        let sid = |n: usize| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}}]}}"#,
                "S".repeat(n)
            )
        };
        let base = rolegate_policy::size_without_whitespace(&sid(0));
        let at_quota = sid(2048 - base);
        let padded = at_quota.replace(",", ",    ");
        assert_eq!(create(&h, &root, "AtQuota", &padded).status, 200);
        assert_eq!(
            error(&create(&h, &root, "TooBig", &sid(2049 - base))),
            err(
                409,
                "LimitExceeded",
                "Cannot exceed quota for ACLSizePerRole: 2048"
            )
        );
        assert_eq!(role_count(&h, A), 2);
    }

    #[test]
    fn roles_per_account_quota() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "r0", EC2_TRUST).status, 200);
        let template = h
            .state
            .catalog
            .snapshot()
            .account(A)
            .and_then(|a| a.role("r0").cloned())
            .expect("role");
        h.state
            .catalog
            .update(A, |a| {
                for i in 1..1000 {
                    let mut r = template.clone();
                    r.name = format!("r{i}");
                    a.roles.insert(r.name.clone(), r.into());
                }
                Ok::<_, ServiceError>(())
            })
            .expect("filled");
        assert_eq!(
            error(&create(&h, &root, "one-more", EC2_TRUST)),
            err(
                409,
                "LimitExceeded",
                "Cannot exceed quota for RolesPerAccount: 1000"
            )
        );
        assert_eq!(role_count(&h, A), 1000);
    }

    #[test]
    fn trust_principals_must_exist() {
        let h = Harness::new();
        let root = Harness::root(A);
        let root_b = Harness::root(B);
        assert_eq!(
            h.iam(
                &root_b,
                &[
                    ("Action", "CreateUser"),
                    ("UserName", "bob"),
                    ("Path", "/ops/")
                ]
            )
            .status,
            200
        );
        assert_eq!(create(&h, &root_b, "Peer", EC2_TRUST).status, 200);
        let ok = [
            "*",
            "222222222222",
            "arn:aws:iam::222222222222:root",
            "arn:aws:iam::222222222222:user/ops/bob",
            "arn:aws:iam::222222222222:role/Peer",
            "arn:aws:sts::222222222222:assumed-role/Peer/session",
            "AIDAJQABLZS4A3QDU576Q",
        ];
        for (i, p) in ok.iter().enumerate() {
            let r = create(&h, &root, &format!("ok{i}"), &trusting(p));
            assert_eq!(r.status, 200, "{p}: {}", r.body);
        }
        let bad = [
            "arn:aws:iam::222222222222:role/NonExistent",
            // The path is part of the ARN.
            "arn:aws:iam::222222222222:user/bob",
            // The user part of an ARN is case-sensitive.
            "arn:aws:iam::222222222222:user/ops/Bob",
            "arn:aws:iam::333333333333:root",
            "333333333333",
            "arn:aws:iam::333333333333:user/bob",
            "arn:aws:sts::333333333333:assumed-role/Peer/s",
            "arn:aws-cn:iam::222222222222:root",
        ];
        for p in bad {
            assert_eq!(
                error(&create(&h, &root, "bad", &trusting(p))),
                err(
                    400,
                    "MalformedPolicyDocument",
                    &format!("Invalid principal in policy: \"AWS\":\"{p}\"")
                ),
            );
        }
        // A role cannot trust itself before it exists.
        assert_eq!(
            error(&create(
                &h,
                &root,
                "Self",
                &trusting("arn:aws:iam::111111111111:role/Self")
            ))
            .1,
            "MalformedPolicyDocument"
        );
        // Several principals: the first missing one is reported.
        let list = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root","arn:aws:iam::222222222222:role/Gone"]},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            error(&create(&h, &root, "bad", list)).2,
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::222222222222:role/Gone\""
        );
        assert_eq!(role_count(&h, A), ok.len());

        // UpdateAssumeRolePolicy checks the same way and leaves the old document on failure.
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateAssumeRolePolicy"),
                ("RoleName", "ok0"),
                (
                    "PolicyDocument",
                    &trusting("arn:aws:iam::222222222222:role/NonExistent"),
                ),
            ],
        );
        assert_eq!(
            error(&r),
            err(400, "MalformedPolicyDocument", "Invalid principal in policy: \"AWS\":\"arn:aws:iam::222222222222:role/NonExistent\"")
        );
        assert_eq!(trust_of(&h, &root, "ok0"), trusting("*"));
    }

    #[test]
    fn update_role_and_description() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "App", EC2_TRUST).status, 200);
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateRole"),
                ("RoleName", "App"),
                ("Description", "new"),
                ("MaxSessionDuration", "43200"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("<UpdateRoleResult></UpdateRoleResult>"));
        let r = h.iam(&root, &[("Action", "GetRole"), ("RoleName", "App")]);
        assert_eq!(field(&r.body, "Description"), Some("new"));
        assert_eq!(field(&r.body, "MaxSessionDuration"), Some("43200"));

        // Only what is given changes.
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateRole"),
                ("RoleName", "App"),
                ("MaxSessionDuration", "3600"),
            ],
        );
        assert_eq!(r.status, 200);
        let r = h.iam(&root, &[("Action", "GetRole"), ("RoleName", "App")]);
        assert_eq!(field(&r.body, "Description"), Some("new"));
        assert_eq!(field(&r.body, "MaxSessionDuration"), Some("3600"));

        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateRole"),
                ("RoleName", "App"),
                ("MaxSessionDuration", "100"),
            ],
        );
        assert_eq!(error(&r).1, "ValidationError");
        let r = h.iam(&root, &[("Action", "UpdateRole"), ("RoleName", "Nope")]);
        assert_eq!(
            error(&r),
            err(
                404,
                "NoSuchEntity",
                "The role with name Nope cannot be found."
            )
        );

        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateRoleDescription"),
                ("RoleName", "App"),
                ("Description", "described"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("<UpdateRoleDescriptionResult><Role>"));
        assert_eq!(field(&r.body, "Description"), Some("described"));
        assert_eq!(field(&r.body, "RoleName"), Some("App"));
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateRoleDescription"),
                ("RoleName", "App"),
                ("Description", ""),
            ],
        );
        assert_eq!(r.status, 200);
        assert_eq!(field(&r.body, "Description"), None);
        let r = h.iam(
            &root,
            &[("Action", "UpdateRoleDescription"), ("RoleName", "App")],
        );
        assert_eq!(error(&r).1, "MissingParameter");
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateRoleDescription"),
                ("RoleName", "Nope"),
                ("Description", "x"),
            ],
        );
        assert_eq!(error(&r).0, 404);
    }

    #[test]
    fn update_assume_role_policy() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "App", EC2_TRUST).status, 200);
        let doc = trusting("arn:aws:iam::222222222222:root");
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateAssumeRolePolicy"),
                ("RoleName", "App"),
                ("PolicyDocument", &doc),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(!r.body.contains("UpdateAssumeRolePolicyResult"));
        assert_eq!(trust_of(&h, &root, "App"), doc);
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateAssumeRolePolicy"),
                ("RoleName", "Nope"),
                ("PolicyDocument", &doc),
            ],
        );
        assert_eq!(
            error(&r),
            err(
                404,
                "NoSuchEntity",
                "The role with name Nope cannot be found."
            )
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateAssumeRolePolicy"),
                ("RoleName", "App"),
                ("PolicyDocument", "[]"),
            ],
        );
        assert_eq!(error(&r).1, "MalformedPolicyDocument");
        assert_eq!(trust_of(&h, &root, "App"), doc);
    }

    #[test]
    fn delete_conflicts_then_delete() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "App", EC2_TRUST).status, 200);
        let inline = PolicyDoc::new(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            PolicyKind::InlineIdentity,
        )
        .expect("policy");
        let set = |inline: Option<PolicyDoc>, attached: Vec<String>| {
            h.state
                .catalog
                .update(A, |a| {
                    let r = a
                        .roles
                        .get_mut("app")
                        .ok_or_else(ServiceError::service_failure)?;
                    r.inline.clear();
                    if let Some(d) = inline {
                        r.inline.insert("s3".to_owned(), d);
                    }
                    r.attached = attached;
                    Ok::<_, ServiceError>(())
                })
                .expect("update")
        };
        let delete = || h.iam(&root, &[("Action", "DeleteRole"), ("RoleName", "App")]);
        set(
            Some(inline),
            vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        );
        assert_eq!(
            error(&delete()),
            err(
                409,
                "DeleteConflict",
                "Cannot delete entity, must delete policies first."
            )
        );
        set(None, vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()]);
        assert_eq!(
            error(&delete()),
            err(
                409,
                "DeleteConflict",
                "Cannot delete entity, must detach all policies first."
            )
        );
        set(None, Vec::new());
        let ip = [("InstanceProfileName", "web"), ("RoleName", "App")];
        assert_eq!(
            h.iam(&root, &[("Action", "CreateInstanceProfile"), ip[0]])
                .status,
            200
        );
        assert_eq!(
            h.iam(
                &root,
                &[("Action", "AddRoleToInstanceProfile"), ip[0], ip[1]]
            )
            .status,
            200
        );
        assert_eq!(
            error(&delete()),
            err(
                409,
                "DeleteConflict",
                "Cannot delete entity, must remove roles from instance profile first."
            )
        );
        assert_eq!(role_count(&h, A), 1);
        assert_eq!(
            h.iam(
                &root,
                &[("Action", "RemoveRoleFromInstanceProfile"), ip[0], ip[1]]
            )
            .status,
            200
        );
        let r = delete();
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(role_count(&h, A), 0);
        assert_eq!(
            error(&delete()),
            err(
                404,
                "NoSuchEntity",
                "The role with name App cannot be found."
            )
        );
        let r = h.iam(&root, &[("Action", "GetRole"), ("RoleName", "App")]);
        assert_eq!(error(&r).0, 404);
    }

    #[test]
    fn tags() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "App", EC2_TRUST).status, 200);
        let r = h.iam(
            &root,
            &[
                ("Action", "TagRole"),
                ("RoleName", "App"),
                ("Tags.member.1.Key", "env"),
                ("Tags.member.1.Value", "dev"),
                ("Tags.member.2.Key", "team"),
                ("Tags.member.2.Value", "core"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        // Keys compare case-insensitively: this replaces the value.
        let r = h.iam(
            &root,
            &[
                ("Action", "TagRole"),
                ("RoleName", "App"),
                ("Tags.member.1.Key", "ENV"),
                ("Tags.member.1.Value", "prod"),
            ],
        );
        assert_eq!(r.status, 200);
        let r = h.iam(&root, &[("Action", "ListRoleTags"), ("RoleName", "App")]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(fields(&r.body, "Key"), vec!["env", "team"]);
        assert_eq!(fields(&r.body, "Value"), vec!["prod", "core"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
        let r = h.iam(
            &root,
            &[
                ("Action", "ListRoleTags"),
                ("RoleName", "App"),
                ("MaxItems", "1"),
            ],
        );
        assert_eq!(fields(&r.body, "Key"), vec!["env"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("true"));

        let r = h.iam(
            &root,
            &[
                ("Action", "UntagRole"),
                ("RoleName", "App"),
                ("TagKeys.member.1", "Env"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(&root, &[("Action", "ListRoleTags"), ("RoleName", "App")]);
        assert_eq!(fields(&r.body, "Key"), vec!["team"]);

        let r = h.iam(
            &root,
            &[
                ("Action", "TagRole"),
                ("RoleName", "App"),
                ("Tags.member.1.Key", "a"),
                ("Tags.member.1.Value", "1"),
                ("Tags.member.2.Key", "A"),
                ("Tags.member.2.Value", "2"),
            ],
        );
        assert_eq!(
            error(&r),
            err(
                400,
                "InvalidInput",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        );
        // 50 tags at most, counting those already there.
        let mut params: Vec<(String, String)> = vec![
            ("Action".into(), "TagRole".into()),
            ("RoleName".into(), "App".into()),
        ];
        for i in 1..=50 {
            params.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
            params.push((format!("Tags.member.{i}.Value"), "v".into()));
        }
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            error(&h.iam(&root, &pairs)),
            err(
                409,
                "LimitExceeded",
                "The number of tags has reached the maximum limit."
            )
        );
        let r = h.iam(&root, &[("Action", "ListRoleTags"), ("RoleName", "App")]);
        assert_eq!(fields(&r.body, "Key"), vec!["team"]);

        for action in ["TagRole", "UntagRole", "ListRoleTags"] {
            let r = h.iam(
                &root,
                &[
                    ("Action", action),
                    ("RoleName", "Nope"),
                    ("Tags.member.1.Key", "k"),
                    ("TagKeys.member.1", "k"),
                ],
            );
            assert_eq!(
                error(&r),
                err(
                    404,
                    "NoSuchEntity",
                    "The role with name Nope cannot be found."
                ),
                "{action}"
            );
        }
    }

    #[test]
    fn permissions_boundary() {
        let h = Harness::new();
        let root = Harness::root(A);
        let boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateRole"),
                ("RoleName", "Bounded"),
                ("AssumeRolePolicyDocument", EC2_TRUST),
                ("PermissionsBoundary", boundary),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "PermissionsBoundaryArn"), Some(boundary));

        assert_eq!(create(&h, &root, "App", EC2_TRUST).status, 200);
        let put = |role: &str, arn: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "PutRolePermissionsBoundary"),
                    ("RoleName", role),
                    ("PermissionsBoundary", arn),
                ],
            )
        };
        let r = put("App", boundary);
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(&root, &[("Action", "GetRole"), ("RoleName", "App")]);
        assert_eq!(
            field(&r.body, "PermissionsBoundaryType"),
            Some("PermissionsBoundaryPolicy")
        );
        assert_eq!(field(&r.body, "PermissionsBoundaryArn"), Some(boundary));

        let missing = "arn:aws:iam::111111111111:policy/Missing";
        assert_eq!(
            error(&put("App", missing)),
            err(404, "NoSuchEntity", "Scope ARN: arn:aws:iam::111111111111:policy/Missing does not exist or is not attachable.")
        );
        assert_eq!(
            error(&put("Nope", boundary)),
            err(
                404,
                "NoSuchEntity",
                "The role with name Nope cannot be found."
            )
        );
        assert_eq!(error(&put("App", "arn:short")).1, "ValidationError");

        let r = h.iam(
            &root,
            &[
                ("Action", "DeleteRolePermissionsBoundary"),
                ("RoleName", "App"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(&root, &[("Action", "GetRole"), ("RoleName", "App")]);
        assert!(!r.body.contains("PermissionsBoundary"));
        let r = h.iam(
            &root,
            &[
                ("Action", "DeleteRolePermissionsBoundary"),
                ("RoleName", "Nope"),
            ],
        );
        assert_eq!(error(&r).0, 404);
    }

    #[test]
    fn access_denied_without_permission() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "App", EC2_TRUST).status, 200);
        let bob = user_with(&h, A, "bob", "");
        let denied = |action: &str, resource: &str| {
            err(403, "AccessDenied", &format!(
                "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:{action} on resource: {resource} because no identity-based policy allows the iam:{action} action"
            ))
        };
        let role = "arn:aws:iam::111111111111:role/App";
        assert_eq!(
            error(&h.iam(
                &bob,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", "r"),
                    ("AssumeRolePolicyDocument", EC2_TRUST)
                ]
            )),
            denied("CreateRole", "arn:aws:iam::111111111111:role/r")
        );
        assert_eq!(
            error(&h.iam(
                &bob,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", "r"),
                    ("Path", "/p/"),
                    ("AssumeRolePolicyDocument", "{bad")
                ]
            )),
            denied("CreateRole", "arn:aws:iam::111111111111:role/p/r")
        );
        // A missing role is not revealed: the denial names the ARN it would have.
        assert_eq!(
            error(&h.iam(&bob, &[("Action", "GetRole"), ("RoleName", "Ghost")])),
            denied("GetRole", "arn:aws:iam::111111111111:role/Ghost")
        );
        assert_eq!(
            error(&h.iam(&bob, &[("Action", "ListRoles")])),
            denied("ListRoles", "arn:aws:iam::111111111111:role/")
        );
        let calls: [(&str, &[(&str, &str)]); 10] = [
            ("GetRole", &[]),
            ("UpdateRole", &[]),
            ("UpdateRoleDescription", &[("Description", "d")]),
            ("UpdateAssumeRolePolicy", &[("PolicyDocument", EC2_TRUST)]),
            ("DeleteRole", &[]),
            (
                "TagRole",
                &[("Tags.member.1.Key", "k"), ("Tags.member.1.Value", "v")],
            ),
            ("UntagRole", &[("TagKeys.member.1", "k")]),
            ("ListRoleTags", &[]),
            (
                "PutRolePermissionsBoundary",
                &[(
                    "PermissionsBoundary",
                    "arn:aws:iam::aws:policy/ReadOnlyAccess",
                )],
            ),
            ("DeleteRolePermissionsBoundary", &[]),
        ];
        for (action, extra) in calls {
            let mut params = vec![("Action", action), ("RoleName", "App")];
            params.extend_from_slice(extra);
            assert_eq!(
                error(&h.iam(&bob, &params)),
                denied(action, role),
                "{action}"
            );
        }
        let r = h.iam(&root, &[("Action", "GetRole"), ("RoleName", "App")]);
        assert_eq!(field(&r.body, "MaxSessionDuration"), Some("3600"));
        assert!(!r.body.contains("<Tags>") && !r.body.contains("PermissionsBoundaryArn"));
    }

    #[test]
    fn condition_keys_reach_the_authorizer() {
        let h = Harness::new();
        let root = Harness::root(A);
        for (name, team) in [("Mine", "core"), ("Theirs", "other")] {
            let r = h.iam(
                &root,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", name),
                    ("AssumeRolePolicyDocument", EC2_TRUST),
                    ("Tags.member.1.Key", "team"),
                    ("Tags.member.1.Value", team),
                ],
            );
            assert_eq!(r.status, 200);
        }
        let carol = user_with(
            &h,
            A,
            "carol",
            r#"{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"core"}}},
               {"Effect":"Allow","Action":"iam:CreateRole","Resource":"*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
               {"Effect":"Allow","Action":"iam:TagRole","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}"#,
        );
        assert_eq!(
            h.iam(&carol, &[("Action", "GetRole"), ("RoleName", "Mine")])
                .status,
            200
        );
        assert_eq!(
            error(&h.iam(&carol, &[("Action", "GetRole"), ("RoleName", "Theirs")])).0,
            403
        );
        let make = |boundary: Option<&str>| {
            let mut p = vec![
                ("Action", "CreateRole"),
                ("RoleName", "Delegated"),
                ("AssumeRolePolicyDocument", EC2_TRUST),
            ];
            if let Some(b) = boundary {
                p.push(("PermissionsBoundary", b));
            }
            h.iam(&carol, &p)
        };
        assert_eq!(error(&make(None)).0, 403);
        assert_eq!(
            error(&make(Some("arn:aws:iam::aws:policy/AdministratorAccess"))).0,
            403
        );
        assert_eq!(
            make(Some("arn:aws:iam::aws:policy/ReadOnlyAccess")).status,
            200
        );
        let tag = |key: &str| {
            h.iam(
                &carol,
                &[
                    ("Action", "TagRole"),
                    ("RoleName", "Mine"),
                    ("Tags.member.1.Key", key),
                    ("Tags.member.1.Value", "x"),
                ],
            )
        };
        assert_eq!(tag("team").status, 200);
        assert_eq!(error(&tag("owner")).0, 403);
    }

    /// Role A trusts user B; B is deleted; the trust policy now shows B's unique id; a new B
    /// with the same name is not trusted (IAM User Guide, "Specifying a principal").
    #[test]
    fn deleted_principal_becomes_its_unique_id() {
        let h = Harness::new();
        let root = Harness::root(A);
        let mk_user = |acct: &str| {
            let r = h.iam(
                &Harness::root(acct),
                &[("Action", "CreateUser"), ("UserName", "b")],
            );
            assert_eq!(r.status, 200, "{}", r.body);
            field(&r.body, "UserId").unwrap_or_default().to_owned()
        };
        let same = "arn:aws:iam::111111111111:user/b";
        let other = "arn:aws:iam::222222222222:user/b";
        let old_same = mk_user(A);
        let old_other = mk_user(B);
        assert_eq!(create(&h, &root, "Same", &trusting(same)).status, 200);
        assert_eq!(create(&h, &root, "Cross", &trusting(other)).status, 200);
        assert_eq!(trust_of(&h, &root, "Same"), trusting(same));

        let role = |name: &str| {
            h.state
                .catalog
                .snapshot()
                .account(A)
                .and_then(|a| a.role(name).cloned())
                .expect("role")
        };
        let trusted = |name: &str, user: &Principal| {
            let r = role(name);
            let ctx = Context::for_principal(user);
            let req = Request {
                principal: user,
                action: "sts:AssumeRole",
                resource: &r.arn,
                resource_account: Some(A),
                context: &ctx,
            };
            let set = PolicySet {
                resource: Some(r.trust.compiled()),
                resource_kind: ResourcePolicyKind::RoleTrust,
                ..PolicySet::default()
            };
            evaluate(&req, &set).is_allowed()
        };
        let b_old = Principal::user(A, same, "b", &old_same);
        assert!(trusted("Same", &b_old));

        for acct in [A, B] {
            let r = h.iam(
                &Harness::root(acct),
                &[("Action", "DeleteUser"), ("UserName", "b")],
            );
            assert_eq!(r.status, 200, "{}", r.body);
        }
        assert_eq!(trust_of(&h, &root, "Same"), trusting(&old_same));
        assert_eq!(trust_of(&h, &root, "Cross"), trusting(&old_other));

        let new_same = mk_user(A);
        let new_other = mk_user(B);
        assert_ne!(new_same, old_same);
        // Re-creating the user does not restore the ARN, and the new user is not trusted.
        let doc = trust_of(&h, &root, "Same");
        assert!(doc.contains(&old_same) && !doc.contains(same) && !doc.contains(&new_same));
        let doc = trust_of(&h, &root, "Cross");
        assert!(doc.contains(&old_other) && !doc.contains(other) && !doc.contains(&new_other));
        assert!(!trusted("Same", &Principal::user(A, same, "b", &new_same)));
        // The old user's id still matches (it could only be a session issued before deletion).
        assert!(trusted("Same", &b_old));
        // The orphaned trust policy can still be saved again as it is.
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateAssumeRolePolicy"),
                ("RoleName", "Same"),
                ("PolicyDocument", &doc_for(&old_same)),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }

    fn doc_for(principal: &str) -> String {
        trusting(principal)
    }
}
