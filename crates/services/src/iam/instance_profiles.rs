//! Instance profiles: the containers that hand one role to EC2 instances, and their tags.

use super::common::{
    account, arn_in, authorize_listing, list_entity_tags, no_such_role, page, path_param,
    resource_tags, tag_entity, tag_keys_param, tags_param, untag_entity, write_tags,
};
use super::roles::{role_arn, write_role};
use super::Handler;
use crate::ctx::{tag_keys, Ctx};
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::Shape;
use rolegate_core::clock::iso;
use rolegate_core::ids::unique_id;
use rolegate_core::model::{iam_arn, Account, InstanceProfile, Role, Tag};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateInstanceProfile", create_instance_profile),
    ("GetInstanceProfile", get_instance_profile),
    ("ListInstanceProfiles", list_instance_profiles),
    ("DeleteInstanceProfile", delete_instance_profile),
    ("AddRoleToInstanceProfile", add_role_to_instance_profile),
    (
        "RemoveRoleFromInstanceProfile",
        remove_role_from_instance_profile,
    ),
    (
        "ListInstanceProfilesForRole",
        list_instance_profiles_for_role,
    ),
    ("TagInstanceProfile", tag_instance_profile),
    ("UntagInstanceProfile", untag_instance_profile),
    ("ListInstanceProfileTags", list_instance_profile_tags),
];

const PROFILES_PER_ACCOUNT: usize = 1000;
/// "An instance profile can contain only one role, and this quota cannot be increased."
const ROLES_PER_PROFILE: usize = 1;

fn no_such_profile(name: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("Instance Profile {name} cannot be found."))
}

/// The InstanceProfile shape; `tags` is false for listings, which AWS returns without them.
fn write_profile(x: &mut Xml, a: &Account, p: &InstanceProfile, tags: bool) {
    x.elem("Path", &p.path)
        .elem("InstanceProfileName", &p.name)
        .elem("InstanceProfileId", &p.id)
        .elem("Arn", &p.arn)
        .elem("CreateDate", &iso(p.created));
    let roles: Vec<&Role> = p.roles.iter().filter_map(|n| a.role(n)).collect();
    x.members("Roles", &roles, |x, r| write_role(x, r));
    if tags && !p.tags.is_empty() {
        write_tags(x, "Tags", &p.tags);
    }
}

fn profile_name(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let name = ctx.params.required("InstanceProfileName")?.to_owned();
    Shape::new()
        .name("instanceProfileName", &name, 128)
        .check()?;
    Ok(name)
}

fn role_name(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let name = ctx.params.required("RoleName")?.to_owned();
    Shape::new().name("roleName", &name, 64).check()?;
    Ok(name)
}

/// The profile's ARN (or the one it would have at path `/`, so a denied caller learns nothing
/// of what exists) and its tags, for authorization.
fn target(ctx: &Ctx<'_>, name: &str) -> (String, Vec<(String, String)>) {
    match ctx
        .snap
        .account(ctx.account())
        .and_then(|a| a.instance_profiles.get(&name.to_lowercase()))
    {
        Some(p) => (
            p.arn.clone(),
            p.tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
        ),
        None => (
            iam_arn(ctx.account(), "instance-profile/", "", name),
            Vec::new(),
        ),
    }
}

fn profile<'a>(a: &'a Account, name: &str) -> Result<&'a InstanceProfile, ServiceError> {
    a.instance_profiles
        .get(&name.to_lowercase())
        .map(|p| &**p)
        .ok_or_else(|| no_such_profile(name))
}

fn profile_mut<'a>(
    a: &'a mut Account,
    name: &str,
) -> Result<&'a mut InstanceProfile, ServiceError> {
    a.instance_profiles
        .get_mut(&name.to_lowercase())
        .map(|p| &mut **p)
        .ok_or_else(|| no_such_profile(name))
}

