//! Managed policies: customer managed policies with their versions and tags, the AWS managed
//! ones (read-only, `arn:aws:iam::aws:policy/...`), and their attachment to users, groups and
//! roles.

use super::common::{
    account, document_param, enum_param, list_entity_tags, page, resource_tags, tag_entity,
    tag_keys_param, tags_param, untag_entity, write_tags, Holder,
};
use super::roles::encode_document;
use super::Handler;
use crate::ctx::{tag_keys, Ctx};
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::{paginate, write_truncation, Shape};
use rolegate_core::clock::iso;
use rolegate_core::ids::unique_id;
use rolegate_core::model::{Account, ManagedPolicy, PolicyVersion, Tag};
use rolegate_core::{PolicyDoc, Snapshot};
use rolegate_policy::{size_without_whitespace, PolicyKind};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreatePolicy", create_policy),
    ("GetPolicy", get_policy),
    ("ListPolicies", list_policies),
    ("DeletePolicy", delete_policy),
    ("CreatePolicyVersion", create_policy_version),
    ("GetPolicyVersion", get_policy_version),
    ("ListPolicyVersions", list_policy_versions),
    ("DeletePolicyVersion", delete_policy_version),
    ("SetDefaultPolicyVersion", set_default_policy_version),
    ("AttachUserPolicy", attach_user_policy),
    ("DetachUserPolicy", detach_user_policy),
    ("AttachGroupPolicy", attach_group_policy),
    ("DetachGroupPolicy", detach_group_policy),
    ("AttachRolePolicy", attach_role_policy),
    ("DetachRolePolicy", detach_role_policy),
    ("ListAttachedUserPolicies", list_attached_user_policies),
    ("ListAttachedGroupPolicies", list_attached_group_policies),
    ("ListAttachedRolePolicies", list_attached_role_policies),
    ("ListEntitiesForPolicy", list_entities_for_policy),
    ("TagPolicy", tag_policy),
    ("UntagPolicy", untag_policy),
    ("ListPolicyTags", list_policy_tags),
];

/// Characters of a managed policy, whitespace not counted.
const POLICY_SIZE: usize = 6144;
const VERSIONS_PER_POLICY: usize = 5;
/// Managed policies attached to one user, group or role (AWS's default quota).
const ATTACHED_PER_ENTITY: usize = 10;
const POLICIES_PER_ACCOUNT: usize = 1500;
const PATH_PATTERN: &str = "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/";
const VERSION_PATTERN: &str = "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?";

// ---------------------------------------------------------------------------------------------
// Shared pieces (also used by GetAccountAuthorizationDetails)

/// How many entities of an account use a policy, as permissions and as a boundary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub attachments: usize,
    pub boundaries: usize,
}

pub(crate) fn usage(a: &Account, arn: &str) -> Usage {
    let has = |list: &[String]| list.iter().any(|x| x == arn);
    let is = |b: &Option<String>| b.as_deref() == Some(arn);
    Usage {
        attachments: a.users.values().filter(|u| has(&u.attached)).count()
            + a.groups.values().filter(|g| has(&g.attached)).count()
            + a.roles.values().filter(|r| has(&r.attached)).count(),
        boundaries: a.users.values().filter(|u| is(&u.boundary)).count()
            + a.roles.values().filter(|r| is(&r.boundary)).count(),
    }
}

/// The members of the `Policy` shape up to `UpdateDate`; `Description` only where AWS gives it
/// (GetPolicy).
pub(crate) fn write_policy(x: &mut Xml, p: &ManagedPolicy, u: Usage, description: bool) {
    x.elem("PolicyName", &p.name)
        .elem("PolicyId", &p.id)
        .elem("Arn", &p.arn)
        .elem("Path", &p.path)
        .elem("DefaultVersionId", &p.default_version)
        .elem("AttachmentCount", &u.attachments.to_string())
        .elem("PermissionsBoundaryUsageCount", &u.boundaries.to_string())
        .elem("IsAttachable", "true");
    if description {
        x.opt("Description", p.description.as_deref());
    }
    x.elem("CreateDate", &iso(p.created))
        .elem("UpdateDate", &iso(p.updated));
}

/// A `PolicyVersion`; the document only where AWS gives it (GetPolicyVersion, account
/// authorization details).
pub(crate) fn write_version(x: &mut Xml, p: &ManagedPolicy, v: &PolicyVersion, document: bool) {
    if document {
        x.elem("Document", &encode_document(v.doc.text()));
    }
    x.elem("VersionId", &v.id)
        .elem(
            "IsDefaultVersion",
            if v.id == p.default_version {
                "true"
            } else {
                "false"
            },
        )
        .elem("CreateDate", &iso(v.created));
}

/// `AttachedManagedPolicies`/`AttachedPolicies`: name and ARN of each attached policy.
pub(crate) fn write_attached(x: &mut Xml, name: &str, snap: &Snapshot, arns: &[String]) {
    x.members(name, arns, |x, arn| {
        let policy_name = snap
            .managed_policy(arn)
            .map(|p| p.name.as_str())
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn));
        x.elem("PolicyName", policy_name).elem("PolicyArn", arn);
    });
}

/// A managed policy the caller's account can see: an AWS managed one, or one of its own.
pub(crate) fn visible_policy<'s>(
    snap: &'s Snapshot,
    account: &str,
    arn: &str,
) -> Option<&'s ManagedPolicy> {
    match snap.aws_policies.get(arn) {
        Some(p) => Some(p),
        None => snap.account(account)?.policy_by_arn(arn),
    }
}

fn not_found(arn: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("Policy {arn} was not found."))
}

fn not_attachable(arn: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

fn no_such_version(arn: &str, version: &str) -> ServiceError {
    ServiceError::no_such_entity(format!(
        "Policy {arn} version {version} does not exist or is not attachable."
    ))
}

/// `PolicyArn` (`arnType`: 20-2048); anything not shaped as an ARN is InvalidInput.
fn policy_arn_param(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let arn = ctx.params.required("PolicyArn")?.to_owned();
    Shape::new().length("policyArn", &arn, 20, 2048).check()?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let shaped = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty();
    if !shaped {
        return Err(ServiceError::invalid_input(format!(
            "ARN {arn} is not valid."
        )));
    }
    Ok(arn)
}

/// Whether `p` matches the policy path pattern `((/[A-Za-z0-9\.,\+@=_-]+)*)/`.
fn is_policy_path(p: &str) -> bool {
    let Some(body) = p.strip_suffix('/') else {
        return false;
    };
    body.is_empty()
        || (body.starts_with('/')
            && body[1..].split('/').all(|seg| {
                !seg.is_empty()
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c))
            }))
}

