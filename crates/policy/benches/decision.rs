//! Decision latency of the policy engine, and the same requests through `iam-rs` for reference.
//!
//! * `realistic_50`: an IAM user with 10 attached managed policies (51 statements with
//!   conditions, wildcards, a `${aws:username}` resource, Deny statements that do not match)
//!   plus the bucket policy of the bucket it reads; one allowed request and one implicitly
//!   denied one.
//! * `statements_1000`: the same 10 policies grown to 1,000 statements over 30 services, S3
//!   still having about 120 candidates; same requests.
//! * `compile_realistic`: parse + validate + compile of the realistic set, and compile alone.
//!
//! Both engines must agree on every benchmarked request: `main` asserts it before measuring.
//!
//! `ROLEGATE_PROBE=N target/release/deps/decision-*` runs the benchmarked requests N times each
//! without criterion and exits (see `probe` for the variables that select a set, a request, an
//! engine): under `valgrind --tool=dhat`, the difference in blocks between N=0 and N>0 is what
//! `evaluate` allocated; under `valgrind --tool=callgrind`, the instructions per decision, which
//! a shared machine does not disturb. See BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion};
use iam_rs::{
    Arn, ContextValue as IamValue, EvaluationOptions, IAMPolicy, IAMRequest, PolicyEvaluator,
    Principal as IamPrincipal, PrincipalId,
};
use rolegate_policy::{
    evaluate, CompiledPolicy, Context, DecisionKind, Policy, PolicyKind, PolicySet, PolicyType,
    Principal, Request,
};
use std::hint::black_box;
use std::time::Duration;

const ACCOUNT: &str = "111111111111";
const USER_ARN: &str = "arn:aws:iam::111111111111:user/alice";
/// Read from her home folder: allowed by the identity policy with `${aws:username}`.
const ALLOWED: (&str, &str) = (
    "s3:GetObject",
    "arn:aws:s3:::acme-data/home/alice/reports/2026-q3.csv",
);
/// Read from another user's home folder: no statement allows it, none denies it.
const DENIED: (&str, &str) = ("s3:GetObject", "arn:aws:s3:::acme-data/home/bob/notes.txt");
/// Not measured, only checked: deleting from her archive hits a Deny.
const EXPLICIT: (&str, &str) = (
    "s3:DeleteObject",
    "arn:aws:s3:::acme-data/home/alice/archive/2020.tar",
);

/// The request context, as (key, value); the booleans are typed for iam-rs.
const CONTEXT: [(&str, &str); 7] = [
    ("aws:SourceIp", "10.1.2.3"),
    ("aws:CurrentTime", "2026-11-28T10:00:00Z"),
    ("aws:SecureTransport", "true"),
    ("aws:MultiFactorAuthPresent", "true"),
    ("aws:RequestedRegion", "eu-west-1"),
    ("aws:PrincipalTag/team", "analytics"),
    ("aws:PrincipalTag/project", "apollo"),
];

