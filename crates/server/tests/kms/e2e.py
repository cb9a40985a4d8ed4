"""KMS end to end with boto3 against the real rolegate binary (driven by tests/kms.rs).

Usage: e2e.py main STATE_FILE      -- every operation, error and access rule; leaves a
                                      ciphertext in STATE_FILE
       e2e.py after-restart STATE_FILE -- decrypts that ciphertext after a hard restart

The endpoint comes from AWS_ENDPOINT_URL. In development mode a 12-digit access key id is the
root user of that account.
"""

import base64
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
REGION = "us-east-1"
A, B = "111111111111", "222222222222"
CONFIG = Config(retries={"max_attempts": 1})


def client(service, key, secret="anything", token=None):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=CONFIG,
    )


def expect_error(code, fn, *args, message=None, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status in (400, 412), f"{code} came with HTTP {status}"
        assert e.response["ResponseMetadata"].get("RequestId"), "no request id"
        if message is not None:
            got_message = e.response["Error"].get("Message", "")
            assert got_message == message, f"message {got_message!r} != {message!r}"
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow_root(account):
    return {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def user_with_key(iam, name, policy_doc):
    iam.create_user(UserName=name)
    if policy_doc:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy_doc)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def keys_and_aliases(kms):
    created = kms.create_key(
        Description="orders",
        Tags=[{"TagKey": "team", "TagValue": "core"}],
    )
    meta = created["KeyMetadata"]
    key_id, arn = meta["KeyId"], meta["Arn"]
    assert arn == f"arn:aws:kms:{REGION}:{A}:key/{key_id}", arn
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["Description"] == "orders"
    assert meta["CreationDate"].year >= 2024
    assert created["ResponseMetadata"]["RequestId"]

    kms.create_alias(AliasName="alias/orders", TargetKeyId=key_id)
    for by in (key_id, arn, "alias/orders", f"arn:aws:kms:{REGION}:{A}:alias/orders"):
        assert kms.describe_key(KeyId=by)["KeyMetadata"]["Arn"] == arn, by
    expect_error(
        "AlreadyExistsException",
        kms.create_alias,
        AliasName="alias/orders",
        TargetKeyId=key_id,
        message=f"An alias with the name arn:aws:kms:{REGION}:{A}:alias/orders already exists",
    )
    expect_error("ValidationException", kms.create_alias, AliasName="orders", TargetKeyId=key_id)
    expect_error(
        "NotFoundException",
        kms.describe_key,
        KeyId="alias/missing",
        message=f"Alias arn:aws:kms:{REGION}:{A}:alias/missing is not found.",
    )
    missing = "0b0e6f9a-1111-4222-8333-444455556666"
    expect_error(
        "NotFoundException",
        kms.describe_key,
        KeyId=missing,
        message=f"Key 'arn:aws:kms:{REGION}:{A}:key/{missing}' does not exist",
    )
    expect_error("UnsupportedOperationException", kms.create_key, KeySpec="RSA_2048")

    # Paginators follow NextMarker.
    for _ in range(3):
        kms.create_key()
    pages = list(kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}))
    listed = [k["KeyId"] for p in pages for k in p["Keys"]]
    assert len(pages) >= 2 and key_id in listed and len(listed) == len(set(listed)) == 4, pages
    aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/orders"], aliases

    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/moving", TargetKeyId=key_id)
    kms.update_alias(AliasName="alias/moving", TargetKeyId=other)
    assert kms.describe_key(KeyId="alias/moving")["KeyMetadata"]["KeyId"] == other
    kms.delete_alias(AliasName="alias/moving")
    expect_error("NotFoundException", kms.delete_alias, AliasName="alias/moving")

    # Tags and key policies.
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "env", "TagValue": "prod"}])
    tags = kms.list_resource_tags(KeyId=key_id)["Tags"]
    assert tags == [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "core"}], tags
    kms.untag_resource(KeyId=key_id, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "env", "TagValue": "prod"}]
    expect_error("TagException", kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "aws:x", "TagValue": "v"}])
    default = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert default["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{A}:root", default
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
    expect_error("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id, PolicyName="default", Policy="{")
    expect_error(
        "MalformedPolicyDocumentException",
        kms.put_key_policy,
        KeyId=key_id,
        PolicyName="default",
        Policy=policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "kms:*", "Resource": "*"}),
        message="The new key policy will not allow you to update the key policy in the future.",
    )
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy(allow_root(A)))
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"]) == json.loads(policy(allow_root(A)))
    return key_id, arn


def cryptography(kms, key_id, arn):
    ctx = {"purpose": "e2e", "dept": "it"}
    enc = kms.encrypt(KeyId="alias/orders", Plaintext=b"attack at dawn", EncryptionContext=ctx)
    assert enc["KeyId"] == arn and enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = enc["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert dec["Plaintext"] == b"attack at dawn" and dec["KeyId"] == arn, dec
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob, EncryptionContext={"purpose": "e2e"})
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob)
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=bytes(tampered), EncryptionContext=ctx)
    other = kms.create_key()["KeyMetadata"]["Arn"]
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx, KeyId=other)

    re = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext=ctx,
        DestinationKeyId=other,
        DestinationEncryptionContext={"moved": "yes"},
    )
    assert re["SourceKeyId"] == arn and re["KeyId"] == other
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"moved": "yes"})["Plaintext"] == b"attack at dawn"

    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"f": "1"})
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"f": "1"})["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key_id, NumberOfBytes=16)["Plaintext"]) == 16
    np = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_128")
    assert "Plaintext" not in np
    assert len(kms.decrypt(CiphertextBlob=np["CiphertextBlob"])["Plaintext"]) == 16
    expect_error(
        "ValidationException",
        kms.generate_data_key,
        KeyId=key_id,
        message="Please specify either number of bytes or key spec.",
    )

    # Disabled and pending deletion.
    kms.disable_key(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    expect_error("DisabledException", kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx, message=f"{arn} is disabled.")
    kms.enable_key(KeyId=key_id)
    sched = kms.schedule_key_deletion(KeyId=other, PendingWindowInDays=7)
    assert sched["KeyState"] == "PendingDeletion" and sched["PendingWindowInDays"] == 7 and sched["DeletionDate"]
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"moved": "yes"}, message=f"{other} is pending deletion.")
    expect_error("ValidationException", kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=3)
    assert kms.cancel_key_deletion(KeyId=other)["KeyId"] == other
    assert kms.describe_key(KeyId=other)["KeyMetadata"]["KeyState"] == "Disabled"
    return blob, ctx


