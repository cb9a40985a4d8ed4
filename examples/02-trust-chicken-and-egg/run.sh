#!/usr/bin/env bash
# Walkthrough 2: the trust-policy chicken-and-egg. Account A (111111111111) wants its role foo to
# trust only role bar of account B (222222222222), but bar does not exist yet, and IAM refuses a
# trust policy naming a missing principal. So foo first trusts B's root; B creates bar, allowed
# to assume only foo; bar's workload writes into A's TestTable; A then tightens foo's trust to
# bar: bar still writes, another role of B is now refused. Last, an external id as the way to
# trust a third party. Runs against a fresh development-mode rolegate; every output is checked.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

a=111111111111 b=222222222222
foo="arn:aws:iam::$a:role/foo" bar="arn:aws:iam::$b:role/bar"
admin_profile admin-a $a
admin_profile admin-b $b
trust_ec2='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
trust() { echo "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"$1\"},\"Action\":\"sts:AssumeRole\"${2:-}}]}"; }
# instance_with_role ROLE POLICY: a role of B trusting EC2 with POLICY inline, its profile, and
# an instance running with it; prints the instance id.
instance_with_role() {
  aws iam create-role --role-name "$1" --assume-role-policy-document "$trust_ec2" --profile admin-b >/dev/null
  aws iam put-role-policy --role-name "$1" --policy-name assume --policy-document "$2" --profile admin-b
  aws iam create-instance-profile --instance-profile-name "$1" --profile admin-b >/dev/null
  aws iam add-role-to-instance-profile --instance-profile-name "$1" --role-name "$1" --profile admin-b
  aws ec2 run-instances --profile admin-b --image-id ami-0abcdef1234567890 --instance-type t3.micro \
    --count 1 --iam-instance-profile "Name=$1" --query 'Instances[0].InstanceId' --output text
}
expect "$(aws sts get-caller-identity --profile admin-b --query Account --output text)" "$b" "account B"

step "Account A: TestTable"
aws dynamodb create-table --table-name TestTable --profile admin-a \
  --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST >/dev/null

step "Account A: foo cannot trust bar before bar exists"
err=$(denied aws iam create-role --role-name foo --assume-role-policy-document "$(trust "$bar")" --profile admin-a)
expect "$err" "An error occurred (MalformedPolicyDocument) when calling the CreateRole operation: Invalid principal in policy: \"AWS\":\"$bar\"" "trusting a missing role"

step "Account A: so foo trusts account B's root for now, and may write TestTable"
out=$(aws iam create-role --role-name foo --assume-role-policy-document "$(trust "arn:aws:iam::$b:root")" \
  --profile admin-a --query Role.Arn --output text)
expect "$out" "$foo" "create-role foo"
aws iam put-role-policy --role-name foo --policy-name write-test-table --profile admin-a \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"dynamodb:PutItem\",\"dynamodb:GetItem\"],\"Resource\":\"arn:aws:dynamodb:us-east-1:$a:table/TestTable\"}]}"

step "Account B: bar, allowed to assume only foo, running a workload on an instance"
bar_instance=$(instance_with_role bar "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$foo\"}]}")
expect "$(on "$bar_instance" "$here/workload.sh" "$foo" item-1)" "wrote item-1" "bar writes through foo"
out=$(aws dynamodb get-item --table-name TestTable --key '{"pk":{"S":"item-1"}}' --profile admin-a \
  --query Item.writer.S --output text)
expect "$out" "arn:aws:sts::$a:assumed-role/foo/workload" "the item, read back in A"

step "Account B: baz may assume any role of A; while foo trusts B's root, baz gets in too"
baz_instance=$(instance_with_role baz "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::$a:role/*\"}]}")
expect "$(on "$baz_instance" "$here/workload.sh" "$foo" item-2)" "wrote item-2" "baz writes through foo"

step "Account A: now that bar exists, foo's trust is tightened to bar"
aws iam update-assume-role-policy --role-name foo --policy-document "$(trust "$bar")" --profile admin-a
out=$(aws iam get-role --role-name foo --profile admin-a \
  --query 'Role.AssumeRolePolicyDocument.Statement[0].Principal.AWS' --output text)
expect "$out" "$bar" "foo's trust policy"
expect "$(on "$bar_instance" "$here/workload.sh" "$foo" item-3)" "wrote item-3" "bar still writes"
err=$(denied on "$baz_instance" "$here/workload.sh" "$foo" item-4)
expect "$err" "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::$b:assumed-role/baz/$baz_instance is not authorized to perform: sts:AssumeRole on resource: $foo because no role trust policy allows the sts:AssumeRole action" "baz after the tightening"
expect_explained "trust policy of $foo: statement 0 would allow sts:AssumeRole but its Principal does not name arn:aws:sts::$b:assumed-role/baz/$baz_instance" "explain baz's denial"

step "A third party: trusted by account, guarded by an external id"
aws iam create-role --role-name partner-writer --profile admin-a \
  --assume-role-policy-document "$(trust "arn:aws:iam::$b:root" ',"Condition":{"StringEquals":{"sts:ExternalId":"Partner-7781"}}')" >/dev/null
aws iam put-role-policy --role-name partner-writer --policy-name write-test-table --profile admin-a \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"dynamodb:PutItem\",\"Resource\":\"arn:aws:dynamodb:us-east-1:$a:table/TestTable\"}]}"
partner="arn:aws:iam::$a:role/partner-writer"
err=$(denied on "$baz_instance" "$here/workload.sh" "$partner" item-5)
expect "$err" "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::$b:assumed-role/baz/$baz_instance is not authorized to perform: sts:AssumeRole on resource: $partner because no role trust policy allows the sts:AssumeRole action" "without the external id"
expect_explained "requires sts:ExternalId StringEquals 'Partner-7781'; the request had no sts:ExternalId" "explain the missing external id"
expect "$(on "$baz_instance" "$here/workload.sh" "$partner" item-5 Partner-7781)" "wrote item-5" "with the external id"
# bar's own account allows it only foo: the partner role is refused on B's side.
err=$(denied on "$bar_instance" "$here/workload.sh" "$partner" item-6 Partner-7781)
expect "$err" "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::$b:assumed-role/bar/$bar_instance is not authorized to perform: sts:AssumeRole on resource: $partner because no identity-based policy allows the sts:AssumeRole action" "bar and the partner role"
expect_explained "Why: no identity-based policy allows sts:AssumeRole: the caller's side refused (account $b)" "explain bar's denial"

out=$(aws dynamodb scan --table-name TestTable --profile admin-a --query 'Items[].pk.S' --output text | tr '\t' '\n' | sort | tr '\n' ' ')
expect "$out" "item-1 item-2 item-3 item-5 " "TestTable's items"

echo
echo "walkthrough 2 (the trust-policy chicken-and-egg): all checks passed"
