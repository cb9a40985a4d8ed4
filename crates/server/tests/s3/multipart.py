"""S3 multipart uploads end to end against the real rolegate binary (driven by tests/s3.rs).

Usage: multipart.py main STATE_DIR           -- `aws s3 cp` of a large file both ways, the
                                               low-level calls and their errors; leaves one
                                               upload in progress
       multipart.py after-restart STATE_DIR  -- that upload survived a kill -9: list it, add a
                                               part, complete it, read it back

The endpoint comes from AWS_ENDPOINT_URL; in development mode a 12-digit access key id is the
root user of that account.
"""

import hashlib
import json
import os
import subprocess
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
REGION = "us-east-1"
A, B = "111111111111", "222222222222"
MiB = 1024 * 1024
BUCKET = "mpu-bucket"


def client(key, secret="anything", token=None):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}, signature_version="s3v4"),
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


def cli(*args, key=A):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY="anything")
    r = subprocess.run(["aws", *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, f"aws {' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def md5(data):
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts):
    return hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + f"-{len(parts)}"


def cli_copy(work):
    """`aws s3 cp` of a 20 MB file: above the CLI's 8 MB threshold, so a multipart upload (three
    parts, with the CLI's default checksums), then a ranged multipart download."""
    src = os.path.join(work, "big.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(20 * MiB))
    cli("s3", "mb", f"s3://{BUCKET}")
    cli("s3", "cp", src, f"s3://{BUCKET}/dir/big.bin")
    s3 = client(A)
    h = s3.head_object(Bucket=BUCKET, Key="dir/big.bin")
    assert h["ContentLength"] == 20 * MiB, h
    with open(src, "rb") as f:
        data = f.read()
    chunks = [data[i : i + 8 * MiB] for i in range(0, len(data), 8 * MiB)]
    assert h["ETag"] == f'"{multipart_etag(chunks)}"', (h["ETag"], multipart_etag(chunks))
    back = os.path.join(work, "big.back")
    cli("s3", "cp", f"s3://{BUCKET}/dir/big.bin", back)
    assert sha256(back) == sha256(src)
    # No upload is left behind.
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=BUCKET)
    assert "big.bin" in cli("s3", "ls", f"s3://{BUCKET}/dir/").stdout


def low_level(s3):
    key = "low/level.bin"
    up = s3.create_multipart_upload(Bucket=BUCKET, Key=key, ContentType="application/x-test", Metadata={"k": "v"})
    uid = up["UploadId"]
    assert up["Bucket"] == BUCKET and up["Key"] == key
    p1 = os.urandom(5 * MiB)
    p2 = os.urandom(5 * MiB + 3)
    p3 = b"the end"
    e1 = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=1, Body=p1)["ETag"]
    assert e1 == f'"{md5(p1)}"', e1
    # A part may be replaced; the later one counts.
    s3.upload_part(Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=2, Body=b"replaced below")
    e2 = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=2, Body=p2)["ETag"]
    # With a checksum the server verifies (trailer), and a wrong one it refuses.
    e3 = s3.upload_part(
        Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=3, Body=p3, ChecksumAlgorithm="SHA256"
    )["ETag"]
    expect_error(
        "BadDigest", 400, s3.upload_part, Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=4, Body=b"x",
        ChecksumCRC32="AAAAAA==",
    )
    expect_error("InvalidArgument", 400, s3.upload_part, Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=10001, Body=b"x")
    expect_error("NoSuchUpload", 404, s3.upload_part, Bucket=BUCKET, Key=key, UploadId="nope", PartNumber=1, Body=b"x")
    expect_error("NoSuchUpload", 404, s3.upload_part, Bucket=BUCKET, Key="other", UploadId=uid, PartNumber=1, Body=b"x")
    # ListParts, with paging.
    parts = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts["Parts"]] == [
        (1, e1, len(p1)), (2, e2, len(p2)), (3, e3, len(p3))
    ], parts["Parts"]
    page = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid, MaxParts=2)
    assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2
    page = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid, PartNumberMarker=2)
    assert [p["PartNumber"] for p in page["Parts"]] == [3] and not page["IsTruncated"]
    # ListMultipartUploads.
    other = s3.create_multipart_upload(Bucket=BUCKET, Key="low/other")["UploadId"]
    uploads = s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(key, uid), ("low/other", other)], uploads
    r = s3.list_multipart_uploads(Bucket=BUCKET, MaxUploads=1)
    assert r["IsTruncated"] and r["NextKeyMarker"] == key
    r = s3.list_multipart_uploads(Bucket=BUCKET, KeyMarker=r["NextKeyMarker"], UploadIdMarker=r["NextUploadIdMarker"])
    assert [u["UploadId"] for u in r["Uploads"]] == [other]
    r = s3.list_multipart_uploads(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["low/"] and "Uploads" not in r, r
    # Completion errors.
    done = lambda parts: s3.complete_multipart_upload(  # noqa: E731
        Bucket=BUCKET, Key=key, UploadId=uid, MultipartUpload={"Parts": parts}
    )
    expect_error("InvalidPartOrder", 400, done, [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}])
    expect_error("InvalidPart", 400, done, [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 9, "ETag": e2}])
    expect_error("InvalidPart", 400, done, [{"PartNumber": 1, "ETag": e2}])
    s3.upload_part(Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=5, Body=b"small")
    small = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid, PartNumberMarker=4)["Parts"][0]["ETag"]
    expect_error("EntityTooSmall", 400, done, [{"PartNumber": 3, "ETag": e3}, {"PartNumber": 5, "ETag": small}])
    expect_error("404", 404, s3.head_object, Bucket=BUCKET, Key=key)
    # Complete with parts 1-3 (5 is left out, and is discarded).
    r = done([{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}, {"PartNumber": 3, "ETag": e3}])
    assert r["ETag"] == f'"{multipart_etag([p1, p2, p3])}"', r
    g = s3.get_object(Bucket=BUCKET, Key=key)
    assert g["Body"].read() == p1 + p2 + p3
    assert g["ContentType"] == "application/x-test" and g["Metadata"] == {"k": "v"}, g
    assert g["ETag"] == r["ETag"]
    g = s3.get_object(Bucket=BUCKET, Key=key, Range=f"bytes={5 * MiB - 2}-{5 * MiB + 1}")
    assert g["Body"].read() == p1[-2:] + p2[:2]
    expect_error("NoSuchUpload", 404, done, [{"PartNumber": 1, "ETag": e1}])
    expect_error("NoSuchUpload", 404, s3.list_parts, Bucket=BUCKET, Key=key, UploadId=uid)
    # Abort.
    s3.upload_part(Bucket=BUCKET, Key="low/other", UploadId=other, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=BUCKET, Key="low/other", UploadId=other)
    expect_error("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket=BUCKET, Key="low/other", UploadId=other)
    expect_error("NoSuchUpload", 404, s3.list_parts, Bucket=BUCKET, Key="low/other", UploadId=other)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=BUCKET)
    expect_error("NoSuchBucket", 404, s3.create_multipart_upload, Bucket="no-such-bucket-mp", Key="k")