/// A policy path parameter (`Path` or `PathPrefix`), `/` by default.
fn policy_path_param(ctx: &Ctx<'_>, name: &str, field: &str) -> Result<String, ServiceError> {
    let path = ctx.params.get(name).unwrap_or("/").to_owned();
    let ok = is_policy_path(&path);
    Shape::new()
        .length(field, &path, 1, 512)
        .pattern(field, &path, ok || path.is_empty(), PATH_PATTERN)
        .check()?;
    Ok(path)
}

fn version_param(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let v = ctx.params.required("VersionId")?.to_owned();
    let ok = v.strip_prefix('v').is_some_and(|rest| {
        let (num, suffix) = rest.split_once('.').unwrap_or((rest, ""));
        num.starts_with(|c: char| ('1'..='9').contains(&c))
            && num.chars().all(|c| c.is_ascii_digit())
            && suffix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    Shape::new()
        .pattern("versionId", &v, ok, VERSION_PATTERN)
        .check()?;
    Ok(v)
}

/// The tags of an existing customer managed policy, for `aws:ResourceTag` conditions.
fn policy_tags(ctx: &Ctx<'_>, arn: &str) -> Vec<(String, String)> {
    visible_policy(&ctx.snap, ctx.account(), arn)
        .map(|p| {
            p.tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Authorizes `action` on the policy named by the request, with its tags.
fn authorize_policy(ctx: &mut Ctx<'_>, action: &str, arn: &str) -> Result<(), ServiceError> {
    let tags = policy_tags(ctx, arn);
    ctx.authorize(action, arn, |c| resource_tags(c, &tags))
}

/// A customer managed policy of `a`, for a change. AWS managed policies are not the account's
/// to change: to it they do not exist.
fn own_policy_mut<'a>(
    a: &'a mut Account,
    arn: &str,
) -> Result<&'a mut ManagedPolicy, ServiceError> {
    let key = arn.rsplit('/').next().unwrap_or_default().to_lowercase();
    a.policies
        .get_mut(&key)
        .map(|p| &mut **p)
        .filter(|p| p.arn == arn)
        .ok_or_else(|| not_found(arn))
}

/// A document for a managed policy: the size quota, then the grammar.
fn managed_document(text: &str, arn: &str) -> Result<PolicyDoc, ServiceError> {
    if size_without_whitespace(text) > POLICY_SIZE {
        return Err(ServiceError::limit_exceeded(format!(
            "Cannot exceed quota for PolicySize: {POLICY_SIZE}"
        )));
    }
    Ok(PolicyDoc::new(text, PolicyKind::ManagedIdentity)?.named(arn))
}

fn bool_param(ctx: &Ctx<'_>, name: &str) -> bool {
    ctx.params
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

// ---------------------------------------------------------------------------------------------
// Policies

fn create_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = ctx.params.required("PolicyName")?.to_owned();
    let mut shape = Shape::new();
    shape.name("policyName", &name, 128);
    let description = ctx.params.get("Description").map(str::to_owned);
    if let Some(d) = &description {
        shape.length("description", d, 0, 1000);
    }
    shape.check()?;
    let path = policy_path_param(ctx, "Path", "path")?;
    let text = document_param(ctx, "PolicyDocument", "policyDocument")?;
    let tags = tags_param(ctx)?;
    let arn = format!("arn:aws:iam::{}:policy{path}{name}", ctx.account());
    ctx.authorize("iam:CreatePolicy", &arn, |c| tag_keys(c, &tags))?;
    let doc = managed_document(&text, &arn)?;
    let now = ctx.now();
    let account_id = ctx.account().to_owned();
    let policy = ctx.state.catalog.update(&account_id, |a| {
        if a.policies.contains_key(&name.to_lowercase()) {
            return Err(ServiceError::already_exists(format!(
                "A policy called {name} already exists. Duplicate names are not allowed."
            )));
        }
        if a.policies.len() >= POLICIES_PER_ACCOUNT {
            return Err(ServiceError::limit_exceeded(format!(
                "Cannot exceed quota for PoliciesPerAccount: {POLICIES_PER_ACCOUNT}"
            )));
        }
        let policy = ManagedPolicy {
            name: name.clone(),
            path: path.clone(),
            id: unique_id("ANPA"),
            arn: arn.clone(),
            created: now,
            updated: now,
            description: description.clone().filter(|d| !d.is_empty()),
            default_version: "v1".to_owned(),
            versions: vec![PolicyVersion {
                id: "v1".to_owned(),
                doc,
                created: now,
            }],
            next_version: 2,
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        };
        a.policies
            .insert(name.to_lowercase(), policy.clone().into());
        Ok(policy)
    })?;
    let mut x = Xml::new();
    x.with("Policy", |x| {
        write_policy(x, &policy, Usage::default(), false);
        if !policy.tags.is_empty() {
            write_tags(x, "Tags", &policy.tags);
        }
    });
    Ok(Some(x))
}

fn get_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    authorize_policy(ctx, "iam:GetPolicy", &arn)?;
    let a = account(ctx)?;
    let p = visible_policy(&ctx.snap, ctx.account(), &arn).ok_or_else(|| not_found(&arn))?;
    let mut x = Xml::new();
    x.with("Policy", |x| {
        write_policy(x, p, usage(a, &arn), true);
        if !p.tags.is_empty() {
            write_tags(x, "Tags", &p.tags);
        }
    });
    Ok(Some(x))
}

fn list_policies(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let scope = enum_param(ctx, "Scope", "scope", &["All", "AWS", "Local"])?;
    let usage_filter = enum_param(
        ctx,
        "PolicyUsageFilter",
        "policyUsageFilter",
        &["PermissionsPolicy", "PermissionsBoundary"],
    )?;
    let prefix = policy_path_param(ctx, "PathPrefix", "pathPrefix")?;
    let only_attached = bool_param(ctx, "OnlyAttached");
    // ListPolicies has no resource-level permissions.
    ctx.authorize("iam:ListPolicies", "*", |_| {})?;
    let a = account(ctx)?;
    let scope = scope.as_deref().unwrap_or("All");
    let aws = ctx.snap.aws_policies.values().filter(|_| scope != "Local");
    let local = a.policies.values().map(|p| &**p).filter(|_| scope != "AWS");
    let mut policies: Vec<(&ManagedPolicy, Usage)> = aws
        .chain(local)
        .filter(|p| p.path.starts_with(&prefix))
        .map(|p| (p, usage(a, &p.arn)))
        .filter(|(_, u)| {
            // The usage filter says which kind of use OnlyAttached counts.
            !only_attached
                || match usage_filter.as_deref() {
                    Some("PermissionsPolicy") => u.attachments > 0,
                    Some("PermissionsBoundary") => u.boundaries > 0,
                    _ => u.attachments + u.boundaries > 0,
                }
        })
        .collect();
    policies.sort_by(|(x, _), (y, _)| {
        x.name
            .to_lowercase()
            .cmp(&y.name.to_lowercase())
            .then_with(|| x.arn.cmp(&y.arn))
    });
    page(ctx, "Policies", &policies, |x, (p, u)| {
        write_policy(x, p, *u, false)
    })
}

fn delete_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    authorize_policy(ctx, "iam:DeletePolicy", &arn)?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let u = usage(a, &arn);
        let p = own_policy_mut(a, &arn)?;
        if u.attachments + u.boundaries > 0 {
            return Err(ServiceError::delete_conflict(
                "Cannot delete a policy attached to entities.",
            ));
        }
        if p.versions.len() > 1 {
            return Err(ServiceError::delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            ));
        }
        let key = p.name.to_lowercase();
        a.policies.remove(&key);
        Ok(())
    })?;
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// Versions

