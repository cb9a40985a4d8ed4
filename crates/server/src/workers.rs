//! Which requests run on the async workers and which are moved off them: reads are served
//! from memory in microseconds and run in place; writes wait on the disk and must not stall
//! the other connections a worker serves.

use rolegate_services::protocol::Params;

/// Runs a read on this async worker; anything else (a write waits on the disk's fsync) in
/// `block_in_place`, so the worker's other connections move to another thread meanwhile.
/// `block_in_place` costs thread hand-offs (context switches) on every call, which for a read
/// served from memory in microseconds is most of its cost.
///
/// The rule errs one way only: a request wrongly taken for a write merely pays the hand-off;
/// one wrongly taken for a read that does write would hold this worker for an fsync (a few
/// milliseconds: latency for the connections it serves, never a wrong answer). The only such
/// case known is the first request signed by a new development-mode root key, which creates
/// its account during authentication.
pub(crate) fn off_workers_unless<R>(read: bool, run: impl FnOnce() -> R) -> R {
    if read {
        run()
    } else {
        tokio::task::block_in_place(run)
    }
}

/// Whether an awsJson request only reads: KMS operations that change no key or alias
/// (named by the AWS API; cryptographic operations change nothing stored), and DynamoDB's
/// item and table reads. Other awsJson operations count as writers.
pub(crate) fn is_json_read(target: &str) -> bool {
    if let Some(op) = target.strip_prefix("DynamoDB_20120810.") {
        return op.starts_with("Describe")
            || op.starts_with("List")
            || matches!(
                op,
                "GetItem"
                    | "BatchGetItem"
                    | "Query"
                    | "Scan"
                    | "TransactGetItems"
                    | "GetResourcePolicy"
            );
    }
    let Some(op) = target.strip_prefix("TrentService.") else {
        return false;
    };
    op.starts_with("Get")
        || op.starts_with("List")
        || op.starts_with("Describe")
        || op.starts_with("GenerateDataKey")
        || matches!(
            op,
            "Encrypt"
                | "Decrypt"
                | "ReEncrypt"
                | "GenerateRandom"
                | "GenerateMac"
                | "VerifyMac"
                | "Sign"
                | "Verify"
        )
}

/// Whether a query (IAM/STS/EC2) request only reads: every STS action (they issue sealed
/// tokens and record role use in memory only), IAM actions named `Get...`, `List...` or
/// `Simulate...`, and EC2's `Describe...`. No action at all is an error answered from memory.
pub(crate) fn is_query_read(params: &Params) -> bool {
    match params.action() {
        None => true,
        Some(a) if rolegate_services::sts::find(a).is_some() => true,
        Some(a) => {
            a.starts_with("Get")
                || a.starts_with("List")
                || a.starts_with("Simulate")
                || a.starts_with("Describe")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_known_by_name_and_everything_else_is_a_write() {
        let q = |s: &str| is_query_read(&Params::parse(s.as_bytes()));
        assert!(q("Action=GetCallerIdentity&Version=2011-06-15"));
        assert!(q("Action=AssumeRole&RoleArn=x"));
        assert!(q("Action=GetRole&RoleName=r"));
        assert!(q("Action=ListUsers"));
        assert!(q("Action=SimulatePrincipalPolicy"));
        assert!(!q("Action=CreateUser&UserName=u"));
        assert!(!q("Action=PutUserPolicy"));
        assert!(!q("Action=TagRole"));
        assert!(is_json_read("TrentService.Decrypt"));
        assert!(is_json_read("TrentService.GenerateDataKeyWithoutPlaintext"));
        assert!(is_json_read("TrentService.DescribeKey"));
        assert!(!is_json_read("TrentService.CreateKey"));
        assert!(!is_json_read("TrentService.ScheduleKeyDeletion"));
        assert!(is_json_read("DynamoDB_20120810.GetItem"));
        assert!(is_json_read("DynamoDB_20120810.Query"));
        assert!(is_json_read("DynamoDB_20120810.DescribeTable"));
        assert!(!is_json_read("DynamoDB_20120810.PutItem"));
        assert!(!is_json_read("DynamoDB_20120810.TransactWriteItems"));
        assert!(!is_json_read("DynamoDB_20120810.CreateTable"));
        assert!(q("Action=DescribeInstances&Version=2016-11-15"));
        assert!(!q("Action=RunInstances&Version=2016-11-15"));
        assert!(!is_json_read("Decrypt"));
    }
}