/// The 10 managed policies attached to alice (51 statements).
const IDENTITY: [&[&str]; 10] = [
    // 1. Home folder.
    &[
        r#"{"Sid":"ListHome","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-data",
            "Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*","home/${aws:username}"]}}}"#,
        r#"{"Sid":"HomeObjects","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:DeleteObject"],
            "Resource":"arn:aws:s3:::acme-data/home/${aws:username}/*",
            "Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}"#,
        r#"{"Sid":"KeepArchive","Effect":"Deny","Action":["s3:DeleteObject","s3:DeleteObjectVersion"],
            "Resource":"arn:aws:s3:::acme-data/home/${aws:username}/archive/*"}"#,
        r#"{"Sid":"Console","Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListAllMyBuckets"],"Resource":"*"}"#,
        r#"{"Sid":"TlsOnly","Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::acme-data","arn:aws:s3:::acme-data/*"],
            "Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
    ],
    // 2. Team data.
    &[
        r#"{"Sid":"TeamRead","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::acme-data/teams/analytics/*",
            "Condition":{"StringEquals":{"aws:PrincipalTag/team":"analytics"}}}"#,
        r#"{"Sid":"TeamWrite","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-data/teams/${aws:PrincipalTag/team}/*",
            "Condition":{"StringLike":{"aws:PrincipalTag/project":"apollo*"}}}"#,
        r#"{"Sid":"Athena","Effect":"Allow","Action":"athena:*","Resource":"*",
            "Condition":{"StringEquals":{"aws:PrincipalTag/team":"analytics"}}}"#,
        r#"{"Sid":"Glue","Effect":"Allow","Action":["glue:Get*","glue:BatchGet*"],
            "Resource":["arn:aws:glue:eu-west-1:111111111111:catalog","arn:aws:glue:eu-west-1:111111111111:database/analytics*","arn:aws:glue:eu-west-1:111111111111:table/analytics*/*"]}"#,
        r#"{"Sid":"NoBucketDeletion","Effect":"Deny","Action":"s3:DeleteBucket*","Resource":"*"}"#,
    ],
    // 3. EC2 for developers.
    &[
        r#"{"Sid":"Describe","Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}"#,
        r#"{"Sid":"OwnInstances","Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances","ec2:RebootInstances"],
            "Resource":"arn:aws:ec2:*:111111111111:instance/*","Condition":{"StringEquals":{"ec2:ResourceTag/Owner":"${aws:username}"}}}"#,
        r#"{"Sid":"Run","Effect":"Allow","Action":"ec2:RunInstances",
            "Resource":["arn:aws:ec2:eu-west-1::image/ami-*","arn:aws:ec2:eu-west-1:111111111111:subnet/*","arn:aws:ec2:eu-west-1:111111111111:instance/*","arn:aws:ec2:eu-west-1:111111111111:volume/*","arn:aws:ec2:eu-west-1:111111111111:network-interface/*","arn:aws:ec2:eu-west-1:111111111111:security-group/*"],
            "Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}"#,
        r#"{"Sid":"Regions","Effect":"Deny","Action":"ec2:*","Resource":"*",
            "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}"#,
        r#"{"Sid":"NoTerminate","Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"}"#,
    ],
    // 4. DynamoDB application tables.
    &[
        r#"{"Sid":"Read","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:BatchGetItem","dynamodb:Query","dynamodb:Scan"],
            "Resource":["arn:aws:dynamodb:eu-west-1:111111111111:table/app-*","arn:aws:dynamodb:eu-west-1:111111111111:table/app-*/index/*"]}"#,
        r#"{"Sid":"OwnItems","Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:UpdateItem","dynamodb:DeleteItem"],
            "Resource":"arn:aws:dynamodb:eu-west-1:111111111111:table/app-*",
            "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":"${aws:username}"}}}"#,
        r#"{"Sid":"Meta","Effect":"Allow","Action":["dynamodb:DescribeTable","dynamodb:ListTables"],"Resource":"*"}"#,
        r#"{"Sid":"NoDrop","Effect":"Deny","Action":["dynamodb:DeleteTable","dynamodb:DeleteBackup"],"Resource":"*"}"#,
        r#"{"Sid":"Dax","Effect":"Allow","Action":"dax:Get*","Resource":"arn:aws:dax:eu-west-1:111111111111:cache/app-*"}"#,
    ],
    // 5. Lambda deployment.
    &[
        r#"{"Sid":"Functions","Effect":"Allow","Action":["lambda:GetFunction","lambda:ListFunctions","lambda:InvokeFunction"],
            "Resource":"arn:aws:lambda:eu-west-1:111111111111:function:analytics-*"}"#,
        r#"{"Sid":"Deploy","Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"arn:aws:lambda:eu-west-1:111111111111:function:analytics-*",
            "Condition":{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}}"#,
        r#"{"Sid":"PassRole","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111111111111:role/lambda-*",
            "Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}"#,
        r#"{"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],
            "Resource":"arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/analytics-*:*"}"#,
        r#"{"Sid":"Metrics","Effect":"Allow","Action":"cloudwatch:PutMetricData","Resource":"*",
            "Condition":{"StringEquals":{"cloudwatch:namespace":"Analytics"}}}"#,
    ],
    // 6. Keys and secrets.
    &[
        r#"{"Sid":"UseKeys","Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey*"],
            "Resource":"arn:aws:kms:eu-west-1:111111111111:key/*","Condition":{"StringLike":{"kms:ViaService":"s3.*.amazonaws.com"}}}"#,
        r#"{"Sid":"DescribeKeys","Effect":"Allow","Action":["kms:DescribeKey","kms:ListAliases"],"Resource":"*"}"#,
        r#"{"Sid":"KeepKeys","Effect":"Deny","Action":["kms:ScheduleKeyDeletion","kms:DisableKey"],"Resource":"*"}"#,
        r#"{"Sid":"Secrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111111111111:secret:analytics/*",
            "Condition":{"StringEquals":{"secretsmanager:ResourceTag/project":"${aws:PrincipalTag/project}"}}}"#,
        r#"{"Sid":"Parameters","Effect":"Allow","Action":"ssm:GetParameter*","Resource":"arn:aws:ssm:eu-west-1:111111111111:parameter/analytics/*"}"#,
    ],
    // 7. Self-service credentials, and the classic "no MFA, nothing else" deny.
    &[
        r#"{"Sid":"Password","Effect":"Allow","Action":["iam:ChangePassword","iam:GetUser"],"Resource":"arn:aws:iam::111111111111:user/${aws:username}"}"#,
        r#"{"Sid":"AccessKeys","Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey"],
            "Resource":"arn:aws:iam::111111111111:user/${aws:username}"}"#,
        r#"{"Sid":"VirtualMfa","Effect":"Allow","Action":["iam:CreateVirtualMFADevice","iam:DeleteVirtualMFADevice"],"Resource":"arn:aws:iam::111111111111:mfa/${aws:username}"}"#,
        r#"{"Sid":"ListUsers","Effect":"Allow","Action":["iam:ListUsers","iam:ListVirtualMFADevices"],"Resource":"*"}"#,
        r#"{"Sid":"RequireMfa","Effect":"Deny","NotAction":["iam:ChangePassword","iam:GetUser","iam:*MFA*","iam:ListUsers","sts:GetSessionToken"],"Resource":"*",
            "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#,
    ],
    // 8. Data lake, read-only, and the shared folder until mid-2027.
    &[
        r#"{"Sid":"LakeRead","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],
            "Resource":["arn:aws:s3:::acme-lake/curated/*","arn:aws:s3:::acme-lake/published/*"],
            "Condition":{"StringEquals":{"aws:PrincipalTag/project":"apollo"}}}"#,
        r#"{"Sid":"LakeList","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-lake",
            "Condition":{"StringLike":{"s3:prefix":["curated/*","published/*"]}}}"#,
        r#"{"Sid":"LakeReadOnly","Effect":"Deny","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::acme-lake/*"}"#,
        r#"{"Sid":"Shared","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data/shared/*",
            "Condition":{"DateLessThan":{"aws:CurrentTime":"2027-06-30T00:00:00Z"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
                         "ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}}}"#,
        r#"{"Sid":"Restricted","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data/restricted/*",
            "Condition":{"StringNotEquals":{"aws:PrincipalTag/clearance":"high"}}}"#,
    ],
    // 9. Queues and topics.
    &[
        r#"{"Sid":"Queues","Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes"],
            "Resource":"arn:aws:sqs:eu-west-1:111111111111:analytics-*"}"#,
        r#"{"Sid":"Alerts","Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:eu-west-1:111111111111:analytics-alerts",
            "Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
        r#"{"Sid":"Lists","Effect":"Allow","Action":["sqs:ListQueues","sns:ListTopics"],"Resource":"*"}"#,
        r#"{"Sid":"KeepQueues","Effect":"Deny","Action":["sqs:DeleteQueue","sns:DeleteTopic"],"Resource":"*"}"#,
        r#"{"Sid":"Events","Effect":"Allow","Action":"events:PutEvents","Resource":"arn:aws:events:eu-west-1:111111111111:event-bus/analytics",
            "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:eu-west-1:111111111111:function:analytics-*"}}}"#,
    ],
    // 10. Guardrails.
    &[
        r#"{"Sid":"CorporateNetwork","Effect":"Deny","Action":"*","Resource":"*",
            "Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16","203.0.113.0/24"]}}}"#,
        r#"{"Sid":"Contractor","Effect":"Deny","Action":"*","Resource":"*",
            "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2027-12-31T23:59:59Z"}}}"#,
        r#"{"Sid":"AuditLogs","Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::acme-audit-logs","arn:aws:s3:::acme-audit-logs/*"],
            "Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/audit-*"}}}"#,
        r#"{"Sid":"BucketPolicies","Effect":"Deny","Action":["s3:PutBucketPolicy","s3:DeleteBucketPolicy"],"Resource":"*",
            "Condition":{"StringNotLike":{"aws:PrincipalTag/team":"platform*"}}}"#,
        r#"{"Sid":"S3Regions","Effect":"Deny","Action":"s3:*","Resource":"*",
            "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1","us-east-1"]}}}"#,
        r#"{"Sid":"WhoAmI","Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}"#,
    ],
];