fn create_policy_version(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    let text = document_param(ctx, "PolicyDocument", "policyDocument")?;
    let set_default = bool_param(ctx, "SetAsDefault");
    authorize_policy(ctx, "iam:CreatePolicyVersion", &arn)?;
    let doc = managed_document(&text, &arn)?;
    let now = ctx.now();
    let account_id = ctx.account().to_owned();
    let (policy, version) = ctx.state.catalog.update(&account_id, |a| {
        let p = own_policy_mut(a, &arn)?;
        if p.versions.len() >= VERSIONS_PER_POLICY {
            return Err(ServiceError::limit_exceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
            ));
        }
        let version = PolicyVersion {
            id: format!("v{}", p.next_version),
            doc,
            created: now,
        };
        p.next_version += 1;
        p.updated = now;
        if set_default {
            p.default_version = version.id.clone();
        }
        p.versions.push(version.clone());
        Ok((p.clone(), version))
    })?;
    let mut x = Xml::new();
    x.with("PolicyVersion", |x| {
        write_version(x, &policy, &version, false)
    });
    Ok(Some(x))
}

fn get_policy_version(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    let version = version_param(ctx)?;
    authorize_policy(ctx, "iam:GetPolicyVersion", &arn)?;
    let p = visible_policy(&ctx.snap, ctx.account(), &arn).ok_or_else(|| not_found(&arn))?;
    let v = p
        .versions
        .iter()
        .find(|v| v.id == version)
        .ok_or_else(|| no_such_version(&arn, &version))?;
    let mut x = Xml::new();
    x.with("PolicyVersion", |x| write_version(x, p, v, true));
    Ok(Some(x))
}

fn list_policy_versions(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    authorize_policy(ctx, "iam:ListPolicyVersions", &arn)?;
    let p = visible_policy(&ctx.snap, ctx.account(), &arn).ok_or_else(|| not_found(&arn))?;
    // Newest first, as IAM lists them.
    let versions: Vec<&PolicyVersion> = p.versions.iter().rev().collect();
    page(ctx, "Versions", &versions, |x, v| {
        write_version(x, p, v, false)
    })
}

fn delete_policy_version(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    let version = version_param(ctx)?;
    authorize_policy(ctx, "iam:DeletePolicyVersion", &arn)?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let p = own_policy_mut(a, &arn)?;
        let i = p
            .versions
            .iter()
            .position(|v| v.id == version)
            .ok_or_else(|| no_such_version(&arn, &version))?;
        if p.default_version == version {
            return Err(ServiceError::delete_conflict(
                "Cannot delete the default version of a policy.",
            ));
        }
        p.versions.remove(i);
        Ok(())
    })?;
    Ok(None)
}

fn set_default_policy_version(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    let version = version_param(ctx)?;
    authorize_policy(ctx, "iam:SetDefaultPolicyVersion", &arn)?;
    let now = ctx.now();
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let p = own_policy_mut(a, &arn)?;
        if !p.versions.iter().any(|v| v.id == version) {
            return Err(no_such_version(&arn, &version));
        }
        p.default_version = version.clone();
        p.updated = now;
        Ok(())
    })?;
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// Attachments

/// Attach/Detach<Holder>Policy: the holder's name and the policy's ARN, once `iam:<verb><Holder>Policy`
/// is authorized on the holder.
fn authorize_attachment(
    ctx: &mut Ctx<'_>,
    h: Holder,
    verb: &str,
) -> Result<(String, String), ServiceError> {
    let name = h.name_param(ctx, false)?;
    let arn = policy_arn_param(ctx)?;
    let t = h.target(ctx, &name);
    ctx.authorize(&format!("iam:{verb}{}Policy", h.noun()), &t.arn, |c| {
        // Groups have no boundary; users and roles carry theirs.
        t.describe(c, true);
        c.insert("iam:PolicyARN", &arn);
    })?;
    Ok((name, arn))
}

fn attach(ctx: &mut Ctx<'_>, h: Holder) -> Result<Option<Xml>, ServiceError> {
    let (name, arn) = authorize_attachment(ctx, h, "Attach")?;
    let account_id = ctx.account().to_owned();
    let visible = visible_policy(&ctx.snap, &account_id, &arn).is_some();
    ctx.state.catalog.update(&account_id, |a| {
        let (_, attached) = h.policies_mut(a, &name)?;
        if !visible {
            return Err(not_attachable(&arn));
        }
        if attached.contains(&arn) {
            return Ok(());
        }
        if attached.len() >= ATTACHED_PER_ENTITY {
            return Err(ServiceError::limit_exceeded(format!(
                "Cannot exceed quota for PoliciesPer{}: {ATTACHED_PER_ENTITY}",
                h.noun()
            )));
        }
        attached.push(arn.clone());
        Ok(())
    })?;
    Ok(None)
}

fn detach(ctx: &mut Ctx<'_>, h: Holder) -> Result<Option<Xml>, ServiceError> {
    let (name, arn) = authorize_attachment(ctx, h, "Detach")?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let (_, attached) = h.policies_mut(a, &name)?;
        let i = attached
            .iter()
            .position(|x| *x == arn)
            .ok_or_else(|| not_found(&arn))?;
        attached.remove(i);
        Ok::<_, ServiceError>(())
    })?;
    Ok(None)
}

fn list_attached(ctx: &mut Ctx<'_>, h: Holder) -> Result<Option<Xml>, ServiceError> {
    let name = h.name_param(ctx, false)?;
    let prefix = policy_path_param(ctx, "PathPrefix", "pathPrefix")?;
    let t = h.target(ctx, &name);
    ctx.authorize(
        &format!("iam:ListAttached{}Policies", h.noun()),
        &t.arn,
        |c| t.describe(c, false),
    )?;
    let a = account(ctx)?;
    let (_, attached) = h.policies(a, &name).ok_or_else(|| h.not_found(&name))?;
    let arns: Vec<String> = attached
        .iter()
        .filter(|arn| {
            ctx.snap
                .managed_policy(arn)
                .is_none_or(|p| p.path.starts_with(&prefix))
        })
        .cloned()
        .collect();
    let (page, next) = paginate(&arns, ctx.params.get("Marker"), ctx.params.get("MaxItems"))?;
    let mut x = Xml::new();
    write_attached(&mut x, "AttachedPolicies", &ctx.snap, &page);
    write_truncation(&mut x, &next);
    Ok(Some(x))
}

