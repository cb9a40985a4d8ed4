"""S3 end to end against the real rolegate binary (driven by tests/s3.rs): the AWS CLI's
`aws s3` commands, boto3 for the API calls, urllib for anonymous and presigned requests.

Usage: e2e.py main STATE_DIR           -- every served operation, error and access rule
       e2e.py after-restart STATE_DIR  -- the objects written by `main` survived a kill -9

The endpoint comes from AWS_ENDPOINT_URL. In development mode a 12-digit access key id is the
root user of that account.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
PORT = ENDPOINT.rsplit(":", 1)[1]
REGION = "us-east-1"
A, B = "111111111111", "222222222222"


def client(service, key, secret="anything", token=None, style="path"):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(
            retries={"max_attempts": 1},
            s3={"addressing_style": style},
            # Presigned URLs default to SigV2 in botocore; rolegate speaks SigV4 only.
            signature_version="s3v4" if service == "s3" else None,
        ),
    )


def expect_error(code, status, fn, *args, message=None, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert got_status == status, f"{code} came with HTTP {got_status}"
        if message is not None:
            got_message = e.response["Error"].get("Message", "")
            assert message in got_message, f"message {got_message!r} lacks {message!r}"
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def cli(*args, key=A, secret="anything", check=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
    r = subprocess.run(["aws", *args], capture_output=True, text=True, env=env)
    if check:
        assert r.returncode == 0, f"aws {' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r


def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def buckets_cli(work):
    """`aws s3` mb/ls/cp/rm/rb, as a user types them."""
    assert "make_bucket: cli-bucket-1" in cli("s3", "mb", "s3://cli-bucket-1").stdout
    r = cli("s3", "mb", "s3://cli-bucket-1", check=False)
    assert "BucketAlreadyOwnedByYou" in r.stderr, r.stderr
    r = cli("s3", "mb", "s3://cli-bucket-1", key=B, check=False)
    assert "BucketAlreadyExists" in r.stderr, r.stderr
    r = cli("s3", "mb", "s3://Bad_Name", check=False)
    assert "InvalidBucketName" in r.stderr, r.stderr
    src = os.path.join(work, "hello.txt")
    with open(src, "w") as f:
        f.write("hello world\n")
    cli("s3", "cp", src, "s3://cli-bucket-1/dir/hello.txt")
    cli("s3", "cp", src, "s3://cli-bucket-1/top.txt")
    assert "cli-bucket-1" in cli("s3", "ls").stdout
    assert "cli-bucket-1" not in cli("s3", "ls", key=B).stdout
    listing = cli("s3", "ls", "s3://cli-bucket-1/").stdout
    assert "PRE dir/" in listing and "top.txt" in listing, listing
    assert "dir/hello.txt" in cli("s3", "ls", "--recursive", "s3://cli-bucket-1/").stdout
    assert cli("s3", "cp", "s3://cli-bucket-1/dir/hello.txt", "-").stdout == "hello world\n"
    r = cli("s3", "rb", "s3://cli-bucket-1", check=False)
    assert "BucketNotEmpty" in r.stderr, r.stderr
    cli("s3", "rm", "--recursive", "s3://cli-bucket-1")
    cli("s3", "rb", "s3://cli-bucket-1")
    assert "cli-bucket-1" not in cli("s3", "ls").stdout


def objects_api(s3):
    s3.create_bucket(Bucket="api-bucket")
    s3.head_bucket(Bucket="api-bucket")
    assert s3.get_bucket_location(Bucket="api-bucket")["LocationConstraint"] is None
    expect_error("404", 404, s3.head_bucket, Bucket="no-such-bucket-x")
    expect_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket="no-such-bucket-x")
    r = s3.put_object(
        Bucket="api-bucket",
        Key="docs/a b+c.txt",
        Body=b"0123456789",
        ContentType="text/plain",
        Metadata={"owner": "anne"},
    )
    assert r["ETag"] == '"781e5e245d69b566979b86e28d23f2c7"', r["ETag"]
    h = s3.head_object(Bucket="api-bucket", Key="docs/a b+c.txt")
    assert h["ContentLength"] == 10 and h["ContentType"] == "text/plain"
    assert h["Metadata"] == {"owner": "anne"}, h["Metadata"]
    g = s3.get_object(Bucket="api-bucket", Key="docs/a b+c.txt", Range="bytes=2-4")
    assert g["Body"].read() == b"234" and g["ContentRange"] == "bytes 2-4/10"
    expect_error(
        "InvalidRange", 416, s3.get_object, Bucket="api-bucket", Key="docs/a b+c.txt", Range="bytes=20-"
    )
    etag = h["ETag"]
    expect_error("304", 304, s3.get_object, Bucket="api-bucket", Key="docs/a b+c.txt", IfNoneMatch=etag)
    expect_error(
        "PreconditionFailed", 412, s3.get_object, Bucket="api-bucket", Key="docs/a b+c.txt", IfMatch='"nope"'
    )
    assert s3.get_object(Bucket="api-bucket", Key="docs/a b+c.txt", IfMatch=etag)["Body"].read() == b"0123456789"
    expect_error(
        "304", 304, s3.get_object, Bucket="api-bucket", Key="docs/a b+c.txt",
        IfModifiedSince=h["LastModified"],
    )
    expect_error("NoSuchKey", 404, s3.get_object, Bucket="api-bucket", Key="missing")
    # Checksums the SDK computes (header or aws-chunked trailer), checked by the server.
    for alg in ("CRC32", "SHA256"):  # CRC32C needs botocore[crt]; unit-tested instead
        s3.put_object(Bucket="api-bucket", Key=f"sum/{alg}", Body=b"hello world", ChecksumAlgorithm=alg)
    g = s3.get_object(Bucket="api-bucket", Key="sum/CRC32", ChecksumMode="ENABLED")
    assert g["ChecksumCRC32"] == "DUoRhQ==", g
    expect_error(
        "BadDigest", 400, s3.put_object, Bucket="api-bucket", Key="bad", Body=b"hello world",
        ChecksumCRC32="AAAAAA==",
    )
    expect_error(
        "BadDigest", 400, s3.put_object, Bucket="api-bucket", Key="bad", Body=b"hello world",
        ContentMD5="AAAAAAAAAAAAAAAAAAAAAA==",
    )
    # Listing: prefix, delimiter, common prefixes, pages.
    for k in ("l/a", "l/b/1", "l/b/2", "l/c", "l/d/1"):
        s3.put_object(Bucket="api-bucket", Key=k, Body=b"x")
    r = s3.list_objects_v2(Bucket="api-bucket", Prefix="l/", Delimiter="/", MaxKeys=2)
    assert [c["Key"] for c in r["Contents"]] == ["l/a"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["l/b/"] and r["IsTruncated"]
    r = s3.list_objects_v2(
        Bucket="api-bucket", Prefix="l/", Delimiter="/", MaxKeys=2,
        ContinuationToken=r["NextContinuationToken"],
    )
    assert [c["Key"] for c in r["Contents"]] == ["l/c"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["l/d/"] and not r["IsTruncated"]
    pages = s3.get_paginator("list_objects").paginate(Bucket="api-bucket", Prefix="l/", PaginationConfig={"PageSize": 2})
    assert [c["Key"] for p in pages for c in p.get("Contents", [])] == ["l/a", "l/b/1", "l/b/2", "l/c", "l/d/1"]
    # Copy, delete, delete many.
    c = s3.copy_object(Bucket="api-bucket", Key="copy.txt", CopySource={"Bucket": "api-bucket", "Key": "docs/a b+c.txt"})
    assert c["CopyObjectResult"]["ETag"] == etag
    assert s3.head_object(Bucket="api-bucket", Key="copy.txt")["Metadata"] == {"owner": "anne"}
    expect_error(
        "InvalidRequest", 400, s3.copy_object, Bucket="api-bucket", Key="copy.txt",
        CopySource={"Bucket": "api-bucket", "Key": "copy.txt"},
    )
    s3.delete_object(Bucket="api-bucket", Key="copy.txt")
    s3.delete_object(Bucket="api-bucket", Key="copy.txt")
    r = s3.delete_objects(Bucket="api-bucket", Delete={"Objects": [{"Key": "l/a"}, {"Key": "l/c"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["l/a", "l/c"]
    # Bucket tagging and policy status.
    s3.put_bucket_tagging(Bucket="api-bucket", Tagging={"TagSet": [{"Key": "team", "Value": "red"}]})
    assert s3.get_bucket_tagging(Bucket="api-bucket")["TagSet"] == [{"Key": "team", "Value": "red"}]
    s3.delete_bucket_tagging(Bucket="api-bucket")
    expect_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket="api-bucket")
    expect_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket="api-bucket")
    expect_error("MalformedPolicy", 400, s3.put_bucket_policy, Bucket="api-bucket", Policy='{"Statement": 1}')
    # Virtual-hosted addressing (bucket.localhost).
    s3.put_object(Bucket="api-bucket", Key="vhost.txt", Body=b"v")
    status, body, _ = http("GET", f"{ENDPOINT}/vhost.txt", headers={"Host": f"api-bucket.localhost:{PORT}"})
    assert status == 403, (status, body)  # anonymous, no policy


def auth_errors(s3):
    expect_error(
        "InvalidAccessKeyId", 403, client("s3", "AKIAUNKNOWNKEY000000").list_buckets,
        message="The AWS Access Key Id you provided does not exist in our records.",
    )
    iam = client("iam", A)
    iam.create_user(UserName="s3user")
    k = iam.create_access_key(UserName="s3user")["AccessKey"]
    bad = client("s3", k["AccessKeyId"], "wrong-secret")
    expect_error("SignatureDoesNotMatch", 403, bad.list_buckets)
    # No policy at all: AccessDenied with AWS's message.
    nobody = client("s3", k["AccessKeyId"], k["SecretAccessKey"])
    e = expect_error("AccessDenied", 403, nobody.list_objects_v2, Bucket="api-bucket")
    assert "s3:ListBucket" in str(e), e
    return k


def presigned(s3):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "api-bucket", "Key": "docs/a b+c.txt"}, ExpiresIn=60)
    status, body, _ = http("GET", url)
    assert (status, body) == (200, b"0123456789"), (status, body)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": "api-bucket", "Key": "presigned-put"}, ExpiresIn=60)
    status, body, _ = http("PUT", url, data=b"via url")
    assert status == 200, (status, body)
    assert s3.get_object(Bucket="api-bucket", Key="presigned-put")["Body"].read() == b"via url"
    # The CLI's presign, then expiry.
    url = cli("s3", "presign", "s3://api-bucket/presigned-put", "--expires-in", "1").stdout.strip()
    time.sleep(2.2)
    status, body, _ = http("GET", url)
    assert status == 403 and b"AccessDenied" in body, (status, body)


def public_read(s3):
    s3.create_bucket(Bucket="public-bucket")
    s3.put_object(Bucket="public-bucket", Key="index.html", Body=b"<h1>hi</h1>")
    status, _, _ = http("GET", f"{ENDPOINT}/public-bucket/index.html")
    assert status == 403
    s3.put_bucket_policy(
        Bucket="public-bucket",
        Policy=policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public-bucket/*"}),
    )
    assert s3.get_bucket_policy_status(Bucket="public-bucket")["PolicyStatus"]["IsPublic"] is True
    status, body, _ = http("GET", f"{ENDPOINT}/public-bucket/index.html")
    assert (status, body) == (200, b"<h1>hi</h1>"), (status, body)
    # Virtual-hosted: the bucket is in the Host (which the resolver here may not know).
    status, body, _ = http("GET", f"{ENDPOINT}/index.html", headers={"Host": f"public-bucket.s3.localhost:{PORT}"})
    assert (status, body) == (200, b"<h1>hi</h1>"), (status, body)
    # Reading is public; listing and writing are not.
    assert http("GET", f"{ENDPOINT}/public-bucket")[0] == 403
    assert http("PUT", f"{ENDPOINT}/public-bucket/x", data=b"x")[0] == 403
    assert json.loads(s3.get_bucket_policy(Bucket="public-bucket")["Policy"])["Statement"][0]["Principal"] == "*"
    s3.delete_bucket_policy(Bucket="public-bucket")
    assert http("GET", f"{ENDPOINT}/public-bucket/index.html")[0] == 403


def cross_account():
    """Account B's bucket, read by a role of account A: B's bucket policy must name the role
    and the role's own identity policy must allow (both sides, as on AWS)."""
    b_s3 = client("s3", B)
    b_s3.create_bucket(Bucket="list-prod-bkt-details-01")
    b_s3.put_object(Bucket="list-prod-bkt-details-01", Key="report.csv", Body=b"a,b\n")
    a_iam = client("iam", A)
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"})
    role_arn = a_iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    # Roots may not assume roles: a user of A does.
    a_iam.create_user(UserName="anne")
    a_iam.put_user_policy(
        UserName="anne", PolicyName="assume",
        PolicyDocument=policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
    )
    ak = a_iam.create_access_key(UserName="anne")["AccessKey"]
    creds = client("sts", ak["AccessKeyId"], ak["SecretAccessKey"]).assume_role(RoleArn=role_arn, RoleSessionName="reader-session")["Credentials"]
    role_s3 = client("s3", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    # Neither side allows.
    expect_error("AccessDenied", 403, role_s3.get_object, Bucket="list-prod-bkt-details-01", Key="report.csv")
    # Only the role's identity policy: the bucket owner has not agreed.
    a_iam.put_role_policy(
        RoleName="reader", PolicyName="read",
        PolicyDocument=policy({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}),
    )
    expect_error("AccessDenied", 403, role_s3.get_object, Bucket="list-prod-bkt-details-01", Key="report.csv")
    # Both sides.
    b_s3.put_bucket_policy(
        Bucket="list-prod-bkt-details-01",
        Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::list-prod-bkt-details-01", "arn:aws:s3:::list-prod-bkt-details-01/*"]},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::list-prod-bkt-details-01/secret/*"},
        ),
    )
    assert role_s3.get_object(Bucket="list-prod-bkt-details-01", Key="report.csv")["Body"].read() == b"a,b\n"
    keys = [c["Key"] for c in role_s3.list_objects_v2(Bucket="list-prod-bkt-details-01")["Contents"]]
    assert keys == ["report.csv"], keys
    # Writing was granted by neither.
    expect_error("AccessDenied", 403, role_s3.put_object, Bucket="list-prod-bkt-details-01", Key="x", Body=b"x")
    # A Deny in the bucket policy beats the owner's own Allow.
    b_s3.put_object(Bucket="list-prod-bkt-details-01", Key="secret/k", Body=b"s")
    b_iam = client("iam", B)
    b_iam.create_user(UserName="owner-user")
    b_iam.put_user_policy(
        UserName="owner-user", PolicyName="all",
        PolicyDocument=policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    )
    k = b_iam.create_access_key(UserName="owner-user")["AccessKey"]
    owner_user = client("s3", k["AccessKeyId"], k["SecretAccessKey"])
    assert owner_user.get_object(Bucket="list-prod-bkt-details-01", Key="report.csv")["Body"].read() == b"a,b\n"
    expect_error("AccessDenied", 403, owner_user.get_object, Bucket="list-prod-bkt-details-01", Key="secret/k")
    # The CLI as the role lists the other account's bucket.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
               AWS_SESSION_TOKEN=creds["SessionToken"])
    r = subprocess.run(["aws", "s3", "ls", "s3://list-prod-bkt-details-01/"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "report.csv" in r.stdout, (r.stdout, r.stderr)


def main(state_dir):
    config = os.path.join(state_dir, "aws-config")
    with open(config, "w") as f:
        f.write("[default]\ns3 =\n    signature_version = s3v4\n")
    os.environ["AWS_CONFIG_FILE"] = config
    s3 = client("s3", A)
    sigv2 = s3.generate_presigned_url("get_object", Params={"Bucket": "x", "Key": "y"})
    sigv2 = sigv2.split("?")[0] + "?AWSAccessKeyId=111111111111&Signature=abc&Expires=9999999999"
    status, body, _ = http("GET", sigv2)
    assert status == 400 and b"AWS4-HMAC-SHA256" in body, (status, body)
    buckets_cli(state_dir)
    objects_api(s3)
    auth_errors(s3)
    presigned(s3)
    public_read(s3)
    cross_account()
    print("ok")


def after_restart(state_dir):
    s3 = client("s3", A)
    assert s3.get_object(Bucket="api-bucket", Key="docs/a b+c.txt")["Body"].read() == b"0123456789"
    assert "list-prod-bkt-details-01" in [b["Name"] for b in client("s3", B).list_buckets()["Buckets"]]
    status, _, _ = http("GET", f"{ENDPOINT}/public-bucket/index.html")
    assert status == 403
    print("ok")


if __name__ == "__main__":
    {"main": main, "after-restart": after_restart}[sys.argv[1]](sys.argv[2])
