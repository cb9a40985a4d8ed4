#!/usr/bin/env bash
# Issue 4, cross-account path (2) with the unmodified AWS CLI: account 111111111111 (A) owns a
# KMS key whose key policy lets role decryptor of account 222222222222 (B) use kms:Decrypt. The
# role decrypts A's ciphertext and encrypts nothing; without the key policy statement Decrypt is
# refused although the role's identity policy allows, and without the identity policy it is
# refused although the key policy allows. Every output is checked.
# Needs AWS_ENDPOINT_URL pointing at a fresh development-mode rolegate.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"; }
# (The root of an account, whatever session is exported.)
as_root() { env -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY=anything aws "${@:2}"; }
aws_error() { grep -o 'An error occurred.*' <<<"$1" | head -1; }

A=111111111111 B=222222222222
role_arn="arn:aws:iam::$B:role/decryptor"

# B: the role decryptor, trusting B's own root (it must exist before A's key policy names it).
out=$(as_root $B iam create-role --role-name decryptor \
  --assume-role-policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$B:root\"},\"Action\":\"sts:AssumeRole\"}]}" \
  --query Role.Arn --output text)
expect "$out" "$role_arn" "create-role decryptor"

# A: the key, its policy the default root statement plus Decrypt for B's role.
root_statement="{\"Sid\":\"Enable IAM User Permissions\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$A:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}"
decrypt_statement="{\"Sid\":\"AllowDecryptFromB\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"$role_arn\"},\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}"
policy_both="{\"Version\":\"2012-10-17\",\"Id\":\"key-cross-account\",\"Statement\":[$root_statement,$decrypt_statement]}"
policy_root="{\"Version\":\"2012-10-17\",\"Id\":\"key-cross-account\",\"Statement\":[$root_statement]}"
read -r key_arn key_id owner state < <(as_root $A kms create-key --description "shared with B's decryptor" \
  --policy "$policy_both" \
  --query 'KeyMetadata.[Arn,KeyId,AWSAccountId,KeyState]' --output text)
expect "$key_arn" "arn:aws:kms:us-east-1:$A:key/$key_id" "create-key arn"
expect "$owner $state" "$A Enabled" "create-key owner and state"
out=$(as_root $A kms get-key-policy --key-id "$key_id" --policy-name default --query Policy --output text)
expect "$out" "$policy_both" "get-key-policy"

# A encrypts.
printf 'the launch codes are 0000\n' >"$work/plain.txt"
as_root $A kms encrypt --key-id "$key_id" --plaintext "fileb://$work/plain.txt" \
  --output text --query CiphertextBlob | base64 -d >"$work/secret.bin"
[ -s "$work/secret.bin" ] || fail "encrypt: empty ciphertext"
out=$(as_root $A kms decrypt --ciphertext-blob "fileb://$work/secret.bin" --output text --query Plaintext | base64 -d)
expect "$out" "$(cat "$work/plain.txt")" "A decrypts its own ciphertext"

# B: the role's identity policy (Decrypt on A's key), and a user allowed to assume the role.
as_root $B iam put-role-policy --role-name decryptor --policy-name decrypt-a-key \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"$key_arn\"}]}"
out=$(as_root $B iam create-user --user-name Pat --query User.Arn --output text)
expect "$out" "arn:aws:iam::$B:user/Pat" "create-user Pat"
as_root $B iam put-user-policy --user-name Pat --policy-name assume-decryptor \
  --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$role_arn\"}]}"
read -r pkey psecret < <(as_root $B iam create-access-key --user-name Pat \
  --query '[AccessKey.AccessKeyId,AccessKey.SecretAccessKey]' --output text)