fn attach_user_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    attach(ctx, Holder::User)
}
fn detach_user_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    detach(ctx, Holder::User)
}
fn attach_group_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    attach(ctx, Holder::Group)
}
fn detach_group_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    detach(ctx, Holder::Group)
}
fn attach_role_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    attach(ctx, Holder::Role)
}
fn detach_role_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    detach(ctx, Holder::Role)
}
fn list_attached_user_policies(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    list_attached(ctx, Holder::User)
}
fn list_attached_group_policies(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    list_attached(ctx, Holder::Group)
}
fn list_attached_role_policies(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    list_attached(ctx, Holder::Role)
}

/// One entity that uses a policy, for ListEntitiesForPolicy.
#[derive(Clone)]
struct Entity {
    holder: Holder,
    name: String,
    id: String,
}

fn list_entities_for_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    let filter = enum_param(
        ctx,
        "EntityFilter",
        "entityFilter",
        &[
            "User",
            "Role",
            "Group",
            "LocalManagedPolicy",
            "AWSManagedPolicy",
        ],
    )?;
    let usage_filter = enum_param(
        ctx,
        "PolicyUsageFilter",
        "policyUsageFilter",
        &["PermissionsPolicy", "PermissionsBoundary"],
    )?;
    let prefix = ctx.params.get("PathPrefix").unwrap_or("/").to_owned();
    Shape::new().path("pathPrefix", &prefix).check()?;
    authorize_policy(ctx, "iam:ListEntitiesForPolicy", &arn)?;
    let a = account(ctx)?;
    visible_policy(&ctx.snap, ctx.account(), &arn).ok_or_else(|| not_found(&arn))?;
    let wanted = |h: Holder| filter.as_deref().is_none_or(|f| f == h.noun());
    let uses = |attached: &[String], boundary: Option<&String>| {
        let as_policy = attached.contains(&arn);
        let as_boundary = boundary == Some(&arn);
        match usage_filter.as_deref() {
            Some("PermissionsPolicy") => as_policy,
            Some("PermissionsBoundary") => as_boundary,
            _ => as_policy || as_boundary,
        }
    };
    let mut entities: Vec<Entity> = Vec::new();
    let mut add = |holder: Holder, name: &str, id: &str, path: &str, used: bool| {
        if used && wanted(holder) && path.starts_with(&prefix) {
            entities.push(Entity {
                holder,
                name: name.to_owned(),
                id: id.to_owned(),
            });
        }
    };
    for g in a.groups.values() {
        add(
            Holder::Group,
            &g.name,
            &g.id,
            &g.path,
            uses(&g.attached, None),
        );
    }
    for u in a.users.values() {
        add(
            Holder::User,
            &u.name,
            &u.id,
            &u.path,
            uses(&u.attached, u.boundary.as_ref()),
        );
    }
    for r in a.roles.values() {
        add(
            Holder::Role,
            &r.name,
            &r.id,
            &r.path,
            uses(&r.attached, r.boundary.as_ref()),
        );
    }
    let (page, next) = paginate(
        &entities,
        ctx.params.get("Marker"),
        ctx.params.get("MaxItems"),
    )?;
    let of = |h: Holder| -> Vec<&Entity> { page.iter().filter(|e| e.holder == h).collect() };
    let mut x = Xml::new();
    x.members("PolicyGroups", &of(Holder::Group), |x, e| {
        x.elem("GroupName", &e.name).elem("GroupId", &e.id);
    });
    x.members("PolicyUsers", &of(Holder::User), |x, e| {
        x.elem("UserName", &e.name).elem("UserId", &e.id);
    });
    x.members("PolicyRoles", &of(Holder::Role), |x, e| {
        x.elem("RoleName", &e.name).elem("RoleId", &e.id);
    });
    write_truncation(&mut x, &next);
    Ok(Some(x))
}

// ---------------------------------------------------------------------------------------------
// Tags

fn tag_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    let tags = tags_param(ctx)?;
    let existing = policy_tags(ctx, &arn);
    tag_entity(ctx, "iam:TagPolicy", &arn, &existing, &tags, |a| {
        Ok(&mut own_policy_mut(a, &arn)?.tags)
    })
}

fn untag_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    let keys = tag_keys_param(ctx)?;
    let existing = policy_tags(ctx, &arn);
    untag_entity(ctx, "iam:UntagPolicy", &arn, &existing, &keys, |a| {
        Ok(&mut own_policy_mut(a, &arn)?.tags)
    })
}

