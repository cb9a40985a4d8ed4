//! EC2's XML for the shapes several operations return: instances, reservations, state changes,
//! instance profile associations (element names are botocore's `locationName`s).

use crate::protocol::Xml;
use rolegate_core::clock::iso;
use rolegate_core::ec2::{Instance, InstanceState, ProfileAssociation};
use rolegate_core::Tag;

/// `<name><code>16</code><name>running</name></name>`.
pub(crate) fn state(x: &mut Xml, element: &str, s: InstanceState) {
    x.with(element, |x| {
        x.elem("code", &s.code().to_string()).elem("name", s.name());
    });
}

/// One `InstanceStateChange` item.
pub(crate) fn state_change(x: &mut Xml, id: &str, previous: InstanceState, current: InstanceState) {
    x.with("item", |x| {
        x.elem("instanceId", id);
        state(x, "currentState", current);
        state(x, "previousState", previous);
    });
}

/// A `tagSet` (omitted when empty, as EC2 does).
pub(crate) fn tag_set(x: &mut Xml, tags: &[Tag]) {
    if tags.is_empty() {
        return;
    }
    x.with("tagSet", |x| {
        for t in tags {
            x.with("item", |x| {
                x.elem("key", &t.key).elem("value", &t.value);
            });
        }
    });
}

/// The members of one `Instance`.
pub(crate) fn instance(x: &mut Xml, i: &Instance) {
    let running = i.state == InstanceState::Running || i.state == InstanceState::Pending;
    x.elem("instanceId", &i.id).elem("imageId", &i.image_id);
    state(x, "instanceState", i.state);
    x.elem(
        "privateDnsName",
        if i.state == InstanceState::Terminated {
            ""
        } else {
            &i.private_dns
        },
    )
    .elem("dnsName", "")
    .elem("reason", &i.state_reason)
    .opt("keyName", i.key_name.as_deref())
    .elem("amiLaunchIndex", &i.launch_index.to_string())
    .raw("<productCodes/>")
    .elem("instanceType", &i.instance_type)
    .elem("launchTime", &iso(i.launch_time))
    .with("placement", |x| {
        x.elem("availabilityZone", &i.availability_zone)
            .elem("groupName", "")
            .elem("tenancy", "default");
    })
    .with("monitoring", |x| {
        x.elem("state", "disabled");
    });
    if i.state != InstanceState::Terminated {
        x.elem("privateIpAddress", &i.private_ip)
            .elem("sourceDestCheck", "true");
    }
    x.raw("<groupSet/>");
    if !running && i.state != InstanceState::Stopping {
        x.with("stateReason", |x| {
            x.elem("code", "Client.UserInitiatedShutdown").elem(
                "message",
                "Client.UserInitiatedShutdown: User initiated shutdown",
            );
        });
    }
    x.elem("architecture", "x86_64")
        .elem("rootDeviceType", "ebs")
        .elem("rootDeviceName", "/dev/xvda")
        .raw("<blockDeviceMapping/>")
        .elem("virtualizationType", "hvm")
        .opt("clientToken", i.client_token.as_deref())
        .elem("hypervisor", "xen");
    tag_set(x, &i.tags);
    if let Some(p) = &i.iam_profile {
        x.with("iamInstanceProfile", |x| {
            x.elem("arn", &p.profile_arn).elem("id", &p.profile_id);
        });
    }
    x.elem("ebsOptimized", "false")
        .elem("enaSupport", "true")
        .with("metadataOptions", |x| {
            x.elem("state", "applied")
                .elem("httpTokens", i.metadata.http_tokens.as_str())
                .elem("httpPutResponseHopLimit", &i.metadata.hop_limit.to_string())
                .elem("httpEndpoint", i.metadata.http_endpoint.as_str())
                .elem("httpProtocolIpv6", "disabled")
                .elem(
                    "instanceMetadataTags",
                    if i.metadata.instance_metadata_tags {
                        "enabled"
                    } else {
                        "disabled"
                    },
                );
        })
        .elem("platformDetails", "Linux/UNIX")
        .elem("usageOperation", "RunInstances")
        .elem("bootMode", "uefi-preferred")
        .elem("currentInstanceBootMode", "legacy-bios");
}

/// The members of one `Reservation` holding `instances`.
pub(crate) fn reservation(x: &mut Xml, reservation_id: &str, owner: &str, instances: &[&Instance]) {
    x.elem("reservationId", reservation_id)
        .elem("ownerId", owner)
        .raw("<groupSet/>")
        .with("instancesSet", |x| {
            for i in instances {
                x.with("item", |x| instance(x, i));
            }
        });
}

/// The members of one `IamInstanceProfileAssociation`.
pub(crate) fn association(x: &mut Xml, instance_id: &str, a: &ProfileAssociation, state: &str) {
    x.elem("associationId", &a.association_id)
        .elem("instanceId", instance_id)
        .with("iamInstanceProfile", |x| {
            x.elem("arn", &a.profile_arn).elem("id", &a.profile_id);
        })
        .elem("state", state);
    if a.associated_at > 0 {
        x.elem("timestamp", &iso(a.associated_at));
    }
}
