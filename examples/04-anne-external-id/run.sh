#!/usr/bin/env bash
# Walkthrough 4: Anne of account 111111111111 assumes a role of account 222222222222 that
# trusts her account only with an external id, then uses S3 in 222222222222 as that role.
# Runs against a fresh development-mode rolegate; every output is checked.
source "$(dirname "$0")/../lib.sh"

a=111111111111 b=222222222222
role_arn="arn:aws:iam::$b:role/cross-account-s3-access"
admin_profile admin-a $a
admin_profile admin-b $b

step "Account A: Anne, a policy letting her assume the role, her key and profile"
out=$(aws iam create-user --user-name Anne --profile admin-a --query User.Arn --output text)
expect "$out" "arn:aws:iam::$a:user/Anne" "create-user"
policy_arn=$(aws iam create-policy --policy-name anne-assume-s3-role --profile admin-a \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$role_arn\"}]}" \
  --query Policy.Arn --output text)
expect "$policy_arn" "arn:aws:iam::$a:policy/anne-assume-s3-role" "create-policy"
aws iam attach-user-policy --user-name Anne --policy-arn "$policy_arn" --profile admin-a
out=$(aws iam list-attached-user-policies --user-name Anne --profile admin-a \
  --query 'AttachedPolicies[*].[PolicyName,PolicyArn]' --output text)
expect "$out" "anne-assume-s3-role	$policy_arn" "list-attached-user-policies"
read -r key secret < <(aws iam create-access-key --user-name Anne --profile admin-a \
  --query '[AccessKey.AccessKeyId,AccessKey.SecretAccessKey]' --output text)
[[ $key == AKIA* && ${#key} == 20 && ${#secret} == 40 ]] || fail "create-access-key: $key"
aws configure set aws_access_key_id "$key" --profile anne
aws configure set aws_secret_access_key "$secret" --profile anne
aws configure set region us-east-1 --profile anne
export AWS_PROFILE=anne
out=$(aws sts get-caller-identity --query '[Account,Arn]' --output text)
expect "$out" "$a	arn:aws:iam::$a:user/Anne" "get-caller-identity as Anne"

step "Account B: the role, trusting account A only with the external id, with S3 access"
out=$(aws iam create-role --role-name cross-account-s3-access --profile admin-b \
  --assume-role-policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$a:root\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":\"XX9812DDF2V\"}}}]}" \
  --query Role.Arn --output text)
expect "$out" "$role_arn" "create-role"
aws iam attach-role-policy --role-name cross-account-s3-access --profile admin-b \
  --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess

step "Before trying: simulate-principal-policy asks Anne's own account the same question"
out=$(aws iam simulate-principal-policy --profile admin-a --policy-source-arn "arn:aws:iam::$a:user/Anne" \
  --action-names sts:AssumeRole --resource-arns "$role_arn" \
  --query 'EvaluationResults[0].[EvalDecision,MatchedStatements[0].SourcePolicyId]' --output text)
expect "$out" "allowed	anne-assume-s3-role" "simulate-principal-policy"

step "Anne assumes it with the external id and exports the three variables"
read -r sarn skey ssecret stoken < <(aws sts assume-role --role-arn "$role_arn" \
  --role-session-name AWSCLI-Session --external-id XX9812DDF2V \
  --query '[AssumedRoleUser.Arn,Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' \
  --output text)
expect "$sarn" "arn:aws:sts::$b:assumed-role/cross-account-s3-access/AWSCLI-Session" "assume-role"
export AWS_ACCESS_KEY_ID=$skey AWS_SECRET_ACCESS_KEY=$ssecret AWS_SESSION_TOKEN=$stoken
out=$(aws sts get-caller-identity --query Arn --output text)
expect "$out" "$sarn" "get-caller-identity with the session"

step "S3 in account B as the role: ls, mb, ls, rb"
expect "$(aws s3 ls)" "" "s3 ls (no buckets yet)"
expect "$(aws s3 mb s3://anne-walkthrough-bucket)" "make_bucket: anne-walkthrough-bucket" "s3 mb"
out=$(aws s3 ls | awk '{print $3}')
expect "$out" "anne-walkthrough-bucket" "s3 ls"
expect "$(aws s3 rb s3://anne-walkthrough-bucket)" "remove_bucket: anne-walkthrough-bucket" "s3 rb"

step "unset: back to Anne"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
out=$(aws sts get-caller-identity --query Arn --output text)
expect "$out" "arn:aws:iam::$a:user/Anne" "get-caller-identity back as Anne"

step "Denials a careless setup gets"
because="User: arn:aws:iam::$a:user/Anne is not authorized to perform: sts:AssumeRole on resource: $role_arn because"
err=$(denied aws sts assume-role --role-arn "$role_arn" --role-session-name AWSCLI-Session)
expect "$err" "An error occurred (AccessDenied) when calling the AssumeRole operation: $because no role trust policy allows the sts:AssumeRole action" "without the external id"
expect_explained "trust policy of $role_arn: statement 0 requires sts:ExternalId StringEquals 'XX9812DDF2V'; the request had no sts:ExternalId" "explain without the external id"
err=$(denied aws sts assume-role --role-arn "$role_arn" --role-session-name AWSCLI-Session --external-id WRONG1)
expect "$err" "An error occurred (AccessDenied) when calling the AssumeRole operation: $because no role trust policy allows the sts:AssumeRole action" "with a wrong external id"
expect_explained "requires sts:ExternalId StringEquals 'XX9812DDF2V'; the request had sts:ExternalId = 'WRONG1'" "explain with a wrong external id"
aws iam detach-user-policy --user-name Anne --policy-arn "$policy_arn" --profile admin-a
out=$(aws iam simulate-principal-policy --profile admin-a --policy-source-arn "arn:aws:iam::$a:user/Anne" \
  --action-names sts:AssumeRole --resource-arns "$role_arn" --query 'EvaluationResults[0].EvalDecision' --output text)
expect "$out" "implicitDeny" "simulate-principal-policy after detaching"
err=$(denied aws sts assume-role --role-arn "$role_arn" --role-session-name AWSCLI-Session --external-id XX9812DDF2V)
expect "$err" "An error occurred (AccessDenied) when calling the AssumeRole operation: $because no identity-based policy allows the sts:AssumeRole action" "without Anne's policy"
expect_explained "Why: no identity-based policy allows sts:AssumeRole: the caller's side refused (account $a)" "explain without Anne's policy"

echo
echo "walkthrough 4 (Anne and the external id): all checks passed"