fn create_instance_profile(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = profile_name(ctx)?;
    let path = path_param(ctx)?;
    let tags = tags_param(ctx)?;
    let arn = arn_in(ctx, "instance-profile/", &path[1..], &name);
    ctx.authorize("iam:CreateInstanceProfile", &arn, |c| tag_keys(c, &tags))?;
    let now = ctx.now();
    let account_id = ctx.account().to_owned();
    let created = ctx.state.catalog.update(&account_id, |a| {
        let key = name.to_lowercase();
        if a.instance_profiles.contains_key(&key) {
            return Err(ServiceError::already_exists(format!(
                "Instance Profile {name} already exists."
            )));
        }
        if a.instance_profiles.len() >= PROFILES_PER_ACCOUNT {
            return Err(ServiceError::limit_exceeded(format!(
                "Cannot exceed quota for InstanceProfilesPerAccount: {PROFILES_PER_ACCOUNT}"
            )));
        }
        let p = InstanceProfile {
            name: name.clone(),
            path: path.clone(),
            id: unique_id("AIPA"),
            arn: arn.clone(),
            created: now,
            roles: Vec::new(),
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        };
        a.instance_profiles.insert(key, p.clone().into());
        Ok(p)
    })?;
    ctx.refresh();
    let a = account(ctx)?;
    let mut x = Xml::new();
    x.with("InstanceProfile", |x| write_profile(x, a, &created, true));
    Ok(Some(x))
}

fn get_instance_profile(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = profile_name(ctx)?;
    let (arn, tags) = target(ctx, &name);
    ctx.authorize("iam:GetInstanceProfile", &arn, |c| resource_tags(c, &tags))?;
    let a = account(ctx)?;
    let p = profile(a, &name)?;
    let mut x = Xml::new();
    x.with("InstanceProfile", |x| write_profile(x, a, p, true));
    Ok(Some(x))
}

fn list_instance_profiles(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let prefix = authorize_listing(ctx, "iam:ListInstanceProfiles", "instance-profile")?;
    let a = account(ctx)?;
    let profiles: Vec<&InstanceProfile> = a
        .instance_profiles
        .values()
        .map(|v| &**v)
        .filter(|p| p.path.starts_with(&prefix))
        .collect();
    page(ctx, "InstanceProfiles", &profiles, |x, p| {
        write_profile(x, a, p, false)
    })
}

fn delete_instance_profile(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = profile_name(ctx)?;
    let (arn, tags) = target(ctx, &name);
    ctx.authorize("iam:DeleteInstanceProfile", &arn, |c| {
        resource_tags(c, &tags)
    })?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        if !profile(a, &name)?.roles.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must remove roles from instance profile first.",
            ));
        }
        a.instance_profiles.remove(&name.to_lowercase());
        Ok(())
    })?;
    Ok(None)
}

fn add_role_to_instance_profile(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = profile_name(ctx)?;
    let role = role_name(ctx)?;
    let (arn, tags) = target(ctx, &name);
    ctx.authorize("iam:AddRoleToInstanceProfile", &arn, |c| {
        resource_tags(c, &tags)
    })?;
    // Whoever puts a role in a profile passes it to every instance launched with the profile.
    let role_arn = super::roles::role_arn(ctx, &role);
    ctx.authorize("iam:PassRole", &role_arn, |c| {
        c.insert("iam:PassedToService", "ec2.amazonaws.com")
    })?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        profile(a, &name)?;
        // Kept as the role spells its name; lookups are case-insensitive.
        let role_name = a
            .role(&role)
            .map(|r| r.name.clone())
            .ok_or_else(|| no_such_role(&role))?;
        let p = profile_mut(a, &name)?;
        if p.roles.len() >= ROLES_PER_PROFILE {
            return Err(ServiceError::limit_exceeded(format!(
                "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}"
            )));
        }
        p.roles.push(role_name);
        Ok(())
    })?;
    Ok(None)
}

fn remove_role_from_instance_profile(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = profile_name(ctx)?;
    let role = role_name(ctx)?;
    let (arn, tags) = target(ctx, &name);
    ctx.authorize("iam:RemoveRoleFromInstanceProfile", &arn, |c| {
        resource_tags(c, &tags)
    })?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let p = profile_mut(a, &name)?;
        let before = p.roles.len();
        p.roles.retain(|r| !r.eq_ignore_ascii_case(&role));
        // A role that exists but is not in the profile is "not found" there as well.
        if p.roles.len() == before {
            return Err(no_such_role(&role));
        }
        Ok(())
    })?;
    Ok(None)
}

