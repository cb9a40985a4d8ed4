"""S3 object tags and the tag and header condition keys, end to end against the real rolegate
binary (driven by tests/s3.rs).

Usage: tagging.py main STATE_DIR           -- tags round-trip through `aws s3api`, a user
                                             policy conditioned on s3:ExistingObjectTag, a
                                             bucket policy denying uploads without
                                             x-amz-server-side-encryption
       tagging.py after-restart STATE_DIR  -- the tags survived a kill -9

rolegate stores and echoes x-amz-server-side-encryption but does not itself encrypt objects.
The endpoint comes from AWS_ENDPOINT_URL; in development mode a 12-digit access key id is the
root user of that account.
"""

import json
import os
import subprocess
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
REGION = "us-east-1"
A = "111111111111"
BUCKET = "tag-bucket"


def client(service, key, secret="anything"):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(
            retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
            signature_version="s3v4" if service == "s3" else None,
        ),
    )


def expect_error(code, status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert got_status == status, f"{code} came with HTTP {got_status}"
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def cli(*args, key=A, check=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY="anything")
    r = subprocess.run(["aws", *args], capture_output=True, text=True, env=env)
    if check:
        assert r.returncode == 0, f"aws {' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r


def tag_set(key):
    out = cli("s3api", "get-object-tagging", "--bucket", BUCKET, "--key", key).stdout
    return {t["Key"]: t["Value"] for t in json.loads(out)["TagSet"]}


def round_trip(s3):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="public.txt", Body=b"hello", Tagging="classification=public")
    s3.put_object(Bucket=BUCKET, Key="internal.txt", Body=b"secret")
    assert tag_set("internal.txt") == {}
    cli(
        "s3api", "put-object-tagging", "--bucket", BUCKET, "--key", "internal.txt",
        "--tagging", "TagSet=[{Key=classification,Value=internal},{Key=team,Value=red team}]",
    )
    assert tag_set("internal.txt") == {"classification": "internal", "team": "red team"}
    assert tag_set("public.txt") == {"classification": "public"}
    assert s3.head_object(Bucket=BUCKET, Key="internal.txt")["ResponseMetadata"]["HTTPHeaders"][
        "x-amz-tagging-count"
    ] == "2"
    assert s3.get_object(Bucket=BUCKET, Key="public.txt")["TagCount"] == 1
    # Delete, then set again; the errors S3 gives.
    s3.put_object(Bucket=BUCKET, Key="scratch", Body=b"x", Tagging="a=1")
    s3.delete_object_tagging(Bucket=BUCKET, Key="scratch")
    assert s3.get_object_tagging(Bucket=BUCKET, Key="scratch")["TagSet"] == []
    eleven = {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
    expect_error("BadRequest", 400, s3.put_object_tagging, Bucket=BUCKET, Key="scratch", Tagging=eleven)
    long_key = {"TagSet": [{"Key": "k" * 129, "Value": "v"}]}
    expect_error("InvalidTag", 400, s3.put_object_tagging, Bucket=BUCKET, Key="scratch", Tagging=long_key)
    expect_error("NoSuchKey", 404, s3.get_object_tagging, Bucket=BUCKET, Key="missing")
    # CopyObject keeps the source's tags unless told to replace them.
    s3.copy_object(Bucket=BUCKET, Key="copy.txt", CopySource=f"{BUCKET}/public.txt")
    assert tag_set("copy.txt") == {"classification": "public"}
    s3.copy_object(
        Bucket=BUCKET, Key="copy.txt", CopySource=f"{BUCKET}/public.txt",
        TaggingDirective="REPLACE", Tagging="classification=internal",
    )
    assert tag_set("copy.txt") == {"classification": "internal"}


def existing_object_tag(s3):
    iam = client("iam", A)
    iam.create_user(UserName="tagreader")
    iam.put_user_policy(
        UserName="tagreader",
        PolicyName="public-only",
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
                "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}},
            }],
        }),
    )
    k = iam.create_access_key(UserName="tagreader")["AccessKey"]
    reader = client("s3", k["AccessKeyId"], k["SecretAccessKey"])
    assert reader.get_object(Bucket=BUCKET, Key="public.txt")["Body"].read() == b"hello"
    expect_error("AccessDenied", 403, reader.get_object, Bucket=BUCKET, Key="internal.txt")
    expect_error("AccessDenied", 403, reader.get_object_tagging, Bucket=BUCKET, Key="public.txt")
    # Retagging changes the decision.
    s3.put_object_tagging(
        Bucket=BUCKET, Key="internal.txt",
        Tagging={"TagSet": [{"Key": "classification", "Value": "public"}]},
    )
    assert reader.get_object(Bucket=BUCKET, Key="internal.txt")["Body"].read() == b"secret"
    s3.put_object_tagging(
        Bucket=BUCKET, Key="internal.txt",
        Tagging={"TagSet": [{"Key": "classification", "Value": "internal"}]},
    )
    expect_error("AccessDenied", 403, reader.get_object, Bucket=BUCKET, Key="internal.txt")


def require_encryption(s3, state_dir):
    s3.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyUnencrypted",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
                "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
            }],
        }),
    )
    expect_error("AccessDenied", 403, s3.put_object, Bucket=BUCKET, Key="plain.txt", Body=b"x")
    r = s3.put_object(Bucket=BUCKET, Key="enc.txt", Body=b"x", ServerSideEncryption="AES256")
    assert r["ServerSideEncryption"] == "AES256", r
    assert s3.head_object(Bucket=BUCKET, Key="enc.txt")["ServerSideEncryption"] == "AES256"
    src = os.path.join(state_dir, "upload.txt")
    with open(src, "w") as f:
        f.write("via the cli")
    r = cli("s3", "cp", src, f"s3://{BUCKET}/cli.txt", check=False)
    assert r.returncode != 0 and "AccessDenied" in r.stderr, (r.stdout, r.stderr)
    cli("s3", "cp", "--sse", "AES256", src, f"s3://{BUCKET}/cli.txt")


def main(state_dir):
    s3 = client("s3", A)
    round_trip(s3)
    existing_object_tag(s3)
    require_encryption(s3, state_dir)
    print("ok")


def after_restart(state_dir):
    # As main left them: internal.txt was retagged last with classification=internal alone.
    assert tag_set("internal.txt") == {"classification": "internal"}
    assert tag_set("scratch") == {}
    assert tag_set("public.txt") == {"classification": "public"}
    assert client("s3", A).head_object(Bucket=BUCKET, Key="enc.txt")["ServerSideEncryption"] == "AES256"
    print("ok")


if __name__ == "__main__":
    {"main": main, "after-restart": after_restart}[sys.argv[1]](sys.argv[2])