/// The bucket policy of acme-data.
const BUCKET: &[&str] = &[
    r#"{"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::acme-data","arn:aws:s3:::acme-data/*"],
        "Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
    r#"{"Sid":"PartnerRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::acme-data/shared/*"}"#,
    r#"{"Sid":"EtlWrite","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/etl-writer"},"Action":["s3:PutObject","s3:PutObjectTagging"],
        "Resource":"arn:aws:s3:::acme-data/teams/*"}"#,
    r#"{"Sid":"Encrypted","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-data/*",
        "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}"#,
    r#"{"Sid":"AdminsDelete","Effect":"Deny","Principal":"*","Action":["s3:DeleteObject","s3:DeleteObjectVersion"],"Resource":"arn:aws:s3:::acme-data/*",
        "Condition":{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::111111111111:role/data-admin*","arn:aws:iam::111111111111:user/*"]}}}"#,
    r#"{"Sid":"AnalyticsRoles","Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data/teams/*",
        "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/analytics-*"}}}"#,
];

/// 30 services for the generated statements, with a resource shape each.
const SERVICES: [(&str, &str, &str); 30] = [
    (
        "ec2",
        "Describe",
        "arn:aws:ec2:eu-west-1:111111111111:instance/i-",
    ),
    (
        "dynamodb",
        "Query",
        "arn:aws:dynamodb:eu-west-1:111111111111:table/t",
    ),
    (
        "lambda",
        "Invoke",
        "arn:aws:lambda:eu-west-1:111111111111:function:f",
    ),
    ("sqs", "Send", "arn:aws:sqs:eu-west-1:111111111111:q"),
    ("sns", "Publish", "arn:aws:sns:eu-west-1:111111111111:topic"),
    ("kms", "Decrypt", "arn:aws:kms:eu-west-1:111111111111:key/k"),
    (
        "logs",
        "Put",
        "arn:aws:logs:eu-west-1:111111111111:log-group:/app/g",
    ),
    (
        "cloudwatch",
        "Get",
        "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:a",
    ),
    ("iam", "Get", "arn:aws:iam::111111111111:role/r"),
    (
        "ssm",
        "GetParameter",
        "arn:aws:ssm:eu-west-1:111111111111:parameter/p",
    ),
    (
        "secretsmanager",
        "Get",
        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:s",
    ),
    ("rds", "Describe", "arn:aws:rds:eu-west-1:111111111111:db:d"),
    (
        "ecr",
        "BatchGet",
        "arn:aws:ecr:eu-west-1:111111111111:repository/r",
    ),
    (
        "ecs",
        "Run",
        "arn:aws:ecs:eu-west-1:111111111111:task-definition/t",
    ),
    (
        "eks",
        "Describe",
        "arn:aws:eks:eu-west-1:111111111111:cluster/c",
    ),
    (
        "glue",
        "Get",
        "arn:aws:glue:eu-west-1:111111111111:table/db/t",
    ),
    (
        "athena",
        "StartQuery",
        "arn:aws:athena:eu-west-1:111111111111:workgroup/w",
    ),
    (
        "kinesis",
        "Put",
        "arn:aws:kinesis:eu-west-1:111111111111:stream/s",
    ),
    (
        "firehose",
        "Put",
        "arn:aws:firehose:eu-west-1:111111111111:deliverystream/d",
    ),
    (
        "states",
        "Start",
        "arn:aws:states:eu-west-1:111111111111:stateMachine:m",
    ),
    (
        "events",
        "Put",
        "arn:aws:events:eu-west-1:111111111111:rule/r",
    ),
    (
        "apigateway",
        "GET",
        "arn:aws:apigateway:eu-west-1::/restapis/a",
    ),
    (
        "cloudformation",
        "Describe",
        "arn:aws:cloudformation:eu-west-1:111111111111:stack/s",
    ),
    ("route53", "Get", "arn:aws:route53:::hostedzone/Z"),
    (
        "elasticloadbalancing",
        "Describe",
        "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/l",
    ),
    (
        "autoscaling",
        "Update",
        "arn:aws:autoscaling:eu-west-1:111111111111:autoScalingGroup:*:autoScalingGroupName/g",
    ),
    (
        "sagemaker",
        "Invoke",
        "arn:aws:sagemaker:eu-west-1:111111111111:endpoint/e",
    ),
    (
        "redshift",
        "GetClusterCredentials",
        "arn:aws:redshift:eu-west-1:111111111111:dbuser:c",
    ),
    (
        "elasticache",
        "Describe",
        "arn:aws:elasticache:eu-west-1:111111111111:cluster:c",
    ),
    (
        "codebuild",
        "Start",
        "arn:aws:codebuild:eu-west-1:111111111111:project/p",
    ),
];

/// Statement `i` of the generated filler: one in ten is about S3 (in the same bucket, another
/// bucket, or denying what the requests do not do), the rest spread over 30 services. None of
/// them matches the benchmarked requests.
fn generated(i: usize) -> String {
    // (Not `is_multiple_of`: the workspace's rust-version is 1.85.)
    let (n, rank) = (i / 10, i % 10);
    if rank == 0 {
        return match n % 5 {
            0 => format!(
                r#"{{"Sid":"Gen{i}","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-data/projects/p{n}/*",
                    "Condition":{{"StringEquals":{{"aws:PrincipalTag/project":"p{n}"}}}}}}"#
            ),
            1 => format!(
                r#"{{"Sid":"Gen{i}","Effect":"Allow","Action":"s3:Get*","Resource":["arn:aws:s3:::acme-archive-{n}","arn:aws:s3:::acme-archive-{n}/*"]}}"#
            ),
            2 => format!(
                r#"{{"Sid":"Gen{i}","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data/home/*",
                    "Condition":{{"StringLike":{{"aws:PrincipalTag/team":"team-{n}*"}},"IpAddress":{{"aws:SourceIp":"172.16.{}.0/24"}}}}}}"#,
                n % 256
            ),
            3 => format!(
                r#"{{"Sid":"Gen{i}","Effect":"Deny","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-data/quarantine-{n}/*"}}"#
            ),
            _ => format!(
                r#"{{"Sid":"Gen{i}","Effect":"Allow","Action":"s3:List*","Resource":"arn:aws:s3:::acme-data",
                    "Condition":{{"StringLike":{{"s3:prefix":"projects/p{n}/*"}}}}}}"#
            ),
        };
    }
    let (svc, verb, arn) = SERVICES[i % SERVICES.len()];
    match i % 4 {
        0 => format!(
            r#"{{"Sid":"Gen{i}","Effect":"Allow","Action":["{svc}:{verb}*","{svc}:List*"],"Resource":"{arn}{i}*"}}"#
        ),
        1 => format!(
            r#"{{"Sid":"Gen{i}","Effect":"Allow","Action":"{svc}:{verb}{i}","Resource":"{arn}{i}",
                "Condition":{{"StringEquals":{{"aws:PrincipalTag/team":"team-{i}"}}}}}}"#
        ),
        2 => format!(
            r#"{{"Sid":"Gen{i}","Effect":"Deny","Action":"{svc}:Delete*","Resource":"{arn}{i}*",
                "Condition":{{"DateGreaterThan":{{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}}}}"#
        ),
        _ => format!(
            r#"{{"Sid":"Gen{i}","Effect":"Allow","Action":"{svc}:*","Resource":"*",
                "Condition":{{"StringEquals":{{"aws:PrincipalTag/project":"project-{i}"}},"Bool":{{"aws:SecureTransport":"true"}}}}}}"#
        ),
    }
}

fn document(statements: &[String]) -> String {
    format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{}]}}",
        statements.join(",")
    )
}

/// The identity documents: the realistic ones, grown to `total` statements with filler.
fn identity_documents(total: usize) -> Vec<String> {
    let base: usize = IDENTITY.iter().map(|p| p.len()).sum();
    let extra = total.saturating_sub(base);
    IDENTITY
        .iter()
        .enumerate()
        .map(|(k, statements)| {
            let mut all: Vec<String> = statements.iter().map(|s| (*s).to_owned()).collect();
            // Filler statements go to the policies by blocks of ten, each block starting with
            // an S3 statement: every policy gets its share of S3 and of the other services.
            all.extend((0..extra).filter(|i| (i / 10) % 10 == k).map(generated));
            document(&all)
        })
        .collect()
}

fn bucket_document() -> String {
    document(&BUCKET.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
}

/// One policy set, compiled for both engines.
struct Fixture {
    statements: usize,
    identity: Vec<CompiledPolicy>,
    bucket: CompiledPolicy,
    iam_rs: PolicyEvaluator,
}

fn fixture(total: usize) -> Fixture {
    let identity_docs = identity_documents(total);
    let bucket_doc = bucket_document();
    let identity: Vec<CompiledPolicy> = identity_docs
        .iter()
        .map(
            |d| match Policy::parse_for(d, PolicyKind::ManagedIdentity) {
                Ok(p) => CompiledPolicy::new(&p),
                Err(e) => panic!("identity policy refused: {}\n{d}", e.message()),
            },
        )
        .collect();
    let bucket = match Policy::parse_for(&bucket_doc, PolicyKind::Resource) {
        Ok(p) => CompiledPolicy::new(&p),
        Err(e) => panic!("bucket policy refused: {}", e.message()),
    };
    let statements = identity
        .iter()
        .map(|p| p.policy().statements.len())
        .sum::<usize>();
    let iam_policies: Vec<IAMPolicy> = identity_docs
        .iter()
        .chain(std::iter::once(&bucket_doc))
        .map(|d| IAMPolicy::from_json(d).unwrap_or_else(|e| panic!("iam-rs refused: {e}\n{d}")))
        .collect();
    // iam-rs stops with an error past 1,000 statements by default; both sides see them all.
    let iam_rs = PolicyEvaluator::with_policies(iam_policies).with_options(EvaluationOptions {
        max_statements: usize::MAX,
        ..EvaluationOptions::default()
    });
    Fixture {
        statements,
        identity,
        bucket,
        iam_rs,
    }
}

fn rolegate_context(principal: &Principal) -> Context {
    let mut ctx = Context::for_principal(principal);
    for (k, v) in CONTEXT {
        ctx.insert(k, v);
    }
    ctx
}

fn iam_rs_request(action: &str, resource: &str) -> IAMRequest {
    let mut ctx = iam_rs::Context::new();
    // What Context::for_principal supplies on the rolegate side.
    ctx.insert("aws:username".into(), IamValue::String("alice".into()));
    ctx.insert("aws:PrincipalArn".into(), IamValue::String(USER_ARN.into()));
    ctx.insert(
        "aws:PrincipalAccount".into(),
        IamValue::String(ACCOUNT.into()),
    );
    ctx.insert("aws:PrincipalType".into(), IamValue::String("User".into()));
    for (k, v) in CONTEXT {
        let value = match v {
            "true" => IamValue::Boolean(true),
            "false" => IamValue::Boolean(false),
            _ => IamValue::String(v.into()),
        };
        ctx.insert(k.into(), value);
    }
    let arn = Arn::parse(resource).unwrap_or_else(|e| panic!("{resource}: {e}"));
    IAMRequest::new_with_context(
        IamPrincipal::Aws(PrincipalId::String(USER_ARN.into())),
        action,
        arn,
        ctx,
    )
}

fn iam_rs_decide(f: &Fixture, req: &IAMRequest) -> iam_rs::Decision {
    match f.iam_rs.evaluate(req) {
        Ok(r) => r.decision,
        Err(e) => panic!("iam-rs failed: {e}"),
    }
}

fn rolegate_decide(
    f: &Fixture,
    principal: &Principal,
    ctx: &Context,
    (action, resource): (&str, &str),
) -> DecisionKind {
    let req = Request {
        principal,
        action,
        resource,
        resource_account: Some(ACCOUNT),
        context: ctx,
    };
    let set = PolicySet {
        identity: &f.identity,
        resource: Some(&f.bucket),
        ..Default::default()
    };
    evaluate(&req, &set).kind
}

/// Both engines give the expected decision for the benchmarked requests (and one explicit deny).
fn check(f: &Fixture, principal: &Principal, ctx: &Context) {
    let cases = [
        (ALLOWED, DecisionKind::Allow, iam_rs::Decision::Allow),
        (
            DENIED,
            DecisionKind::ImplicitDeny,
            iam_rs::Decision::NotApplicable,
        ),
        (EXPLICIT, DecisionKind::ExplicitDeny, iam_rs::Decision::Deny),
    ];
    for (request, ours, theirs) in cases {
        assert_eq!(
            rolegate_decide(f, principal, ctx, request),
            ours,
            "rolegate, {} statements: {request:?}",
            f.statements
        );
        assert_eq!(
            iam_rs_decide(f, &iam_rs_request(request.0, request.1)),
            theirs,
            "iam-rs, {} statements: {request:?}",
            f.statements
        );
    }
    // The allow comes from the ${aws:username} statement of the first identity policy.
    let req = Request {
        principal,
        action: ALLOWED.0,
        resource: ALLOWED.1,
        resource_account: Some(ACCOUNT),
        context: ctx,
    };
    let set = PolicySet {
        identity: &f.identity,
        resource: Some(&f.bucket),
        ..Default::default()
    };
    let d = evaluate(&req, &set);
    assert_eq!(d.policy_type, PolicyType::Identity);
    assert_eq!(d.statement.map(|s| (s.policy, s.statement)), Some((0, 1)));
}

fn bench_decisions(
    c: &mut Criterion,
    name: &str,
    f: &Fixture,
    principal: &Principal,
    ctx: &Context,
) {
    let mut group = c.benchmark_group(name);
    let set = PolicySet {
        identity: &f.identity,
        resource: Some(&f.bucket),
        ..Default::default()
    };
    for (label, (action, resource)) in [("allow", ALLOWED), ("implicit_deny", DENIED)] {
        let req = Request {
            principal,
            action,
            resource,
            resource_account: Some(ACCOUNT),
            context: ctx,
        };
        group.bench_function(BenchmarkId::new("rolegate", label), |b| {
            b.iter(|| evaluate(black_box(&req), black_box(&set)))
        });
        let theirs = iam_rs_request(action, resource);
        group.bench_function(BenchmarkId::new("iam_rs", label), |b| {
            b.iter(|| f.iam_rs.evaluate(black_box(&theirs)))
        });
    }
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let identity_docs = identity_documents(0);
    let bucket_doc = bucket_document();
    let mut group = c.benchmark_group("compile_realistic");
    group.bench_function("parse_validate_compile", |b| {
        b.iter(|| {
            let identity = identity_docs
                .iter()
                .map(|d| {
                    Policy::parse_for(black_box(d), PolicyKind::ManagedIdentity)
                        .map(|p| CompiledPolicy::new(&p))
                })
                .collect::<Result<Vec<_>, _>>()
                .ok();
            let bucket = Policy::parse_for(black_box(&bucket_doc), PolicyKind::Resource)
                .map(|p| CompiledPolicy::new(&p))
                .ok();
            (identity, bucket)
        })
    });
    let parsed: Vec<Policy> = identity_docs
        .iter()
        .chain(std::iter::once(&bucket_doc))
        .filter_map(|d| Policy::parse(d).ok())
        .collect();
    assert_eq!(parsed.len(), 11);
    group.bench_function("compile_only", |b| {
        b.iter(|| {
            black_box(&parsed)
                .iter()
                .map(CompiledPolicy::new)
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

/// What the probe runs: `ROLEGATE_PROBE_SET` (`realistic_50`, `statements_1000`, default
/// both), `ROLEGATE_PROBE_REQUEST` (`allow`, `implicit_deny`, default both) and
/// `ROLEGATE_PROBE_ENGINE` (`rolegate`, the default, or `iam_rs`).
fn probe(n: usize, realistic: &Fixture, large: &Fixture, principal: &Principal, ctx: &Context) {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let sets: Vec<&Fixture> = match var("ROLEGATE_PROBE_SET").as_str() {
        "realistic_50" => vec![realistic],
        "statements_1000" => vec![large],
        _ => vec![realistic, large],
    };
    let requests = match var("ROLEGATE_PROBE_REQUEST").as_str() {
        "allow" => vec![ALLOWED],
        "implicit_deny" => vec![DENIED],
        _ => vec![ALLOWED, DENIED],
    };
    let iam_rs = var("ROLEGATE_PROBE_ENGINE") == "iam_rs";
    let theirs: Vec<IAMRequest> = requests
        .iter()
        .map(|(action, resource)| iam_rs_request(action, resource))
        .collect();
    let mut allowed = 0usize;
    for f in &sets {
        for _ in 0..n {
            if iam_rs {
                for req in &theirs {
                    allowed +=
                        usize::from(iam_rs_decide(f, black_box(req)) == iam_rs::Decision::Allow);
                }
            } else {
                for &request in &requests {
                    let d = rolegate_decide(
                        f,
                        black_box(principal),
                        black_box(ctx),
                        black_box(request),
                    );
                    allowed += usize::from(d == DecisionKind::Allow);
                }
            }
        }
    }
    let engine = if iam_rs { "iam-rs" } else { "rolegate" };
    println!(
        "probe ({engine}): {} policy sets x {n} iterations x {} requests, {allowed} allowed",
        sets.len(),
        requests.len()
    );
}

fn main() {
    let Some(principal) = Principal::from_arn(USER_ARN) else {
        panic!("bad principal ARN");
    };
    let ctx = rolegate_context(&principal);
    let realistic = fixture(0);
    let large = fixture(1000);
    assert_eq!(realistic.statements, 51);
    assert_eq!(large.statements, 1000);
    check(&realistic, &principal, &ctx);
    check(&large, &principal, &ctx);

    if let Ok(n) = std::env::var("ROLEGATE_PROBE") {
        probe(n.parse().unwrap_or(0), &realistic, &large, &principal, &ctx);
        return;
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    bench_decisions(&mut c, "realistic_50", &realistic, &principal, &ctx);
    bench_decisions(&mut c, "statements_1000", &large, &principal, &ctx);
    bench_compile(&mut c);
    c.final_summary();
}
