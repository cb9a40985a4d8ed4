#!/usr/bin/env bash
# An instance profile, end to end with the unmodified AWS CLI: an instance of account
# 222222222222 whose role AssumeRoleInA may assume RoleForB in 111111111111 (ReadOnlyAccess),
# and an instance whose role may not. Commands "on the instance" run under `rolegate exec`,
# which leaves the CLI nothing but the instance metadata service for credentials.
# Needs AWS_ENDPOINT_URL (a fresh development-mode rolegate), ROLEGATE_BIN and
# ROLEGATE_DATA_DIR (that server's binary and data directory).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"; }
as_root() { AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=anything aws "${@:2}"; }
on() { "$ROLEGATE_BIN" exec --instance "$1" --endpoint "$AWS_ENDPOINT_URL" --data-dir "$ROLEGATE_DATA_DIR" -- "${@:2}"; }

trust_ec2='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
role_b=arn:aws:iam::111111111111:role/RoleForB

# Account 222222222222: AssumeRoleInA, its profile, an instance running with it.
as_root 222222222222 iam create-role --role-name AssumeRoleInA \
  --assume-role-policy-document "$trust_ec2" >/dev/null
as_root 222222222222 iam put-role-policy --role-name AssumeRoleInA --policy-name assume-role-for-b \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$role_b\"}]}"
as_root 222222222222 iam create-instance-profile --instance-profile-name AssumeRoleInA >/dev/null
as_root 222222222222 iam add-role-to-instance-profile --instance-profile-name AssumeRoleInA \
  --role-name AssumeRoleInA
id=$(as_root 222222222222 ec2 run-instances --image-id ami-0abcdef1234567890 \
  --instance-type t3.micro --count 1 --iam-instance-profile Name=AssumeRoleInA \
  --query 'Instances[0].InstanceId' --output text)
[[ $id == i-* ]] || fail "run-instances: $id"

# Account 111111111111: RoleForB trusting 222222222222, read-only; an instance to describe.
as_root 111111111111 iam create-role --role-name RoleForB \
  --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}' >/dev/null
as_root 111111111111 iam attach-role-policy --role-name RoleForB \
  --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess
b_instance=$(as_root 111111111111 ec2 run-instances --image-id ami-0abcdef1234567890 \
  --instance-type t3.micro --count 1 --query 'Instances[0].InstanceId' --output text)

# On the instance: who am I, then into account 111111111111.
out=$(on "$id" aws sts get-caller-identity --query Arn --output text)
expect "$out" "arn:aws:sts::222222222222:assumed-role/AssumeRoleInA/$id" "get-caller-identity on the instance"
read -r key secret token < <(on "$id" aws sts assume-role --role-arn "$role_b" \
  --role-session-name EC2FromB \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)
[[ $key == ASIA* ]] || fail "assume-role from the instance: $key"
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
out=$(aws sts get-caller-identity --query Arn --output text)
expect "$out" "arn:aws:sts::111111111111:assumed-role/RoleForB/EC2FromB" "RoleForB session"
out=$(aws ec2 describe-instances --region us-east-1 \
  --query 'Reservations[].Instances[].InstanceId' --output text)
expect "$out" "$b_instance" "describe-instances as RoleForB"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

# An instance whose role lacks sts:AssumeRole: refused by its own identity policies.
as_root 222222222222 iam create-role --role-name NoAssume \
  --assume-role-policy-document "$trust_ec2" >/dev/null
as_root 222222222222 iam create-instance-profile --instance-profile-name NoAssume >/dev/null
as_root 222222222222 iam add-role-to-instance-profile --instance-profile-name NoAssume \
  --role-name NoAssume
other=$(as_root 222222222222 ec2 run-instances --image-id ami-0abcdef1234567890 \
  --instance-type t3.micro --count 1 --iam-instance-profile Name=NoAssume \
  --query 'Instances[0].InstanceId' --output text)
if err=$(on "$other" aws sts assume-role --role-arn "$role_b" --role-session-name EC2FromB 2>&1); then
  fail "assume-role without sts:AssumeRole succeeded"
fi
expect "$(echo "$err" | grep -o 'AccessDenied.*' | head -1)" \
  "AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::222222222222:assumed-role/NoAssume/$other is not authorized to perform: sts:AssumeRole on resource: $role_b because no identity-based policy allows the sts:AssumeRole action" \
  "assume-role from the instance without permission"

# Stopped, the instance's credentials are gone with it.
as_root 222222222222 ec2 stop-instances --instance-ids "$id" >/dev/null
if err=$(on "$id" aws sts get-caller-identity 2>&1); then
  fail "exec on a stopped instance succeeded"
fi
echo "$err" | grep -q "no running instance $id" || fail "exec on a stopped instance: $err"
echo "instance story: ok"
