#!/usr/bin/env bash
# Walkthrough 5: an EC2 instance of account B (222222222222) runs with role AssumeRoleInA (its
# instance profile); from the instance it assumes RoleForB in account A (111111111111), which
# trusts B and has ReadOnlyAccess, and reads A: its instances and its DynamoDB table. Writes
# are refused (read-only), and an instance whose role lacks sts:AssumeRole is refused.
# Runs against a fresh development-mode rolegate; every output is checked.
source "$(dirname "$0")/../lib.sh"

a=111111111111 b=222222222222
role_b="arn:aws:iam::$a:role/RoleForB"
admin_profile admin-a $a
admin_profile admin-b $b
trust_ec2='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

# Account B must exist before A's trust policy may name it (IAM refuses unknown principals).
expect "$(aws sts get-caller-identity --profile admin-b --query Account --output text)" "$b" "account B"

step "Account A: RoleForB trusting account B, with ReadOnlyAccess; an instance and a table to read"
out=$(aws iam create-role --role-name RoleForB --profile admin-a \
  --assume-role-policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$b:root\"},\"Action\":\"sts:AssumeRole\"}]}" \
  --query Role.Arn --output text)
expect "$out" "$role_b" "create-role RoleForB"
aws iam attach-role-policy --role-name RoleForB --profile admin-a \
  --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess
a_instance=$(aws ec2 run-instances --profile admin-a --image-id ami-0abcdef1234567890 \
  --instance-type t3.micro --count 1 --query 'Instances[0].InstanceId' --output text)
[[ $a_instance == i-* ]] || fail "run-instances in A: $a_instance"
aws dynamodb create-table --table-name my-table --profile admin-a \
  --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST >/dev/null
aws dynamodb put-item --table-name my-table --item '{"id":{"S":"a-1"},"n":{"N":"1"}}' --profile admin-a
aws dynamodb put-item --table-name my-table --item '{"id":{"S":"a-2"},"n":{"N":"2"}}' --profile admin-a

step "Account B: AssumeRoleInA trusting EC2, allowed to assume RoleForB; its instance profile; an instance"
aws iam create-role --role-name AssumeRoleInA --profile admin-b \
  --assume-role-policy-document "$trust_ec2" >/dev/null
aws iam put-role-policy --role-name AssumeRoleInA --policy-name assume-role-for-b --profile admin-b \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$role_b\"}]}"
aws iam create-instance-profile --instance-profile-name AssumeRoleInA --profile admin-b >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name AssumeRoleInA \
  --role-name AssumeRoleInA --profile admin-b
id=$(aws ec2 run-instances --profile admin-b --image-id ami-0abcdef1234567890 \
  --instance-type t3.micro --count 1 --iam-instance-profile Name=AssumeRoleInA \
  --query 'Instances[0].InstanceId' --output text)
[[ $id == i-* ]] || fail "run-instances in B: $id"
out=$(aws ec2 describe-instances --profile admin-b --instance-ids "$id" \
  --query 'Reservations[0].Instances[0].[State.Name,IamInstanceProfile.Arn]' --output text)
expect "$out" "running	arn:aws:iam::$b:instance-profile/AssumeRoleInA" "describe-instances in B"

step "On the instance: its identity comes from the instance metadata service"
out=$(on "$id" aws sts get-caller-identity --query Arn --output text)
expect "$out" "arn:aws:sts::$b:assumed-role/AssumeRoleInA/$id" "get-caller-identity on the instance"

step "On the instance: assume RoleForB in A, export the credentials, read A"
read -r key secret token < <(on "$id" aws sts assume-role --role-arn "$role_b" \
  --role-session-name EC2FromB \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)
[[ $key == ASIA* ]] || fail "assume-role from the instance: $key"
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
out=$(aws sts get-caller-identity --query Arn --output text)
expect "$out" "arn:aws:sts::$a:assumed-role/RoleForB/EC2FromB" "RoleForB session"
out=$(aws ec2 describe-instances --region us-east-1 \
  --query 'Reservations[].Instances[].InstanceId' --output text)
expect "$out" "$a_instance" "describe-instances in A as RoleForB"
out=$(aws dynamodb scan --table-name my-table --query 'Items[].id.S' --output text | tr '\t' '\n' | sort | tr '\n' ' ')
expect "$out" "a-1 a-2 " "dynamodb scan in A as RoleForB"
err=$(denied aws dynamodb put-item --table-name my-table --item '{"id":{"S":"a-3"}}')
expect "$err" "An error occurred (AccessDeniedException) when calling the PutItem operation: User: arn:aws:sts::$a:assumed-role/RoleForB/EC2FromB is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:$a:table/my-table because no identity-based policy allows the dynamodb:PutItem action" "put-item as RoleForB (read-only)"
expect_explained "no statement allows dynamodb:PutItem on arn:aws:dynamodb:us-east-1:$a:table/my-table" "explain the write denial"
err=$(denied aws ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t3.micro --count 1)
[[ $err == "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized to perform this operation. User: arn:aws:sts::$a:assumed-role/RoleForB/EC2FromB is not authorized to perform: ec2:RunInstances on resource: "* ]] ||
  fail "run-instances as RoleForB: $err"
expect_explained "Why: no identity-based policy allows ec2:RunInstances: the caller's side refused (account $a)" "explain run-instances"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

step "An instance whose role lacks sts:AssumeRole is refused by its own account"
aws iam create-role --role-name NoAssume --assume-role-policy-document "$trust_ec2" --profile admin-b >/dev/null
aws iam create-instance-profile --instance-profile-name NoAssume --profile admin-b >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name NoAssume --role-name NoAssume --profile admin-b
other=$(aws ec2 run-instances --profile admin-b --image-id ami-0abcdef1234567890 \
  --instance-type t3.micro --count 1 --iam-instance-profile Name=NoAssume \
  --query 'Instances[0].InstanceId' --output text)
err=$(denied on "$other" aws sts assume-role --role-arn "$role_b" --role-session-name EC2FromB)
expect "$err" "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::$b:assumed-role/NoAssume/$other is not authorized to perform: sts:AssumeRole on resource: $role_b because no identity-based policy allows the sts:AssumeRole action" \
  "assume-role from the instance without permission"
expect_explained "Why: no identity-based policy allows sts:AssumeRole: the caller's side refused (account $b)" "explain the instance's denial"

step "Stopped, the instance's credentials are gone with it"
aws ec2 stop-instances --instance-ids "$id" --profile admin-b >/dev/null
if err=$(on "$id" aws sts get-caller-identity 2>&1); then
  fail "exec on a stopped instance succeeded"
fi
grep -q "no running instance $id" <<<"$err" || fail "exec on a stopped instance: $err"

echo
echo "walkthrough 5 (EC2 to another account): all checks passed"