fn list_instance_profiles_for_role(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let role = role_name(ctx)?;
    let arn = role_arn(ctx, &role);
    ctx.authorize("iam:ListInstanceProfilesForRole", &arn, |_| {})?;
    let a = account(ctx)?;
    a.role(&role).ok_or_else(|| no_such_role(&role))?;
    let profiles: Vec<&InstanceProfile> = a
        .instance_profiles
        .values()
        .map(|v| &**v)
        .filter(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role)))
        .collect();
    page(ctx, "InstanceProfiles", &profiles, |x, p| {
        write_profile(x, a, p, false)
    })
}

fn tag_instance_profile(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = profile_name(ctx)?;
    let new = tags_param(ctx)?;
    let (arn, tags) = target(ctx, &name);
    tag_entity(ctx, "iam:TagInstanceProfile", &arn, &tags, &new, |a| {
        Ok(&mut profile_mut(a, &name)?.tags)
    })
}

fn untag_instance_profile(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = profile_name(ctx)?;
    let keys = tag_keys_param(ctx)?;
    let (arn, tags) = target(ctx, &name);
    untag_entity(ctx, "iam:UntagInstanceProfile", &arn, &tags, &keys, |a| {
        Ok(&mut profile_mut(a, &name)?.tags)
    })
}

fn list_instance_profile_tags(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = profile_name(ctx)?;
    let (arn, tags) = target(ctx, &name);
    list_entity_tags(ctx, "iam:ListInstanceProfileTags", &arn, &tags, |ctx| {
        Ok(&profile(account(ctx)?, &name)?.tags)
    })
}

#[cfg(test)]
mod tests {
    use crate::dispatch::QueryResponse;
    use crate::error::ServiceError;
    use crate::testing::{field, fields, Harness};
    use rolegate_core::{Caller, PolicyDoc};
    use rolegate_policy::PolicyKind;

    const A: &str = "111111111111";
    const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    fn error(r: &QueryResponse) -> (u16, String, String) {
        let message = field(&r.body, "Message").unwrap_or_default();
        (
            r.status,
            field(&r.body, "Code").unwrap_or_default().to_owned(),
            message.replace("&apos;", "'").replace("&amp;", "&"),
        )
    }

    fn err(status: u16, code: &str, message: &str) -> (u16, String, String) {
        (status, code.to_owned(), message.to_owned())
    }

