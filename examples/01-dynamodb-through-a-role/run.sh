#!/usr/bin/env bash
# Walkthrough 1: account A (111111111111) holds table my-table and a KMS key. Its role
# accountb-instance-role-dynamodb may read the table and decrypt with the key, and trusts
# account B's role instance-role. An instance of B (222222222222) running with instance-role
# assumes A's role with ./iam-assume-role.sh, scans the table and decrypts a ciphertext made
# under A's key; a write is denied, and so is a role of B that the trust policy does not name.
# Runs against a fresh development-mode rolegate; every output is checked.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

a=111111111111 b=222222222222
role_a="arn:aws:iam::$a:role/accountb-instance-role-dynamodb"
table_arn="arn:aws:dynamodb:us-east-1:$a:table/my-table"
admin_profile admin-a $a
admin_profile admin-b $b
trust_ec2='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

step "Account B: instance-role (trusting EC2) may assume A's role; its instance profile"
# B's role must exist before A's trust policy can name it.
aws iam create-role --role-name instance-role --assume-role-policy-document "$trust_ec2" \
  --profile admin-b >/dev/null
aws iam put-role-policy --role-name instance-role --policy-name assume-dynamodb-role-in-a \
  --profile admin-b --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$role_a\"}]}"
aws iam create-instance-profile --instance-profile-name instance-role --profile admin-b >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name instance-role \
  --role-name instance-role --profile admin-b

step "Account A: my-table with items, a KMS key and a ciphertext"
out=$(aws dynamodb create-table --table-name my-table --profile admin-a \
  --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST --query TableDescription.TableArn --output text)
expect "$out" "$table_arn" "create-table"
aws dynamodb put-item --table-name my-table --profile admin-a \
  --item '{"id":{"S":"order-1"},"total":{"N":"42.50"},"status":{"S":"shipped"}}'
aws dynamodb put-item --table-name my-table --profile admin-a \
  --item '{"id":{"S":"order-2"},"total":{"N":"7"},"status":{"S":"pending"}}'
key_arn=$(aws kms create-key --description "A's data key" --profile admin-a \
  --query KeyMetadata.Arn --output text)
aws kms create-alias --alias-name alias/my-table-key --target-key-id "$key_arn" --profile admin-a
printf 'the secret of account A' >"$work/plain.txt"
aws kms encrypt --key-id alias/my-table-key --plaintext "fileb://$work/plain.txt" --profile admin-a \
  --query CiphertextBlob --output text | base64 -d >"$work/secret.bin"

step "Account A: the role B's instances assume, reading the table and decrypting with the key"
out=$(aws iam create-role --role-name accountb-instance-role-dynamodb --profile admin-a \
  --assume-role-policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$b:role/instance-role\"},\"Action\":\"sts:AssumeRole\"}]}" \
  --query Role.Arn --output text)
expect "$out" "$role_a" "create-role"
aws iam put-role-policy --role-name accountb-instance-role-dynamodb --policy-name read-my-table \
  --profile admin-a --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[
    {\"Effect\":\"Allow\",\"Action\":[\"dynamodb:GetItem\",\"dynamodb:Query\",\"dynamodb:Scan\"],\"Resource\":\"$table_arn\"},
    {\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"$key_arn\"}]}"

step "Account B: an instance running with instance-role"
id=$(aws ec2 run-instances --profile admin-b --image-id ami-0abcdef1234567890 \
  --instance-type t3.micro --count 1 --iam-instance-profile Name=instance-role \
  --query 'Instances[0].InstanceId' --output text)
[[ $id == i-* ]] || fail "run-instances: $id"

step "On the instance: eval \$(./iam-assume-role.sh), then scan my-table and decrypt"
cp "$here/iam-assume-role.sh" "$work/"
cat >"$work/on-instance.sh" <<'SCRIPT'
set -euo pipefail
cd "$(dirname "$0")"
eval $(./iam-assume-role.sh)
aws sts get-caller-identity --query Arn --output text
aws dynamodb scan --table-name my-table --query 'Items[].[id.S,total.N,status.S]' --output text | sort
aws kms decrypt --ciphertext-blob fileb://secret.bin --query Plaintext --output text | base64 -d
echo
SCRIPT
out=$(on "$id" bash "$work/on-instance.sh")
expect "$out" "arn:aws:sts::$a:assumed-role/accountb-instance-role-dynamodb/dynamodb-from-b
order-1	42.5	shipped
order-2	7	pending
the secret of account A" "scan and decrypt on the instance"

step "Denials a careless setup gets"
cat >"$work/write.sh" <<'SCRIPT'
cd "$(dirname "$0")"
eval $(./iam-assume-role.sh)
aws dynamodb put-item --table-name my-table --item '{"id":{"S":"order-3"}}' 2>&1
SCRIPT
out=$(on "$id" bash "$work/write.sh" || true)
expect "$(grep -o 'An error occurred.*' <<<"$out")" "An error occurred (AccessDeniedException) when calling the PutItem operation: User: arn:aws:sts::$a:assumed-role/accountb-instance-role-dynamodb/dynamodb-from-b is not authorized to perform: dynamodb:PutItem on resource: $table_arn because no identity-based policy allows the dynamodb:PutItem action" "put-item as the read-only role"
expect_explained "no statement allows dynamodb:PutItem on $table_arn" "explain the write denial"

# Another role of B, allowed by B to assume A's role, but not named by A's trust policy.
aws iam create-role --role-name other-role --assume-role-policy-document "$trust_ec2" --profile admin-b >/dev/null
aws iam put-role-policy --role-name other-role --policy-name assume-dynamodb-role-in-a \
  --profile admin-b --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$role_a\"}]}"
aws iam create-instance-profile --instance-profile-name other-role --profile admin-b >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name other-role --role-name other-role --profile admin-b
other=$(aws ec2 run-instances --profile admin-b --image-id ami-0abcdef1234567890 \
  --instance-type t3.micro --count 1 --iam-instance-profile Name=other-role \
  --query 'Instances[0].InstanceId' --output text)
err=$(denied on "$other" "$here/iam-assume-role.sh")
expect "$err" "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::$b:assumed-role/other-role/$other is not authorized to perform: sts:AssumeRole on resource: $role_a because no role trust policy allows the sts:AssumeRole action" "another role of B"
expect_explained "trust policy of $role_a: statement 0 would allow sts:AssumeRole but its Principal does not name arn:aws:sts::$b:assumed-role/other-role/$other" "explain the trust denial"

echo
echo "walkthrough 1 (DynamoDB through a role, with a KMS key): all checks passed"
