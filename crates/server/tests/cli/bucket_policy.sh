#!/usr/bin/env bash
# Issue 4, bucket policies with the unmodified AWS CLI: account 111111111111 (A) grants account
# 222222222222 (B) s3:GetObject and s3:ListBucket on its bucket. B's root reads without any role;
# a B user reads only if B's own identity policy allows too. A Deny on prefix secret/ in the
# bucket policy beats an identity Allow (AmazonS3FullAccess) of A's own user.
# Every output is checked. Needs AWS_ENDPOINT_URL pointing at a fresh development-mode rolegate.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"; }
as_root() { AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=anything aws "${@:2}"; }
aws_error() { grep -o 'An error occurred.*' <<<"$1" | head -1; }
# A user of account $1 named $2 with an access key, as a profile of the same name.
user_profile() {
  local out key secret
  out=$(as_root "$1" iam create-user --user-name "$2" --query User.Arn --output text)
  expect "$out" "arn:aws:iam::$1:user/$2" "create-user $2"
  read -r key secret < <(as_root "$1" iam create-access-key --user-name "$2" \
    --query '[AccessKey.AccessKeyId,AccessKey.SecretAccessKey]' --output text)
  [[ $key == AKIA* && ${#secret} == 40 ]] || fail "create-access-key $2: $key"
  aws configure set aws_access_key_id "$key" --profile "$2"
  aws configure set aws_secret_access_key "$secret" --profile "$2"
}

A=111111111111 B=222222222222
bucket=shared-reports-acc-01
# Both accounts exist before A's bucket policy names B.
out=$(as_root $B sts get-caller-identity --query Arn --output text)
expect "$out" "arn:aws:iam::$B:root" "B's root"

# A: the bucket, a report and a secret.
out=$(as_root $A s3api create-bucket --bucket $bucket --query Location --output text)
expect "$out" "/$bucket" "create-bucket"
printf 'q1,revenue,100\n' >"$work/q1.csv"
printf 'do not share\n' >"$work/plan.txt"
as_root $A s3 cp "$work/q1.csv" "s3://$bucket/reports/q1.csv" --quiet
as_root $A s3 cp "$work/plan.txt" "s3://$bucket/secret/plan.txt" --quiet
out=$(as_root $A s3api list-objects-v2 --bucket $bucket --query 'Contents[*].[Key,Size]' --output text)
expect "$out" "reports/q1.csv	15
secret/plan.txt	13" "list-objects-v2 as A"

# Without a bucket policy B's root is refused.
if err=$(as_root $B s3api get-object --bucket $bucket --key reports/q1.csv "$work/out" 2>&1); then
  fail "B's root read A's object without a bucket policy"
fi
[[ $(aws_error "$err") == "An error occurred (AccessDenied) when calling the GetObject operation: "* ]] ||
  fail "get-object as B's root without a bucket policy: $err"

# A's bucket policy grants account B read and list.
grant="{\"Sid\":\"ReadForB\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$B:root\"},\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::$bucket\",\"arn:aws:s3:::$bucket/*\"]}"
as_root $A s3api put-bucket-policy --bucket $bucket --policy "{\"Version\":\"2012-10-17\",\"Statement\":[$grant]}"
out=$(as_root $A s3api get-bucket-policy --bucket $bucket --query Policy --output text)
expect "$out" "{\"Version\":\"2012-10-17\",\"Statement\":[$grant]}" "get-bucket-policy"

# B's root: no role, only the bucket policy (the root has every permission in its account).
out=$(as_root $B s3 cp "s3://$bucket/reports/q1.csv" -)
expect "$out" "q1,revenue,100" "s3 cp as B's root"
out=$(as_root $B s3api list-objects-v2 --bucket $bucket --prefix reports/ --query 'Contents[*].Key' --output text)
expect "$out" "reports/q1.csv" "list-objects-v2 as B's root"
# The policy grants reading only.
if err=$(as_root $B s3api put-object --bucket $bucket --key reports/q2.csv --body "$work/q1.csv" 2>&1); then
  fail "B's root wrote into A's bucket"
fi
[[ $(aws_error "$err") == "An error occurred (AccessDenied) when calling the PutObject operation: "* ]] ||
  fail "put-object as B's root: $err"

# B's users: both sides must allow.
user_profile $B reader
user_profile $B outsider
as_root $B iam put-user-policy --user-name reader --policy-name read-a-bucket \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::$bucket/*\"}]}"
out=$(aws s3api get-object --bucket $bucket --key reports/q1.csv "$work/by-reader.csv" --profile reader --query ContentLength --output text)
expect "$out" "15" "get-object as reader"
cmp -s "$work/by-reader.csv" "$work/q1.csv" || fail "get-object as reader: wrong content"
out=$(aws s3 cp "s3://$bucket/reports/q1.csv" - --profile reader)
expect "$out" "q1,revenue,100" "s3 cp as reader"
# reader's policy has no s3:ListBucket: listing is refused although the bucket policy grants it.
if err=$(aws s3api list-objects-v2 --bucket $bucket --profile reader 2>&1); then
  fail "reader listed A's bucket without s3:ListBucket in B"
fi
[[ $(aws_error "$err") == "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: "* ]] ||
  fail "list-objects-v2 as reader: $err"
# outsider has no identity policy: refused although the bucket policy names B.
if err=$(aws s3api get-object --bucket $bucket --key reports/q1.csv "$work/out" --profile outsider 2>&1); then
  fail "outsider read A's object without an identity policy"
fi
[[ $(aws_error "$err") == "An error occurred (AccessDenied) when calling the GetObject operation: "* ]] ||
  fail "get-object as outsider: $err"

# A's own user with AmazonS3FullAccess reads everything, until a bucket policy Deny on secret/.
user_profile $A owner
as_root $A iam attach-user-policy --user-name owner --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess
out=$(aws s3 cp "s3://$bucket/secret/plan.txt" - --profile owner)
expect "$out" "do not share" "s3 cp secret/ as owner before the Deny"
deny="{\"Sid\":\"NoSecrets\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::$bucket/secret/*\"}"
as_root $A s3api put-bucket-policy --bucket $bucket --policy "{\"Version\":\"2012-10-17\",\"Statement\":[$grant,$deny]}"
if err=$(aws s3api get-object --bucket $bucket --key secret/plan.txt "$work/out" --profile owner 2>&1); then
  fail "owner read secret/ despite the bucket policy Deny"
fi
# S3's same-account message quotes the resource ARN (AWS S3 troubleshooting guide, "Access
# denied message examples").
expect "$(aws_error "$err")" \
  "An error occurred (AccessDenied) when calling the GetObject operation: User: arn:aws:iam::$A:user/owner is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::$bucket/secret/plan.txt\" with an explicit deny in a resource-based policy" \
  "get-object secret/ as owner after the Deny"
# Another account is not told why: S3 explains denials within the owner's account only.
if err=$(as_root $B s3api get-object --bucket $bucket --key secret/plan.txt "$work/out" 2>&1); then
  fail "account B read secret/ despite the Deny"
fi
expect "$(aws_error "$err")" "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied" "get-object secret/ as account B"
# HEAD has no body: the CLI's cp reports the bare 403.
if err=$(aws s3 cp "s3://$bucket/secret/plan.txt" - --profile owner 2>&1); then
  fail "s3 cp of secret/ as owner succeeded despite the Deny"
fi
expect "$(grep -o 'An error occurred.*' <<<"$err")" "An error occurred (403) when calling the HeadObject operation: Forbidden" "s3 cp secret/ as owner after the Deny"
# Outside the prefix the Allow still holds, for A's user and for B.
out=$(aws s3 cp "s3://$bucket/reports/q1.csv" - --profile owner)
expect "$out" "q1,revenue,100" "s3 cp reports/ as owner after the Deny"
out=$(aws s3 cp "s3://$bucket/reports/q1.csv" - --profile reader)
expect "$out" "q1,revenue,100" "s3 cp reports/ as reader after the Deny"
# B's root, granted by the same policy, is denied on secret/ as well.
if err=$(as_root $B s3api get-object --bucket $bucket --key secret/plan.txt "$work/out" 2>&1); then
  fail "B's root read secret/ despite the Deny"
fi
[[ $(aws_error "$err") == "An error occurred (AccessDenied) when calling the GetObject operation: "* ]] ||
  fail "get-object secret/ as B's root: $err"

echo "bucket_policy: all checks passed"