fn list_policy_tags(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = policy_arn_param(ctx)?;
    let existing = policy_tags(ctx, &arn);
    list_entity_tags(ctx, "iam:ListPolicyTags", &arn, &existing, |ctx| {
        let p = visible_policy(&ctx.snap, ctx.account(), &arn).ok_or_else(|| not_found(&arn))?;
        Ok(&p.tags)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::dispatch::QueryResponse;
    use crate::testing::{field, fields, Harness};
    use rolegate_core::model::Role;
    use rolegate_core::{Caller, PolicyDoc};
    use rolegate_policy::PolicyKind;

    pub(crate) const A: &str = "111111111111";
    pub(crate) const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    pub(crate) const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
    const READ_ONLY: &str = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";

    pub(crate) fn unescape(s: &str) -> String {
        s.replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    /// (status, code, message) of an error response.
    pub(crate) fn error(r: &QueryResponse) -> (u16, String, String) {
        (
            r.status,
            field(&r.body, "Code").unwrap_or_default().to_owned(),
            unescape(field(&r.body, "Message").unwrap_or_default()),
        )
    }

    pub(crate) fn err(status: u16, code: &str, message: &str) -> (u16, String, String) {
        (status, code.to_owned(), message.to_owned())
    }

    pub(crate) fn decode(s: &str) -> String {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// Root creates a user, a group and a role named `name`.
    pub(crate) fn entities(h: &Harness, root: &Caller, name: &str) {
        for (action, param) in [("CreateUser", "UserName"), ("CreateGroup", "GroupName")] {
            assert_eq!(
                h.iam(root, &[("Action", action), (param, name)]).status,
                200
            );
        }
        let r = h.iam(
            root,
            &[
                ("Action", "CreateRole"),
                ("RoleName", name),
                ("AssumeRolePolicyDocument", TRUST),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// A user of account A whose only permissions are the inline policy `doc`.
    pub(crate) fn user_with(h: &Harness, name: &str, doc: &str) -> Caller {
        let root = Harness::root(A);
        assert_eq!(
            h.iam(&root, &[("Action", "CreateUser"), ("UserName", name)])
                .status,
            200
        );
        let doc = PolicyDoc::new(doc, PolicyKind::InlineIdentity).expect("valid policy");
        h.state
            .catalog
            .update(A, |a| {
                if let Some(u) = a.users.get_mut(&name.to_lowercase()) {
                    u.inline.insert("perms".to_owned(), doc);
                }
                Ok::<_, rolegate_core::CatalogError>(())
            })
            .expect("update");
        h.user(A, name)
    }

    fn create(h: &Harness, root: &Caller, name: &str) -> QueryResponse {
        h.iam(
            root,
            &[
                ("Action", "CreatePolicy"),
                ("PolicyName", name),
                ("PolicyDocument", DOC),
            ],
        )
    }

    fn local(name: &str) -> String {
        format!("arn:aws:iam::{A}:policy/{name}")
    }

    #[test]
    fn create_get_list_delete() {
        let h = Harness::new();
        let root = Harness::root(A);
        let r = h.iam(
            &root,
            &[
                ("Action", "CreatePolicy"),
                ("PolicyName", "Reader"),
                ("Path", "/team/"),
                ("Description", "reads objects"),
                ("PolicyDocument", DOC),
                ("Tags.member.1.Key", "env"),
                ("Tags.member.1.Value", "dev"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let arn = format!("arn:aws:iam::{A}:policy/team/Reader");
        assert_eq!(field(&r.body, "Arn"), Some(arn.as_str()));
        assert!(
            field(&r.body, "PolicyId").is_some_and(|id| id.starts_with("ANPA") && id.len() == 21)
        );
        assert_eq!(field(&r.body, "DefaultVersionId"), Some("v1"));
        assert_eq!(field(&r.body, "AttachmentCount"), Some("0"));
        assert_eq!(field(&r.body, "IsAttachable"), Some("true"));
        assert_eq!(field(&r.body, "Value"), Some("dev"));
        // Description only from GetPolicy.
        assert_eq!(field(&r.body, "Description"), None);

        let r = h.iam(&root, &[("Action", "GetPolicy"), ("PolicyArn", &arn)]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "Description"), Some("reads objects"));
        assert_eq!(field(&r.body, "Path"), Some("/team/"));
        assert_eq!(field(&r.body, "PermissionsBoundaryUsageCount"), Some("0"));

        // Names are unique case-insensitively, whatever the path.
        assert_eq!(
            error(&create(&h, &root, "reader")),
            err(
                409,
                "EntityAlreadyExists",
                "A policy called reader already exists. Duplicate names are not allowed."
            )
        );

        let r = h.iam(&root, &[("Action", "ListPolicies"), ("Scope", "Local")]);
        assert_eq!(fields(&r.body, "PolicyName"), vec!["Reader"]);
        assert_eq!(field(&r.body, "Description"), None);
        assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
        let r = h.iam(&root, &[("Action", "ListPolicies"), ("Scope", "AWS")]);
        assert!(fields(&r.body, "PolicyName").contains(&"AdministratorAccess"));
        assert!(!fields(&r.body, "PolicyName").contains(&"Reader"));
        let r = h.iam(
            &root,
            &[("Action", "ListPolicies"), ("PathPrefix", "/team/")],
        );
        assert_eq!(fields(&r.body, "PolicyName"), vec!["Reader"]);
        assert_eq!(
            error(&h.iam(&root, &[("Action", "ListPolicies"), ("Scope", "Mine")])),
            err(400, "ValidationError", "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")
        );

        let r = h.iam(&root, &[("Action", "DeletePolicy"), ("PolicyArn", &arn)]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            error(&h.iam(&root, &[("Action", "GetPolicy"), ("PolicyArn", &arn)])),
            err(404, "NoSuchEntity", &format!("Policy {arn} was not found."))
        );
        assert_eq!(
            error(&h.iam(&root, &[("Action", "DeletePolicy"), ("PolicyArn", &arn)])),
            err(404, "NoSuchEntity", &format!("Policy {arn} was not found."))
        );
    }

    #[test]
    fn create_rejects_bad_input_and_changes_nothing() {
        let h = Harness::new();
        let root = Harness::root(A);
        let call = |name: &str, path: &str, doc: &str| {
            error(&h.iam(
                &root,
                &[
                    ("Action", "CreatePolicy"),
                    ("PolicyName", name),
                    ("Path", path),
                    ("PolicyDocument", doc),
                ],
            ))
        };
        assert_eq!(
            call("bad name", "/", DOC),
            err(400, "ValidationError", "1 validation error detected: Value 'bad name' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
        );
        assert_eq!(
            call("p", "/a", DOC),
            err(400, "ValidationError", "1 validation error detected: Value '/a' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/")
        );
        assert_eq!(call("p", "/a//", DOC).1, "ValidationError");
        assert_eq!(call("p", "/", "{}").1, "MalformedPolicyDocument");
        // Inline-style versionless documents are refused for managed policies.
        assert_eq!(
            call(
                "p",
                "/",
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
            ),
            err(
                400,
                "MalformedPolicyDocument",
                "Policy document must be version 2012-10-17 or greater."
            )
        );
        let actions: Vec<String> = (0..400)
            .map(|i| format!("\"s3:GetObject{i:04}\""))
            .collect();
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
            actions.join(",")
        );
        assert_eq!(
            call("p", "/", &big),
            err(
                409,
                "LimitExceeded",
                "Cannot exceed quota for PolicySize: 6144"
            )
        );
        // Whitespace does not count.
        let spaced = DOC.replace('{', &format!("{{{}", " ".repeat(7000)));
        assert_eq!(call("spaced", "/", &spaced).0, 200);
        let r = h.iam(&root, &[("Action", "ListPolicies"), ("Scope", "Local")]);
        assert_eq!(fields(&r.body, "PolicyName"), vec!["spaced"]);
        assert_eq!(
            error(&h.iam(
                &root,
                &[
                    ("Action", "GetPolicy"),
                    ("PolicyArn", "not-an-arn-but-long-enough")
                ]
            )),
            err(
                400,
                "InvalidInput",
                "ARN not-an-arn-but-long-enough is not valid."
            )
        );
    }

    #[test]
    fn versions() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "p").status, 200);
        let arn = local("p");
        let v2_doc = DOC.replace("s3:GetObject", "s3:PutObject");
        let new_version = |doc: &str, default: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "CreatePolicyVersion"),
                    ("PolicyArn", &arn),
                    ("PolicyDocument", doc),
                    ("SetAsDefault", default),
                ],
            )
        };
        let r = new_version(&v2_doc, "false");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "VersionId"), Some("v2"));
        assert_eq!(field(&r.body, "IsDefaultVersion"), Some("false"));
        assert_eq!(field(&r.body, "Document"), None);
        let r = new_version(DOC, "true");
        assert_eq!(field(&r.body, "IsDefaultVersion"), Some("true"));
        let r = h.iam(&root, &[("Action", "GetPolicy"), ("PolicyArn", &arn)]);
        assert_eq!(field(&r.body, "DefaultVersionId"), Some("v3"));

        let r = h.iam(
            &root,
            &[
                ("Action", "GetPolicyVersion"),
                ("PolicyArn", &arn),
                ("VersionId", "v2"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "Document").map(decode), Some(v2_doc.clone()));
        assert_eq!(field(&r.body, "IsDefaultVersion"), Some("false"));

        let r = h.iam(
            &root,
            &[("Action", "ListPolicyVersions"), ("PolicyArn", &arn)],
        );
        assert_eq!(fields(&r.body, "VersionId"), vec!["v3", "v2", "v1"]);
        assert_eq!(
            fields(&r.body, "IsDefaultVersion"),
            vec!["true", "false", "false"]
        );

        assert_eq!(new_version(DOC, "false").status, 200);
        assert_eq!(new_version(DOC, "false").status, 200);
        assert_eq!(
            error(&new_version(DOC, "false")),
            err(409, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
        );

        let delete = |v: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "DeletePolicyVersion"),
                    ("PolicyArn", &arn),
                    ("VersionId", v),
                ],
            )
        };
        assert_eq!(
            error(&delete("v3")),
            err(
                409,
                "DeleteConflict",
                "Cannot delete the default version of a policy."
            )
        );
        assert_eq!(
            error(&delete("v9")),
            err(
                404,
                "NoSuchEntity",
                &format!("Policy {arn} version v9 does not exist or is not attachable.")
            )
        );
        assert_eq!(
            error(&delete("x1")),
            err(400, "ValidationError", "1 validation error detected: Value 'x1' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?")
        );
        assert_eq!(delete("v5").status, 200);
        // Version ids are never reused.
        assert_eq!(
            field(&new_version(DOC, "false").body, "VersionId"),
            Some("v6")
        );

        let set = |v: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "SetDefaultPolicyVersion"),
                    ("PolicyArn", &arn),
                    ("VersionId", v),
                ],
            )
        };
        assert_eq!(set("v2").status, 200);
        assert_eq!(
            error(&set("v5")),
            err(
                404,
                "NoSuchEntity",
                &format!("Policy {arn} version v5 does not exist or is not attachable.")
            )
        );
        let r = h.iam(&root, &[("Action", "GetPolicy"), ("PolicyArn", &arn)]);
        assert_eq!(field(&r.body, "DefaultVersionId"), Some("v2"));
        assert_eq!(
            error(&h.iam(
                &root,
                &[
                    ("Action", "GetPolicyVersion"),
                    ("PolicyArn", &arn),
                    ("VersionId", "v5")
                ]
            )),
            err(
                404,
                "NoSuchEntity",
                &format!("Policy {arn} version v5 does not exist or is not attachable.")
            )
        );

        // A policy with versions besides the default cannot be deleted.
        assert_eq!(
            error(&h.iam(&root, &[("Action", "DeletePolicy"), ("PolicyArn", &arn)])),
            err(409, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
        );
        for v in ["v1", "v3", "v4", "v6"] {
            assert_eq!(delete(v).status, 200, "{v}");
        }
        assert_eq!(
            h.iam(&root, &[("Action", "DeletePolicy"), ("PolicyArn", &arn)])
                .status,
            200
        );
    }

    #[test]
    fn aws_managed_policies_are_readable_not_changeable() {
        let h = Harness::new();
        let root = Harness::root(A);
        let r = h.iam(&root, &[("Action", "GetPolicy"), ("PolicyArn", ADMIN)]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "PolicyId"), Some("ANPAIWMBCKSKIEE64ZLYK"));
        assert_eq!(
            field(&r.body, "Description"),
            Some("Provides full access to AWS services and resources.")
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "GetPolicyVersion"),
                ("PolicyArn", ADMIN),
                ("VersionId", "v1"),
            ],
        );
        let doc: serde_json::Value =
            serde_json::from_str(&decode(field(&r.body, "Document").unwrap_or_default()))
                .unwrap_or_default();
        assert_eq!(doc["Statement"][0]["Action"], "*");
        for action in ["DeletePolicy", "ListPolicyTags"] {
            let r = h.iam(
                &root,
                &[
                    ("Action", action),
                    ("PolicyArn", "arn:aws:iam::aws:policy/NoSuchThing"),
                ],
            );
            assert_eq!(error(&r).1, "NoSuchEntity", "{action}");
        }
        assert_eq!(
            error(&h.iam(&root, &[("Action", "DeletePolicy"), ("PolicyArn", ADMIN)])),
            err(
                404,
                "NoSuchEntity",
                &format!("Policy {ADMIN} was not found.")
            )
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "CreatePolicyVersion"),
                ("PolicyArn", ADMIN),
                ("PolicyDocument", DOC),
            ],
        );
        assert_eq!(error(&r).1, "NoSuchEntity");
    }

    #[test]
    fn attach_list_detach() {
        let h = Harness::new();
        let root = Harness::root(A);
        entities(&h, &root, "dev");
        assert_eq!(create(&h, &root, "p").status, 200);
        let p = local("p");
        for (holder, param) in [
            ("User", "UserName"),
            ("Group", "GroupName"),
            ("Role", "RoleName"),
        ] {
            for arn in [ADMIN, p.as_str()] {
                let r = h.iam(
                    &root,
                    &[
                        ("Action", &format!("Attach{holder}Policy")),
                        (param, "dev"),
                        ("PolicyArn", arn),
                    ],
                );
                assert_eq!(r.status, 200, "{}", r.body);
            }
            // Attaching again changes nothing.
            let r = h.iam(
                &root,
                &[
                    ("Action", &format!("Attach{holder}Policy")),
                    (param, "DEV"),
                    ("PolicyArn", ADMIN),
                ],
            );
            assert_eq!(r.status, 200, "{}", r.body);
            let r = h.iam(
                &root,
                &[
                    ("Action", &format!("ListAttached{holder}Policies")),
                    (param, "dev"),
                ],
            );
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(
                fields(&r.body, "PolicyName"),
                vec!["AdministratorAccess", "p"]
            );
            assert_eq!(fields(&r.body, "PolicyArn"), vec![ADMIN, p.as_str()]);
            let r = h.iam(
                &root,
                &[
                    ("Action", &format!("ListAttached{holder}Policies")),
                    (param, "dev"),
                    ("MaxItems", "1"),
                ],
            );
            assert_eq!(fields(&r.body, "PolicyName"), vec!["AdministratorAccess"]);
            assert_eq!(field(&r.body, "IsTruncated"), Some("true"));
            let marker = field(&r.body, "Marker").unwrap_or_default().to_owned();
            let r = h.iam(
                &root,
                &[
                    ("Action", &format!("ListAttached{holder}Policies")),
                    (param, "dev"),
                    ("Marker", &marker),
                ],
            );
            assert_eq!(fields(&r.body, "PolicyName"), vec!["p"]);
        }
        let r = h.iam(&root, &[("Action", "GetPolicy"), ("PolicyArn", ADMIN)]);
        assert_eq!(field(&r.body, "AttachmentCount"), Some("3"));
        // Counts are per account.
        let other = h.iam(
            &Harness::root("222222222222"),
            &[("Action", "GetPolicy"), ("PolicyArn", ADMIN)],
        );
        assert_eq!(field(&other.body, "AttachmentCount"), Some("0"));

        let r = h.iam(
            &root,
            &[("Action", "ListEntitiesForPolicy"), ("PolicyArn", &p)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(fields(&r.body, "GroupName"), vec!["dev"]);
        assert_eq!(fields(&r.body, "UserName"), vec!["dev"]);
        assert_eq!(fields(&r.body, "RoleName"), vec!["dev"]);
        assert!(field(&r.body, "RoleId").is_some_and(|id| id.starts_with("AROA")));
        let r = h.iam(
            &root,
            &[
                ("Action", "ListEntitiesForPolicy"),
                ("PolicyArn", &p),
                ("EntityFilter", "Role"),
            ],
        );
        assert_eq!(fields(&r.body, "UserName"), Vec::<&str>::new());
        assert_eq!(fields(&r.body, "RoleName"), vec!["dev"]);
        assert!(r.body.contains("<PolicyUsers></PolicyUsers>"));

        let r = h.iam(
            &root,
            &[("Action", "ListPolicies"), ("OnlyAttached", "true")],
        );
        assert_eq!(
            fields(&r.body, "PolicyName"),
            vec!["AdministratorAccess", "p"]
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "ListPolicies"),
                ("OnlyAttached", "true"),
                ("PolicyUsageFilter", "PermissionsBoundary"),
            ],
        );
        assert_eq!(fields(&r.body, "PolicyName"), Vec::<&str>::new());

        assert_eq!(
            error(&h.iam(&root, &[("Action", "DeletePolicy"), ("PolicyArn", &p)])),
            err(
                409,
                "DeleteConflict",
                "Cannot delete a policy attached to entities."
            )
        );
        for (holder, param) in [
            ("User", "UserName"),
            ("Group", "GroupName"),
            ("Role", "RoleName"),
        ] {
            let detach = |arn: &str| {
                h.iam(
                    &root,
                    &[
                        ("Action", &format!("Detach{holder}Policy")),
                        (param, "dev"),
                        ("PolicyArn", arn),
                    ],
                )
            };
            assert_eq!(detach(&p).status, 200);
            assert_eq!(
                error(&detach(&p)),
                err(404, "NoSuchEntity", &format!("Policy {p} was not found."))
            );
        }
        assert_eq!(
            h.iam(&root, &[("Action", "DeletePolicy"), ("PolicyArn", &p)])
                .status,
            200
        );
    }

    #[test]
    fn attach_errors_and_quota() {
        let h = Harness::new();
        let root = Harness::root(A);
        entities(&h, &root, "dev");
        let missing = local("missing");
        assert_eq!(
            error(&h.iam(
                &root,
                &[
                    ("Action", "AttachUserPolicy"),
                    ("UserName", "dev"),
                    ("PolicyArn", &missing)
                ]
            )),
            err(
                404,
                "NoSuchEntity",
                &format!("Policy {missing} does not exist or is not attachable.")
            )
        );
        // Another account's customer managed policy is not attachable.
        let other = Harness::root("222222222222");
        assert_eq!(create(&h, &other, "theirs").status, 200);
        let theirs = "arn:aws:iam::222222222222:policy/theirs";
        assert_eq!(
            error(&h.iam(
                &root,
                &[
                    ("Action", "AttachRolePolicy"),
                    ("RoleName", "dev"),
                    ("PolicyArn", theirs)
                ]
            )),
            err(
                404,
                "NoSuchEntity",
                &format!("Policy {theirs} does not exist or is not attachable.")
            )
        );
        assert_eq!(
            error(&h.iam(
                &root,
                &[
                    ("Action", "AttachUserPolicy"),
                    ("UserName", "nobody"),
                    ("PolicyArn", ADMIN)
                ]
            )),
            err(
                404,
                "NoSuchEntity",
                "The user with name nobody cannot be found."
            )
        );
        assert_eq!(
            error(&h.iam(
                &root,
                &[
                    ("Action", "AttachGroupPolicy"),
                    ("GroupName", "nobody"),
                    ("PolicyArn", ADMIN)
                ]
            )),
            err(
                404,
                "NoSuchEntity",
                "The group with name nobody cannot be found."
            )
        );
        assert_eq!(
            error(&h.iam(
                &root,
                &[
                    ("Action", "ListAttachedRolePolicies"),
                    ("RoleName", "nobody")
                ]
            )),
            err(
                404,
                "NoSuchEntity",
                "The role with name nobody cannot be found."
            )
        );
        for i in 0..10 {
            let name = format!("p{i}");
            assert_eq!(create(&h, &root, &name).status, 200);
            for (holder, param) in [
                ("User", "UserName"),
                ("Group", "GroupName"),
                ("Role", "RoleName"),
            ] {
                let r = h.iam(
                    &root,
                    &[
                        ("Action", &format!("Attach{holder}Policy")),
                        (param, "dev"),
                        ("PolicyArn", &local(&name)),
                    ],
                );
                assert_eq!(r.status, 200, "{}", r.body);
            }
        }
        for (holder, param) in [
            ("User", "UserName"),
            ("Group", "GroupName"),
            ("Role", "RoleName"),
        ] {
            let r = h.iam(
                &root,
                &[
                    ("Action", &format!("Attach{holder}Policy")),
                    (param, "dev"),
                    ("PolicyArn", ADMIN),
                ],
            );
            assert_eq!(
                error(&r),
                err(
                    409,
                    "LimitExceeded",
                    &format!("Cannot exceed quota for PoliciesPer{holder}: 10")
                )
            );
        }
    }

    #[test]
    fn service_linked_roles_are_protected() {
        let h = Harness::new();
        let root = Harness::root(A);
        h.state
            .catalog
            .update(A, |a| {
                let path = "/aws-service-role/ec2.amazonaws.com/";
                a.roles.insert(
                    "slr".to_owned(),
                    Role::new(
                        A,
                        path,
                        "SLR",
                        "AROAEXAMPLEEXAMPLE123".to_owned(),
                        PolicyDoc::new(TRUST, PolicyKind::Trust).expect("trust"),
                        0,
                    )
                    .into(),
                );
                Ok::<_, rolegate_core::CatalogError>(())
            })
            .expect("update");
        assert_eq!(
            error(&h.iam(&root, &[("Action", "AttachRolePolicy"), ("RoleName", "SLR"), ("PolicyArn", ADMIN)])),
            err(400, "UnmodifiableEntity", "Cannot perform the operation on the protected role 'SLR' - this role is only modifiable by AWS")
        );
    }

    #[test]
    fn tags() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "p").status, 200);
        let arn = local("p");
        let r = h.iam(
            &root,
            &[
                ("Action", "TagPolicy"),
                ("PolicyArn", &arn),
                ("Tags.member.1.Key", "a"),
                ("Tags.member.1.Value", "1"),
                ("Tags.member.2.Key", "b"),
                ("Tags.member.2.Value", "2"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(&root, &[("Action", "ListPolicyTags"), ("PolicyArn", &arn)]);
        assert_eq!(fields(&r.body, "Key"), vec!["a", "b"]);
        let r = h.iam(
            &root,
            &[
                ("Action", "UntagPolicy"),
                ("PolicyArn", &arn),
                ("TagKeys.member.1", "A"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(&root, &[("Action", "GetPolicy"), ("PolicyArn", &arn)]);
        assert_eq!(fields(&r.body, "Key"), vec!["b"]);
        let missing = local("missing");
        assert_eq!(
            error(&h.iam(
                &root,
                &[
                    ("Action", "TagPolicy"),
                    ("PolicyArn", &missing),
                    ("Tags.member.1.Key", "a"),
                    ("Tags.member.1.Value", "")
                ]
            )),
            err(
                404,
                "NoSuchEntity",
                &format!("Policy {missing} was not found.")
            )
        );
    }

    #[test]
    fn access_denied_and_policy_arn_condition() {
        let h = Harness::new();
        let root = Harness::root(A);
        entities(&h, &root, "dev");
        let only_read_only = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*","Condition":{{"ArnEquals":{{"iam:PolicyARN":"{READ_ONLY}"}}}}}}]}}"#
        );
        let bob = user_with(&h, "bob", &only_read_only);
        assert_eq!(
            error(&create(&h, &bob, "p")),
            err(403, "AccessDenied", &format!("User: arn:aws:iam::{A}:user/bob is not authorized to perform: iam:CreatePolicy on resource: arn:aws:iam::{A}:policy/p because no identity-based policy allows the iam:CreatePolicy action"))
        );
        let attach = |arn: &str| {
            h.iam(
                &bob,
                &[
                    ("Action", "AttachUserPolicy"),
                    ("UserName", "bob"),
                    ("PolicyArn", arn),
                ],
            )
        };
        assert_eq!(
            error(&attach(ADMIN)),
            err(403, "AccessDenied", &format!("User: arn:aws:iam::{A}:user/bob is not authorized to perform: iam:AttachUserPolicy on resource: arn:aws:iam::{A}:user/bob because no identity-based policy allows the iam:AttachUserPolicy action"))
        );
        assert_eq!(attach(READ_ONLY).status, 200);
        // The attached AWS managed policy now grants bob its permissions.
        let bob = h.user(A, "bob");
        let r = h.iam(&bob, &[("Action", "GetPolicy"), ("PolicyArn", ADMIN)]);
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(
            &bob,
            &[
                ("Action", "DetachUserPolicy"),
                ("UserName", "bob"),
                ("PolicyArn", READ_ONLY),
            ],
        );
        assert_eq!(error(&r).1, "AccessDenied");
        // Authorization comes first: a denied caller learns nothing of what exists.
        let r = h.iam(
            &bob,
            &[("Action", "DeletePolicy"), ("PolicyArn", &local("nothing"))],
        );
        assert_eq!(error(&r).1, "AccessDenied");
    }

    #[test]
    fn permissions_boundary_condition_delegates_safely() {
        let h = Harness::new();
        let root = Harness::root(A);
        assert_eq!(create(&h, &root, "boundary").status, 200);
        let boundary = local("boundary");
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateUser"),
                ("UserName", "limited"),
                ("PermissionsBoundary", &boundary),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            h.iam(&root, &[("Action", "CreateUser"), ("UserName", "free")])
                .status,
            200
        );
        let delegate = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:AttachUserPolicy","iam:ListAttachedUserPolicies"],"Resource":"*","Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{boundary}"}}}}}}]}}"#
        );
        let bob = user_with(&h, "bob", &delegate);
        let attach = |user: &str| {
            h.iam(
                &bob,
                &[
                    ("Action", "AttachUserPolicy"),
                    ("UserName", user),
                    ("PolicyArn", ADMIN),
                ],
            )
        };
        assert_eq!(attach("limited").status, 200);
        assert_eq!(error(&attach("free")).1, "AccessDenied");
        // ListAttachedUserPolicies does not carry the key: the condition never matches.
        let r = h.iam(
            &bob,
            &[
                ("Action", "ListAttachedUserPolicies"),
                ("UserName", "limited"),
            ],
        );
        assert_eq!(error(&r).1, "AccessDenied");
        // A policy in use as a boundary cannot be deleted.
        assert_eq!(
            error(&h.iam(
                &root,
                &[("Action", "DeletePolicy"), ("PolicyArn", &boundary)]
            )),
            err(
                409,
                "DeleteConflict",
                "Cannot delete a policy attached to entities."
            )
        );
        let r = h.iam(&root, &[("Action", "GetPolicy"), ("PolicyArn", &boundary)]);
        assert_eq!(field(&r.body, "PermissionsBoundaryUsageCount"), Some("1"));
        assert_eq!(field(&r.body, "AttachmentCount"), Some("0"));
        let r = h.iam(
            &root,
            &[
                ("Action", "ListEntitiesForPolicy"),
                ("PolicyArn", &boundary),
                ("PolicyUsageFilter", "PermissionsBoundary"),
            ],
        );
        assert_eq!(fields(&r.body, "UserName"), vec!["limited"]);
        let r = h.iam(
            &root,
            &[
                ("Action", "ListEntitiesForPolicy"),
                ("PolicyArn", &boundary),
                ("PolicyUsageFilter", "PermissionsPolicy"),
            ],
        );
        assert_eq!(fields(&r.body, "UserName"), Vec::<&str>::new());
        let r = h.iam(
            &root,
            &[
                ("Action", "ListPolicies"),
                ("OnlyAttached", "true"),
                ("PolicyUsageFilter", "PermissionsBoundary"),
            ],
        );
        assert_eq!(fields(&r.body, "PolicyName"), vec!["boundary"]);
    }
}