    fn setup() -> (Harness, Caller) {
        let h = Harness::new();
        let root = Harness::root(A);
        for role in ["App", "Other"] {
            let r = h.iam(
                &root,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", role),
                    ("AssumeRolePolicyDocument", EC2_TRUST),
                ],
            );
            assert_eq!(r.status, 200, "{}", r.body);
        }
        (h, root)
    }

    fn profile_count(h: &Harness) -> usize {
        h.state
            .catalog
            .snapshot()
            .account(A)
            .map_or(0, |a| a.instance_profiles.len())
    }

    #[test]
    fn create_get_list_delete() {
        let (h, root) = setup();
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateInstanceProfile"),
                ("InstanceProfileName", "Web"),
                ("Path", "/srv/"),
                ("Tags.member.1.Key", "env"),
                ("Tags.member.1.Value", "prod"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let id = field(&r.body, "InstanceProfileId")
            .unwrap_or_default()
            .to_owned();
        assert!(id.starts_with("AIPA") && id.len() == 21, "{id}");
        assert_eq!(
            field(&r.body, "Arn"),
            Some("arn:aws:iam::111111111111:instance-profile/srv/Web")
        );
        assert!(r.body.contains("<Roles></Roles>"));
        assert_eq!(field(&r.body, "Value"), Some("prod"));

        let r = h.iam(
            &root,
            &[
                ("Action", "CreateInstanceProfile"),
                ("InstanceProfileName", "WEB"),
            ],
        );
        assert_eq!(
            error(&r),
            err(
                409,
                "EntityAlreadyExists",
                "Instance Profile WEB already exists."
            )
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateInstanceProfile"),
                ("InstanceProfileName", "a b"),
            ],
        );
        assert_eq!(
            error(&r),
            err(400, "ValidationError", "1 validation error detected: Value 'a b' at 'instanceProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
        );
        let long = "p".repeat(129);
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateInstanceProfile"),
                ("InstanceProfileName", &long),
            ],
        );
        assert_eq!(error(&r).1, "ValidationError");
        let r = h.iam(&root, &[("Action", "CreateInstanceProfile")]);
        assert_eq!(
            error(&r),
            err(
                400,
                "MissingParameter",
                "The request must contain the parameter InstanceProfileName"
            )
        );
        assert_eq!(profile_count(&h), 1);
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateInstanceProfile"),
                ("InstanceProfileName", "batch"),
            ],
        );
        assert_eq!(r.status, 200);

        let r = h.iam(
            &root,
            &[
                ("Action", "GetInstanceProfile"),
                ("InstanceProfileName", "web"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(field(&r.body, "InstanceProfileName"), Some("Web"));
        assert_eq!(field(&r.body, "InstanceProfileId"), Some(id.as_str()));
        assert_eq!(field(&r.body, "Key"), Some("env"));
        let r = h.iam(
            &root,
            &[
                ("Action", "GetInstanceProfile"),
                ("InstanceProfileName", "Nope"),
            ],
        );
        assert_eq!(
            error(&r),
            err(
                404,
                "NoSuchEntity",
                "Instance Profile Nope cannot be found."
            )
        );

        let r = h.iam(&root, &[("Action", "ListInstanceProfiles")]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(fields(&r.body, "InstanceProfileName"), vec!["batch", "Web"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
        // Listings leave tags out, as AWS does.
        assert!(!r.body.contains("<Tags>"));
        let r = h.iam(
            &root,
            &[("Action", "ListInstanceProfiles"), ("PathPrefix", "/srv/")],
        );
        assert_eq!(fields(&r.body, "InstanceProfileName"), vec!["Web"]);
        let r = h.iam(
            &root,
            &[("Action", "ListInstanceProfiles"), ("MaxItems", "1")],
        );
        assert_eq!(fields(&r.body, "InstanceProfileName"), vec!["batch"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("true"));
        assert_eq!(field(&r.body, "Marker"), Some("1"));

        let r = h.iam(
            &root,
            &[
                ("Action", "DeleteInstanceProfile"),
                ("InstanceProfileName", "Web"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(
            &root,
            &[
                ("Action", "DeleteInstanceProfile"),
                ("InstanceProfileName", "Web"),
            ],
        );
        assert_eq!(
            error(&r),
            err(404, "NoSuchEntity", "Instance Profile Web cannot be found.")
        );
        assert_eq!(profile_count(&h), 1);
    }

    #[test]
    fn profiles_per_account_quota() {
        let (h, root) = setup();
        let create = |name: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "CreateInstanceProfile"),
                    ("InstanceProfileName", name),
                ],
            )
        };
        assert_eq!(create("p0").status, 200);
        let template = h
            .state
            .catalog
            .snapshot()
            .account(A)
            .and_then(|a| a.instance_profiles.get("p0").cloned())
            .expect("profile");
        h.state
            .catalog
            .update(A, |a| {
                for i in 1..1000 {
                    let mut p = template.clone();
                    p.name = format!("p{i}");
                    a.instance_profiles.insert(p.name.clone(), p);
                }
                Ok::<_, ServiceError>(())
            })
            .expect("filled");
        assert_eq!(
            error(&create("one-more")),
            err(
                409,
                "LimitExceeded",
                "Cannot exceed quota for InstanceProfilesPerAccount: 1000"
            )
        );
    }

    #[test]
    fn one_role_per_profile() {
        let (h, root) = setup();
        for p in ["Web", "Batch"] {
            let r = h.iam(
                &root,
                &[
                    ("Action", "CreateInstanceProfile"),
                    ("InstanceProfileName", p),
                ],
            );
            assert_eq!(r.status, 200);
        }
        let add = |profile: &str, role: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "AddRoleToInstanceProfile"),
                    ("InstanceProfileName", profile),
                    ("RoleName", role),
                ],
            )
        };
        let remove = |profile: &str, role: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "RemoveRoleFromInstanceProfile"),
                    ("InstanceProfileName", profile),
                    ("RoleName", role),
                ],
            )
        };
        let r = add("Web", "app");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(add("Batch", "App").status, 200);
        let quota = err(
            409,
            "LimitExceeded",
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
        );
        assert_eq!(error(&add("Web", "Other")), quota);
        assert_eq!(error(&add("Web", "App")), quota);
        assert_eq!(
            error(&add("Web", "Ghost")),
            err(
                404,
                "NoSuchEntity",
                "The role with name Ghost cannot be found."
            )
        );
        assert_eq!(
            error(&add("Nope", "App")),
            err(
                404,
                "NoSuchEntity",
                "Instance Profile Nope cannot be found."
            )
        );

        // The role appears in full, trust policy URL-encoded.
        let r = h.iam(
            &root,
            &[
                ("Action", "GetInstanceProfile"),
                ("InstanceProfileName", "Web"),
            ],
        );
        assert_eq!(fields(&r.body, "RoleName"), vec!["App"]);
        assert!(field(&r.body, "RoleId").is_some_and(|id| id.starts_with("AROA")));
        assert!(field(&r.body, "AssumeRolePolicyDocument")
            .is_some_and(|d| d.starts_with("%7B%22Version%22")));
        let r = h.iam(&root, &[("Action", "ListInstanceProfiles")]);
        assert_eq!(fields(&r.body, "RoleName"), vec!["App", "App"]);

        let for_role = |role: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "ListInstanceProfilesForRole"),
                    ("RoleName", role),
                ],
            )
        };
        let r = for_role("App");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(fields(&r.body, "InstanceProfileName"), vec!["Batch", "Web"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
        let r = for_role("Other");
        assert!(fields(&r.body, "InstanceProfileName").is_empty());
        assert_eq!(
            error(&for_role("Ghost")),
            err(
                404,
                "NoSuchEntity",
                "The role with name Ghost cannot be found."
            )
        );

        let r = h.iam(
            &root,
            &[
                ("Action", "DeleteInstanceProfile"),
                ("InstanceProfileName", "Web"),
            ],
        );
        assert_eq!(
            error(&r),
            err(
                409,
                "DeleteConflict",
                "Cannot delete entity, must remove roles from instance profile first."
            )
        );
        assert_eq!(
            error(&remove("Web", "Other")),
            err(
                404,
                "NoSuchEntity",
                "The role with name Other cannot be found."
            )
        );
        assert_eq!(error(&remove("Nope", "App")).0, 404);
        let r = remove("Web", "APP");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            fields(&for_role("App").body, "InstanceProfileName"),
            vec!["Batch"]
        );
        // Now the slot is free for another role.
        assert_eq!(add("Web", "Other").status, 200);
        let r = h.iam(
            &root,
            &[
                ("Action", "GetInstanceProfile"),
                ("InstanceProfileName", "Web"),
            ],
        );
        assert_eq!(fields(&r.body, "RoleName"), vec!["Other"]);
    }

    #[test]
    fn tags() {
        let (h, root) = setup();
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateInstanceProfile"),
                ("InstanceProfileName", "Web"),
            ],
        );
        assert_eq!(r.status, 200);
        let r = h.iam(
            &root,
            &[
                ("Action", "TagInstanceProfile"),
                ("InstanceProfileName", "Web"),
                ("Tags.member.1.Key", "env"),
                ("Tags.member.1.Value", "dev"),
                ("Tags.member.2.Key", "team"),
                ("Tags.member.2.Value", "core"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = h.iam(
            &root,
            &[
                ("Action", "TagInstanceProfile"),
                ("InstanceProfileName", "Web"),
                ("Tags.member.1.Key", "Env"),
                ("Tags.member.1.Value", "prod"),
            ],
        );
        assert_eq!(r.status, 200);
        let list = || {
            h.iam(
                &root,
                &[
                    ("Action", "ListInstanceProfileTags"),
                    ("InstanceProfileName", "Web"),
                ],
            )
        };
        let r = list();
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(fields(&r.body, "Key"), vec!["env", "team"]);
        assert_eq!(fields(&r.body, "Value"), vec!["prod", "core"]);
        let r = h.iam(
            &root,
            &[
                ("Action", "UntagInstanceProfile"),
                ("InstanceProfileName", "Web"),
                ("TagKeys.member.1", "ENV"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(fields(&list().body, "Key"), vec!["team"]);
        let r = h.iam(
            &root,
            &[
                ("Action", "TagInstanceProfile"),
                ("InstanceProfileName", "Web"),
                ("Tags.member.1.Key", &"k".repeat(129)),
                ("Tags.member.1.Value", "v"),
            ],
        );
        assert_eq!(error(&r).1, "ValidationError");
        for action in [
            "TagInstanceProfile",
            "UntagInstanceProfile",
            "ListInstanceProfileTags",
        ] {
            let r = h.iam(
                &root,
                &[
                    ("Action", action),
                    ("InstanceProfileName", "Nope"),
                    ("Tags.member.1.Key", "k"),
                    ("TagKeys.member.1", "k"),
                ],
            );
            assert_eq!(
                error(&r),
                err(
                    404,
                    "NoSuchEntity",
                    "Instance Profile Nope cannot be found."
                ),
                "{action}"
            );
        }
    }

    #[test]
    fn access_denied_without_permission() {
        let (h, root) = setup();
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateInstanceProfile"),
                ("InstanceProfileName", "Web"),
                ("Path", "/srv/"),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "core"),
            ],
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            h.iam(&root, &[("Action", "CreateUser"), ("UserName", "bob")])
                .status,
            200
        );
        let bob = h.user(A, "bob");
        let denied = |action: &str, resource: &str| {
            err(403, "AccessDenied", &format!(
                "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:{action} on resource: {resource} because no identity-based policy allows the iam:{action} action"
            ))
        };
        let web = "arn:aws:iam::111111111111:instance-profile/srv/Web";
        let calls: [(&str, &[(&str, &str)]); 7] = [
            ("GetInstanceProfile", &[]),
            ("DeleteInstanceProfile", &[]),
            ("AddRoleToInstanceProfile", &[("RoleName", "App")]),
            ("RemoveRoleFromInstanceProfile", &[("RoleName", "App")]),
            ("TagInstanceProfile", &[("Tags.member.1.Key", "k")]),
            ("UntagInstanceProfile", &[("TagKeys.member.1", "k")]),
            ("ListInstanceProfileTags", &[]),
        ];
        for (action, extra) in calls {
            let mut params = vec![("Action", action), ("InstanceProfileName", "Web")];
            params.extend_from_slice(extra);
            assert_eq!(
                error(&h.iam(&bob, &params)),
                denied(action, web),
                "{action}"
            );
        }
        assert_eq!(
            error(&h.iam(
                &bob,
                &[
                    ("Action", "CreateInstanceProfile"),
                    ("InstanceProfileName", "New")
                ]
            )),
            denied(
                "CreateInstanceProfile",
                "arn:aws:iam::111111111111:instance-profile/New"
            )
        );
        // A missing profile is not revealed.
        assert_eq!(
            error(&h.iam(
                &bob,
                &[
                    ("Action", "GetInstanceProfile"),
                    ("InstanceProfileName", "Ghost")
                ]
            )),
            denied(
                "GetInstanceProfile",
                "arn:aws:iam::111111111111:instance-profile/Ghost"
            )
        );
        assert_eq!(
            error(&h.iam(&bob, &[("Action", "ListInstanceProfiles")])),
            denied(
                "ListInstanceProfiles",
                "arn:aws:iam::111111111111:instance-profile/"
            )
        );
        assert_eq!(
            error(&h.iam(
                &bob,
                &[
                    ("Action", "ListInstanceProfilesForRole"),
                    ("RoleName", "App")
                ]
            )),
            denied(
                "ListInstanceProfilesForRole",
                "arn:aws:iam::111111111111:role/App"
            )
        );

        // Resource tags reach the authorizer.
        let doc = PolicyDoc::new(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetInstanceProfile","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"core"}}}]}"#,
            PolicyKind::InlineIdentity,
        )
        .expect("policy");
        h.state
            .catalog
            .update(A, |a| {
                let u = a
                    .users
                    .get_mut("bob")
                    .ok_or_else(ServiceError::service_failure)?;
                u.inline.insert("p".to_owned(), doc);
                Ok::<_, ServiceError>(())
            })
            .expect("stored");
        let bob = h.user(A, "bob");
        let r = h.iam(
            &bob,
            &[
                ("Action", "GetInstanceProfile"),
                ("InstanceProfileName", "Web"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            error(&h.iam(
                &bob,
                &[
                    ("Action", "GetInstanceProfile"),
                    ("InstanceProfileName", "Ghost")
                ]
            ))
            .0,
            403
        );
    }
}