def part_copy(s3):
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"0123456789" * (MiB // 2))  # 5 MiB
    src_len = 10 * (MiB // 2)
    uid = s3.create_multipart_upload(Bucket=BUCKET, Key="copied")["UploadId"]
    c1 = s3.upload_part_copy(Bucket=BUCKET, Key="copied", UploadId=uid, PartNumber=1, CopySource={"Bucket": BUCKET, "Key": "src"})
    c2 = s3.upload_part_copy(
        Bucket=BUCKET, Key="copied", UploadId=uid, PartNumber=2, CopySource={"Bucket": BUCKET, "Key": "src"},
        CopySourceRange="bytes=3-6",
    )
    expect_error(
        "InvalidRange", 400, s3.upload_part_copy, Bucket=BUCKET, Key="copied", UploadId=uid, PartNumber=3,
        CopySource={"Bucket": BUCKET, "Key": "src"}, CopySourceRange=f"bytes=0-{src_len}",
    )
    s3.complete_multipart_upload(
        Bucket=BUCKET, Key="copied", UploadId=uid,
        MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": c1["CopyPartResult"]["ETag"]},
            {"PartNumber": 2, "ETag": c2["CopyPartResult"]["ETag"]},
        ]},
    )
    assert s3.get_object(Bucket=BUCKET, Key="copied")["Body"].read() == b"0123456789" * (MiB // 2) + b"3456"


def authorization(s3):
    """Each operation's own action: a user allowed only s3:PutObject may create, upload and
    complete, not list parts, list uploads or abort; another account needs the bucket policy."""
    iam = boto3.client("iam", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=A, aws_secret_access_key="x")
    iam.create_user(UserName="mpu-writer")
    iam.put_user_policy(
        UserName="mpu-writer", PolicyName="put",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}),
    )
    k = iam.create_access_key(UserName="mpu-writer")["AccessKey"]
    w = client(k["AccessKeyId"], k["SecretAccessKey"])
    uid = w.create_multipart_upload(Bucket=BUCKET, Key="by-writer")["UploadId"]
    e = w.upload_part(Bucket=BUCKET, Key="by-writer", UploadId=uid, PartNumber=1, Body=b"w")["ETag"]
    e = expect_error("AccessDenied", 403, w.list_parts, Bucket=BUCKET, Key="by-writer", UploadId=uid)
    assert "s3:ListMultipartUploadParts" in str(e), e
    e = expect_error("AccessDenied", 403, w.list_multipart_uploads, Bucket=BUCKET)
    assert "s3:ListBucketMultipartUploads" in str(e), e
    e = expect_error("AccessDenied", 403, w.abort_multipart_upload, Bucket=BUCKET, Key="by-writer", UploadId=uid)
    assert "s3:AbortMultipartUpload" in str(e), e
    etag = s3.list_parts(Bucket=BUCKET, Key="by-writer", UploadId=uid)["Parts"][0]["ETag"]
    w.complete_multipart_upload(
        Bucket=BUCKET, Key="by-writer", UploadId=uid, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert s3.get_object(Bucket=BUCKET, Key="by-writer")["Body"].read() == b"w"
    # Account B's root: denied until the bucket policy allows it.
    b = client(B)
    expect_error("AccessDenied", 403, b.create_multipart_upload, Bucket=BUCKET, Key="from-b")
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
         "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": f"arn:aws:s3:::{BUCKET}/from-b*"}]}))
    uid = b.create_multipart_upload(Bucket=BUCKET, Key="from-b")["UploadId"]
    b.abort_multipart_upload(Bucket=BUCKET, Key="from-b", UploadId=uid)
    expect_error("AccessDenied", 403, b.create_multipart_upload, Bucket=BUCKET, Key="elsewhere")
    s3.delete_bucket_policy(Bucket=BUCKET)


