//! `rolegate exec --instance i-...`: run a command as if on the instance. The AWS CLI and SDKs
//! inside find no credentials of their own (no environment keys, no profile, empty config and
//! credentials files, as on a fresh instance) and fall through their default chain to the
//! instance metadata service, which `AWS_EC2_METADATA_SERVICE_ENDPOINT` points at: the
//! instance's capability URL on the running rolegate. Both botocore (IMDSFetcher joins the
//! configured base URL and `latest/...`) and the Rust aws-config IMDS client (the endpoint's
//! path is merged before the request path) keep a path prefix, so one port serves every
//! instance.

use crate::imds_keys::{ImdsKeys, IMDS_PREFIX};
use crate::open::StartError;
use rolegate_core::crypto::MasterKey;
use rolegate_core::ec2::well_formed_instance_id;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Variables that would win over the instance profile in some SDK's default chain.
const REMOVED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_V1_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
];

/// What `exec` sets and removes.
pub(crate) struct InstanceEnv {
    pub(crate) set: Vec<(&'static str, String)>,
    pub(crate) removed: &'static [&'static str],
}

fn usage(msg: String) -> StartError {
    StartError::Usage(msg)
}

/// `http://host:port[/prefix]` → (`host:port`, `/prefix` without a trailing `/`).
fn split_endpoint(endpoint: &str) -> Result<(&str, &str), StartError> {
    let rest = endpoint.strip_prefix("http://").ok_or_else(|| {
        usage(format!(
            "--endpoint must be an http:// URL of a running rolegate, not {endpoint}"
        ))
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(usage(format!("--endpoint {endpoint} has no host")));
    }
    Ok((authority, path.trim_end_matches('/')))
}

/// One HTTP/1.1 exchange over a fresh connection: (status, body).
fn exchange(
    authority: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(authority)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Ok((status, body))
}

/// Asks the instance's metadata service (IMDSv2) for its region: proves the capability, the
/// server and the running instance in one go.
fn instance_region(authority: &str, imds_path: &str, instance: &str) -> Result<String, StartError> {
    let unreachable =
        |e: std::io::Error| usage(format!("cannot reach rolegate at {authority}: {e}"));
    let (status, token) = exchange(
        authority,
        "PUT",
        &format!("{imds_path}latest/api/token"),
        &[("X-aws-ec2-metadata-token-ttl-seconds", "300")],
    )
    .map_err(unreachable)?;
    let refused = |status: u16| {
        match status {
        403 => usage(format!(
            "the metadata service of {instance} is disabled (HttpEndpoint=disabled)"
        )),
        _ => usage(format!(
            "no running instance {instance} at {authority} with the key of this data directory (HTTP {status})"
        )),
    }
    };
    if status != 200 {
        return Err(refused(status));
    }
    let (status, region) = exchange(
        authority,
        "GET",
        &format!("{imds_path}latest/meta-data/placement/region"),
        &[("X-aws-ec2-metadata-token", token.trim())],
    )
    .map_err(unreachable)?;
    if status != 200 {
        return Err(refused(status));
    }
    Ok(region.trim().to_owned())
}

/// The environment of a process on `instance`.
pub(crate) fn instance_env(
    instance: &str,
    endpoint: &str,
    data_dir: &Path,
) -> Result<InstanceEnv, StartError> {
    if !well_formed_instance_id(instance) {
        return Err(usage(format!("{instance} is not an instance id (i-...)")));
    }
    let key_file = data_dir.join("master.key");
    // Never create a key here: a new one would match no server.
    if !key_file.is_file() {
        return Err(usage(format!(
            "{} not found: --data-dir must be the running server's data directory",
            key_file.display()
        )));
    }
    let master = MasterKey::load_or_create(&key_file)
        .map_err(|e| StartError::DataDir(data_dir.display().to_string(), e.to_string()))?;
    let capability = ImdsKeys::new(&master).capability(instance);
    let (authority, prefix) = split_endpoint(endpoint)?;
    let imds_path = format!("{prefix}{IMDS_PREFIX}{capability}/");
    let region = instance_region(authority, &imds_path, instance)?;
    let base = format!("http://{authority}{prefix}");
    let mut set = vec![
        (
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://{authority}{imds_path}"),
        ),
        ("AWS_ENDPOINT_URL", base),
        ("AWS_REGION", region.clone()),
        ("AWS_DEFAULT_REGION", region),
        // A real instance has no ~/.aws: empty files, whatever the user's home holds.
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
    ];
    // botocore gives IMDS one attempt of one second by default: enough on an instance, tight
    // on a busy laptop. The user's own settings win.
    for (name, value) in [
        ("AWS_METADATA_SERVICE_TIMEOUT", "5"),
        ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "3"),
    ] {
        if std::env::var_os(name).is_none() {
            set.push((name, value.to_owned()));
        }
    }
    Ok(InstanceEnv {
        set,
        removed: REMOVED,
    })
}

/// `export`/`unset` lines for `eval "$(rolegate exec --print-env ...)"`.
pub(crate) fn print_env(env: &InstanceEnv) {
    for name in env.removed {
        println!("unset {name}");
    }
    for (name, value) in &env.set {
        println!("export {name}='{}'", value.replace('\'', "'\\''"));
    }
}

/// Runs `command` with the instance's environment and returns its exit code (128 + signal
/// when a signal ended it, as shells report).
pub(crate) fn run(env: &InstanceEnv, command: &[String]) -> Result<i32, StartError> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| usage("exec needs a command after --".to_owned()))?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    for name in env.removed {
        cmd.env_remove(name);
    }
    for (name, value) in &env.set {
        cmd.env(name, value);
    }
    let status = cmd
        .status()
        .map_err(|e| usage(format!("cannot run {program}: {e}")))?;
    if let Some(code) = status.code() {
        return Ok(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Ok(128 + sig);
        }
    }
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_split_into_authority_and_prefix() {
        assert_eq!(
            split_endpoint("http://127.0.0.1:4566").ok(),
            Some(("127.0.0.1:4566", ""))
        );
        assert_eq!(
            split_endpoint("http://h:1/base/").ok(),
            Some(("h:1", "/base"))
        );
        assert!(split_endpoint("https://h:1").is_err());
        assert!(split_endpoint("http:///x").is_err());
    }
}
