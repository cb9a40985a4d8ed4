#!/usr/bin/env bash
# Walkthrough 3: David of account Acc (111111111111), member of DevGroup, reads bucket
# list-prod-bkt-details-01 of account Prod (222222222222) through a CLI profile that assumes
# Prod's role acc-to-read-prod-s3-bucket (AmazonS3FullAccess) with role_arn and source_profile.
# A user outside DevGroup is refused, and so is David once removed from the group.
# Runs against a fresh development-mode rolegate; every output is checked.
source "$(dirname "$0")/../lib.sh"
# The first "An error occurred ..." line of a failed command's output.
aws_error() { grep -o 'An error occurred.*' <<<"$1" | head -1; }
# A new role session on the next use of a role profile (the CLI would reuse the cached one).
forget_sessions() { rm -rf "$HOME/.aws/cli/cache"; }

acc=111111111111 prod=222222222222
admin_profile admin-acc $acc
admin_profile admin-prod $prod
bucket=list-prod-bkt-details-01
role_arn="arn:aws:iam::$prod:role/acc-to-read-prod-s3-bucket"

step "Account Acc exists before Prod's trust policy names it (IAM refuses unknown principals)"
out=$(aws --profile admin-acc sts get-caller-identity --query Arn --output text)
expect "$out" "arn:aws:iam::$acc:root" "Acc's root"

step "Prod: the role trusting Acc, with AmazonS3FullAccess"
out=$(aws --profile admin-prod iam create-role --role-name acc-to-read-prod-s3-bucket \
  --assume-role-policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$acc:root\"},\"Action\":\"sts:AssumeRole\"}]}" \
  --query Role.Arn --output text)
expect "$out" "$role_arn" "create-role"
aws --profile admin-prod iam attach-role-policy --role-name acc-to-read-prod-s3-bucket \
  --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess
out=$(aws --profile admin-prod iam list-attached-role-policies --role-name acc-to-read-prod-s3-bucket \
  --query 'AttachedPolicies[*].[PolicyName,PolicyArn]' --output text)
expect "$out" "AmazonS3FullAccess	arn:aws:iam::aws:policy/AmazonS3FullAccess" "list-attached-role-policies"

step "Prod: the bucket and two objects, as Prod's root"
out=$(aws --profile admin-prod s3 mb "s3://$bucket")
expect "$out" "make_bucket: $bucket" "s3 mb"
printf 'id,name\n1,web-01\n2,db-01\n' >"$work/servers.csv"
printf 'prod inventory\n' >"$work/README.txt"
out=$(aws --profile admin-prod s3api put-object --bucket $bucket --key servers.csv --body "$work/servers.csv" \
  --query ETag --output text)
expect "$out" "\"$(md5sum <"$work/servers.csv" | cut -d' ' -f1)\"" "put-object servers.csv"
out=$(aws --profile admin-prod s3api put-object --bucket $bucket --key README.txt --body "$work/README.txt" \
  --query ETag --output text)
expect "$out" "\"$(md5sum <"$work/README.txt" | cut -d' ' -f1)\"" "put-object README.txt"

step "Acc: DevGroup and its inline policy"
out=$(aws --profile admin-acc iam create-group --group-name DevGroup --query Group.Arn --output text)
expect "$out" "arn:aws:iam::$acc:group/DevGroup" "create-group"
aws --profile admin-acc iam put-group-policy --group-name DevGroup --policy-name allow-assume-S3-role-in-prod \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$role_arn\"}]}"
out=$(aws --profile admin-acc iam list-group-policies --group-name DevGroup --query PolicyNames --output text)
expect "$out" "allow-assume-S3-role-in-prod" "list-group-policies"

step "Acc: David, in DevGroup, with an access key"
out=$(aws --profile admin-acc iam create-user --user-name David --query User.Arn --output text)
expect "$out" "arn:aws:iam::$acc:user/David" "create-user David"
aws --profile admin-acc iam add-user-to-group --user-name David --group-name DevGroup
out=$(aws --profile admin-acc iam get-group --group-name DevGroup --query 'Users[*].UserName' --output text)
expect "$out" "David" "get-group"
read -r key secret < <(aws --profile admin-acc iam create-access-key --user-name David \
  --query '[AccessKey.AccessKeyId,AccessKey.SecretAccessKey]' --output text)