def leave_pending(s3, work):
    """An upload with two parts, to be finished after a kill -9."""
    p1, p2 = os.urandom(5 * MiB), os.urandom(5 * MiB)
    uid = s3.create_multipart_upload(Bucket=BUCKET, Key="pending/obj")["UploadId"]
    s3.upload_part(Bucket=BUCKET, Key="pending/obj", UploadId=uid, PartNumber=1, Body=p1)
    s3.upload_part(Bucket=BUCKET, Key="pending/obj", UploadId=uid, PartNumber=2, Body=p2)
    with open(os.path.join(work, "pending.json"), "w") as f:
        json.dump({"upload_id": uid, "p1": p1.hex(), "p2": p2.hex()}, f)


def main(work):
    s3 = client(A)
    cli_copy(work)
    low_level(s3)
    part_copy(s3)
    authorization(s3)
    leave_pending(s3, work)
    print("ok")


def after_restart(work):
    s3 = client(A)
    with open(os.path.join(work, "pending.json")) as f:
        pending = json.load(f)
    uid = pending["upload_id"]
    p1, p2 = bytes.fromhex(pending["p1"]), bytes.fromhex(pending["p2"])
    p3 = b"after the restart"
    uploads = s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("pending/obj", uid)], uploads
    parts = s3.list_parts(Bucket=BUCKET, Key="pending/obj", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [
        (1, f'"{md5(p1)}"', len(p1)), (2, f'"{md5(p2)}"', len(p2))
    ], parts
    e3 = s3.upload_part(Bucket=BUCKET, Key="pending/obj", UploadId=uid, PartNumber=3, Body=p3)["ETag"]
    expect_error("404", 404, s3.head_object, Bucket=BUCKET, Key="pending/obj")
    r = s3.complete_multipart_upload(
        Bucket=BUCKET, Key="pending/obj", UploadId=uid,
        MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": parts[0]["ETag"]},
            {"PartNumber": 2, "ETag": parts[1]["ETag"]},
            {"PartNumber": 3, "ETag": e3},
        ]},
    )
    assert r["ETag"] == f'"{multipart_etag([p1, p2, p3])}"', r
    assert s3.get_object(Bucket=BUCKET, Key="pending/obj")["Body"].read() == p1 + p2 + p3
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=BUCKET)
    # The object the CLI uploaded before the restart is intact.
    back = os.path.join(work, "big.after")
    cli("s3", "cp", f"s3://{BUCKET}/dir/big.bin", back)
    assert sha256(back) == sha256(os.path.join(work, "big.bin"))
    print("ok")


if __name__ == "__main__":
    {"main": main, "after-restart": after_restart}[sys.argv[1]](sys.argv[2])