def cross_account(a_kms, b_iam, b_sts, key_arn, blob, ctx):
    """The issue's second path: a key of A, a role and a user of B."""
    bob_key, bob_secret = user_with_key(
        b_iam, "bob", policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    )
    eve_key, eve_secret = user_with_key(b_iam, "eve", "")
    bob = client("kms", bob_key, bob_secret)
    eve = client("kms", eve_key, eve_secret)

    # The key policy names account B: B's identity policies decide.
    a_kms.put_key_policy(
        KeyId=key_arn,
        PolicyName="default",
        Policy=policy(
            allow_root(A),
            {"Sid": "b", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"},
        ),
    )
    assert bob.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"attack at dawn"
    assert bob.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId=key_arn)["KeyId"] == key_arn
    assert bob.describe_key(KeyId=key_arn)["KeyMetadata"]["AWSAccountId"] == A
    expect_error("NotFoundException", bob.describe_key, KeyId=key_arn.split("/")[-1])
    expect_error(
        "AccessDeniedException",
        bob.encrypt,
        KeyId=key_arn,
        Plaintext=b"x",
        message=f"User: arn:aws:iam::{B}:user/bob is not authorized to perform: kms:Encrypt on resource: {key_arn} because no resource-based policy allows the kms:Encrypt action",
    )
    expect_error(
        "AccessDeniedException",
        eve.decrypt,
        CiphertextBlob=blob,
        EncryptionContext=ctx,
        message=f"User: arn:aws:iam::{B}:user/eve is not authorized to perform: kms:Decrypt on resource: {key_arn} because no identity-based policy allows the kms:Decrypt action",
    )

    # A role of B, named by the key policy, decrypts A's ciphertext.
    b_iam.create_role(
        RoleName="decryptor",
        AssumeRolePolicyDocument=policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "sts:AssumeRole"}),
    )
    b_iam.put_role_policy(
        RoleName="decryptor",
        PolicyName="kms",
        PolicyDocument=policy({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
    )
    role_arn = f"arn:aws:iam::{B}:role/decryptor"
    bob_sts = client("sts", bob_key, bob_secret)
    b_iam.put_user_policy(UserName="bob", PolicyName="assume", PolicyDocument=policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}))
    creds = bob_sts.assume_role(RoleArn=role_arn, RoleSessionName="e2e")["Credentials"]
    role = client("kms", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    a_kms.put_key_policy(
        KeyId=key_arn,
        PolicyName="default",
        Policy=policy(allow_root(A), {"Sid": "role", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "kms:Decrypt", "Resource": "*"}),
    )
    assert role.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"attack at dawn"
    # bob is no longer named (only the role is): his identity policy alone is not enough.
    expect_error("AccessDeniedException", bob.decrypt, CiphertextBlob=blob, EncryptionContext=ctx)

    # Without the key policy statement the role is denied, its identity policy notwithstanding.
    a_kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=policy(allow_root(A)))
    expect_error(
        "AccessDeniedException",
        role.decrypt,
        CiphertextBlob=blob,
        EncryptionContext=ctx,
        message=f"User: arn:aws:sts::{B}:assumed-role/decryptor/e2e is not authorized to perform: kms:Decrypt on resource: {key_arn} because no resource-based policy allows the kms:Decrypt action",
    )

    # Authentication errors in KMS's own terms.
    expect_error("InvalidSignatureException", client("kms", bob_key, "wrong-secret").list_keys)
    expect_error("UnrecognizedClientException", client("kms", "AKIAIOSFODNN7EXAMPLE", "x").list_keys)


def main(state_file):
    a_kms = client("kms", A)
    key_id, arn = keys_and_aliases(a_kms)
    blob, ctx = cryptography(a_kms, key_id, arn)
    cross_account(a_kms, client("iam", B), client("sts", B), arn, blob, ctx)
    with open(state_file, "w") as f:
        json.dump({"blob": base64.b64encode(blob).decode(), "ctx": ctx, "arn": arn}, f)


def after_restart(state_file):
    with open(state_file) as f:
        state = json.load(f)
    kms = client("kms", A)
    out = kms.decrypt(CiphertextBlob=base64.b64decode(state["blob"]), EncryptionContext=state["ctx"])
    assert out["Plaintext"] == b"attack at dawn" and out["KeyId"] == state["arn"], out
    assert kms.describe_key(KeyId="alias/orders")["KeyMetadata"]["Arn"] == state["arn"]


if __name__ == "__main__":
    {"main": main, "after-restart": after_restart}[sys.argv[1]](sys.argv[2])
    print("ok", sys.argv[1])
