#!/usr/bin/env bash
# The issue-3 sequence with the unmodified AWS CLI: Anne in account 111111111111 assumes
# cross-account-s3-access in 222222222222 with an external id. Every output is checked.
# Needs AWS_ENDPOINT_URL pointing at a fresh development-mode rolegate.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"; }
as_root() { AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=anything aws "${@:2}"; }

# Account A: Anne, her policy, her key and profile.
out=$(as_root 111111111111 iam create-user --user-name Anne --query User.Arn --output text)
expect "$out" "arn:aws:iam::111111111111:user/Anne" "create-user"
policy_arn=$(as_root 111111111111 iam create-policy --policy-name anne-s3 \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","sts:AssumeRole"],"Resource":"*"}]}' \
  --query Policy.Arn --output text)
expect "$policy_arn" "arn:aws:iam::111111111111:policy/anne-s3" "create-policy"
as_root 111111111111 iam attach-user-policy --user-name Anne --policy-arn "$policy_arn"
out=$(as_root 111111111111 iam list-attached-user-policies --user-name Anne \
  --query 'AttachedPolicies[*].[PolicyName,PolicyArn]' --output text)
expect "$out" "anne-s3	$policy_arn" "list-attached-user-policies"
read -r key secret < <(as_root 111111111111 iam create-access-key --user-name Anne \
  --query '[AccessKey.AccessKeyId,AccessKey.SecretAccessKey]' --output text)
[[ $key == AKIA* && ${#key} == 20 && ${#secret} == 40 ]] || fail "create-access-key: $key"
aws configure set aws_access_key_id "$key" --profile anne
aws configure set aws_secret_access_key "$secret" --profile anne
aws configure set region us-east-1 --profile anne
out=$(aws sts get-caller-identity --profile anne --query '[Account,Arn]' --output text)
expect "$out" "111111111111	arn:aws:iam::111111111111:user/Anne" "get-caller-identity as Anne"

# Account B: the role, trusting account A with an external id.
role_arn=$(as_root 222222222222 iam create-role --role-name cross-account-s3-access \
  --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"XX9812DDF2V"}}}]}' \
  --query Role.Arn --output text)
expect "$role_arn" "arn:aws:iam::222222222222:role/cross-account-s3-access" "create-role"

# Assume it as Anne, with the external id.
read -r sarn skey ssecret stoken < <(aws sts assume-role --profile anne --role-arn "$role_arn" \
  --role-session-name AWSCLI-Session --external-id XX9812DDF2V \
  --query '[AssumedRoleUser.Arn,Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' \
  --output text)
expect "$sarn" "arn:aws:sts::222222222222:assumed-role/cross-account-s3-access/AWSCLI-Session" "assume-role"

denied="User: arn:aws:iam::111111111111:user/Anne is not authorized to perform: sts:AssumeRole on resource: $role_arn"
# Without the external id, then with a wrong one.
if err=$(aws sts assume-role --profile anne --role-arn "$role_arn" --role-session-name AWSCLI-Session 2>&1); then
  fail "assume-role without external id succeeded"
fi
expect "$(echo "$err" | grep -o 'AccessDenied.*' | head -1)" "AccessDenied) when calling the AssumeRole operation: $denied because no role trust policy allows the sts:AssumeRole action" "no external id"
if err=$(aws sts assume-role --profile anne --role-arn "$role_arn" --role-session-name AWSCLI-Session --external-id WRONG1 2>&1); then
  fail "assume-role with a wrong external id succeeded"
fi
echo "$err" | grep -q "because no role trust policy allows the sts:AssumeRole action" || fail "wrong external id: $err"

# The session's keys, exported.
out=$(AWS_ACCESS_KEY_ID=$skey AWS_SECRET_ACCESS_KEY=$ssecret AWS_SESSION_TOKEN=$stoken \
  aws sts get-caller-identity --query Arn --output text)
expect "$out" "$sarn" "get-caller-identity with the session"

# With Anne's policy detached, her own account refuses.
as_root 111111111111 iam detach-user-policy --user-name Anne --policy-arn "$policy_arn"
if err=$(aws sts assume-role --profile anne --role-arn "$role_arn" --role-session-name AWSCLI-Session --external-id XX9812DDF2V 2>&1); then
  fail "assume-role after detach succeeded"
fi
echo "$err" | grep -qF "$denied because no identity-based policy allows the sts:AssumeRole action" || fail "after detach: $err"

echo "anne walkthrough: all checks passed"