[[ $key == AKIA* && ${#key} == 20 && ${#secret} == 40 ]] || fail "create-access-key David: $key"

step "The default profile is David; prod-s3 chains to the role"
aws configure set aws_access_key_id "$key"
aws configure set aws_secret_access_key "$secret"
aws configure set region us-east-1
aws configure set profile.prod-s3.role_arn "$role_arn"
aws configure set profile.prod-s3.source_profile default
expect "$(aws configure get profile.prod-s3.role_arn)" "$role_arn" "configure get role_arn"
expect "$(aws configure get profile.prod-s3.source_profile)" "default" "configure get source_profile"
out=$(aws sts get-caller-identity --query '[Account,Arn]' --output text)
expect "$out" "$acc	arn:aws:iam::$acc:user/David" "get-caller-identity as David"

step "David himself cannot list Prod's bucket (no bucket policy): only the role can"
if err=$(aws s3 ls "s3://$bucket/" 2>&1); then fail "David listed Prod's bucket without the role"; fi
[[ $(aws_error "$err") == "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: "* ]] ||
  fail "s3 ls as David: $err"
expect_explained "Why: no identity-based policy allows s3:ListBucket: the caller's side refused (account $acc)" "explain David without the role"

step "Through the role: exactly the two objects, then one read back"
out=$(aws sts get-caller-identity --profile prod-s3 --query '[Account,Arn]' --output text)
[[ $out =~ ^$prod$'\t'arn:aws:sts::$prod:assumed-role/acc-to-read-prod-s3-bucket/botocore-session-[0-9]+$ ]] ||
  fail "get-caller-identity --profile prod-s3: [$out]"
listing=$(aws s3 ls --profile prod-s3 "s3://$bucket/")
line='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} +'
[[ $listing =~ ^${line}15\ README\.txt$'\n'${line}25\ servers\.csv$ ]] ||
  fail "s3 ls --profile prod-s3: [$listing]"
out=$(aws s3 cp --profile prod-s3 "s3://$bucket/servers.csv" -)
expect "$out" "$(cat "$work/servers.csv")" "s3 cp --profile prod-s3"

step "A user of Acc outside DevGroup, with a profile chaining to the same role, is refused by Acc"
out=$(aws --profile admin-acc iam create-user --user-name Erin --query User.Arn --output text)
expect "$out" "arn:aws:iam::$acc:user/Erin" "create-user Erin"
read -r ekey esecret < <(aws --profile admin-acc iam create-access-key --user-name Erin \
  --query '[AccessKey.AccessKeyId,AccessKey.SecretAccessKey]' --output text)
aws configure set aws_access_key_id "$ekey" --profile erin
aws configure set aws_secret_access_key "$esecret" --profile erin
aws configure set profile.erin-prod-s3.role_arn "$role_arn"
aws configure set profile.erin-prod-s3.source_profile erin
forget_sessions # the cache is keyed by the role, not by the source profile
if err=$(aws s3 ls --profile erin-prod-s3 "s3://$bucket/" 2>&1); then
  fail "Erin (outside DevGroup) listed the bucket: $err"
fi
expect "$(aws_error "$err")" "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::$acc:user/Erin is not authorized to perform: sts:AssumeRole on resource: $role_arn because no identity-based policy allows the sts:AssumeRole action" "Erin through erin-prod-s3"
expect_explained "Why: no identity-based policy allows sts:AssumeRole: the caller's side refused (account $acc)" "explain Erin's denial"

step "David out of DevGroup: the role session he already holds lives on (as on AWS, a group change does not revoke it), but a new AssumeRole is refused"
out=$(aws sts get-caller-identity --profile prod-s3 --query Account --output text)
expect "$out" "$prod" "a new session for David before removal"
aws --profile admin-acc iam remove-user-from-group --user-name David --group-name DevGroup
out=$(aws --profile admin-acc iam list-groups-for-user --user-name David --query 'Groups[*].GroupName' --output text)
expect "$out" "" "list-groups-for-user after removal"
listing2=$(aws s3 ls --profile prod-s3 "s3://$bucket/")
expect "$listing2" "$listing" "s3 ls with the cached session after removal"
forget_sessions
if err=$(aws s3 ls --profile prod-s3 "s3://$bucket/" 2>&1); then
  fail "David listed the bucket after leaving DevGroup: $err"
fi
expect "$(aws_error "$err")" "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::$acc:user/David is not authorized to perform: sts:AssumeRole on resource: $role_arn because no identity-based policy allows the sts:AssumeRole action" "David after remove-user-from-group"
expect_explained "by arn:aws:iam::$acc:user/David (account $acc)" "explain David after leaving DevGroup"

step "Back in the group, the same profile works again"
aws --profile admin-acc iam add-user-to-group --user-name David --group-name DevGroup
out=$(aws s3 ls --profile prod-s3 "s3://$bucket/")
expect "$out" "$listing" "s3 ls --profile prod-s3 after re-adding David"

echo
echo "walkthrough 3 (Prod and Acc): all checks passed"