[[ $pkey == AKIA* && ${#psecret} == 40 ]] || fail "create-access-key Pat: $pkey"

# Pat assumes decryptor; the session's credentials are exported from here on.
read -r sarn skey ssecret stoken < <(AWS_ACCESS_KEY_ID=$pkey AWS_SECRET_ACCESS_KEY=$psecret \
  aws sts assume-role --role-arn "$role_arn" --role-session-name pat-decrypts \
  --query '[AssumedRoleUser.Arn,Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' \
  --output text)
session="arn:aws:sts::$B:assumed-role/decryptor/pat-decrypts"
expect "$sarn" "$session" "assume-role decryptor"
export AWS_ACCESS_KEY_ID=$skey AWS_SECRET_ACCESS_KEY=$ssecret AWS_SESSION_TOKEN=$stoken
out=$(aws sts get-caller-identity --query Arn --output text)
expect "$out" "$session" "get-caller-identity as the session"

# The role decrypts A's ciphertext (the blob names the key: no --key-id needed).
out=$(aws kms decrypt --ciphertext-blob "fileb://$work/secret.bin" --output text --query Plaintext | base64 -d)
expect "$out" "$(cat "$work/plain.txt")" "decrypt as B's role"
out=$(aws kms decrypt --ciphertext-blob "fileb://$work/secret.bin" --key-id "$key_arn" \
  --output text --query '[KeyId,EncryptionAlgorithm]')
expect "$out" "$key_arn	SYMMETRIC_DEFAULT" "decrypt --key-id as B's role"

# ... and encrypts nothing with it.
denied="User: $session is not authorized to perform"
if err=$(aws kms encrypt --key-id "$key_arn" --plaintext "fileb://$work/plain.txt" 2>&1); then
  fail "B's role encrypted with A's key"
fi
err=$(aws_error "$err")
# Neither the key policy nor the identity policy allows: AWS's text names one of the two.
[[ $err == "An error occurred (AccessDeniedException) when calling the Encrypt operation: $denied: kms:Encrypt on resource: $key_arn because no "*"-based policy allows the kms:Encrypt action" ]] ||
  fail "encrypt as B's role: $err"
# Another account's key is found only by its ARN: the bare id is looked up in B.
if err=$(aws kms encrypt --key-id "$key_id" --plaintext "fileb://$work/plain.txt" 2>&1); then
  fail "encrypt with the bare key id from B succeeded"
fi
expect "$(aws_error "$err")" "An error occurred (NotFoundException) when calling the Encrypt operation: Key 'arn:aws:kms:us-east-1:$B:key/$key_id' does not exist" "encrypt with the bare key id from B"

# A removes the statement: Decrypt is refused by the key policy, the identity policy notwithstanding.
as_root $A kms put-key-policy --key-id "$key_id" --policy-name default --policy "$policy_root"
out=$(as_root $A kms get-key-policy --key-id "$key_id" --policy-name default --query Policy --output text)
expect "$out" "$policy_root" "get-key-policy after removal"
if err=$(aws kms decrypt --ciphertext-blob "fileb://$work/secret.bin" 2>&1); then
  fail "decrypt succeeded without the key policy statement"
fi
expect "$(aws_error "$err")" "An error occurred (AccessDeniedException) when calling the Decrypt operation: $denied: kms:Decrypt on resource: $key_arn because no resource-based policy allows the kms:Decrypt action" "decrypt after the statement's removal"

# Restored, it decrypts again; without the role's identity policy it is refused again.
as_root $A kms put-key-policy --key-id "$key_id" --policy-name default --policy "$policy_both"
out=$(aws kms decrypt --ciphertext-blob "fileb://$work/secret.bin" --output text --query Plaintext | base64 -d)
expect "$out" "$(cat "$work/plain.txt")" "decrypt after the statement's restoration"
as_root $B iam delete-role-policy --role-name decryptor --policy-name decrypt-a-key
out=$(as_root $B iam list-role-policies --role-name decryptor --query PolicyNames --output text)
expect "$out" "" "list-role-policies after delete-role-policy"
# The existing session and a new one alike: the role's policies are read at each request.
if err=$(aws kms decrypt --ciphertext-blob "fileb://$work/secret.bin" 2>&1); then
  fail "decrypt succeeded without the role's identity policy (existing session)"
fi
expect "$(aws_error "$err")" "An error occurred (AccessDeniedException) when calling the Decrypt operation: $denied: kms:Decrypt on resource: $key_arn because no identity-based policy allows the kms:Decrypt action" "decrypt without the identity policy (existing session)"
read -r skey ssecret stoken < <(env -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$pkey" AWS_SECRET_ACCESS_KEY="$psecret" \
  aws sts assume-role --role-arn "$role_arn" --role-session-name pat-decrypts \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)
if err=$(AWS_ACCESS_KEY_ID=$skey AWS_SECRET_ACCESS_KEY=$ssecret AWS_SESSION_TOKEN=$stoken \
  aws kms decrypt --ciphertext-blob "fileb://$work/secret.bin" 2>&1); then
  fail "decrypt succeeded without the role's identity policy (new session)"
fi
expect "$(aws_error "$err")" "An error occurred (AccessDeniedException) when calling the Decrypt operation: $denied: kms:Decrypt on resource: $key_arn because no identity-based policy allows the kms:Decrypt action" "decrypt without the identity policy (new session)"

echo "kms_cross_account: all checks passed"
