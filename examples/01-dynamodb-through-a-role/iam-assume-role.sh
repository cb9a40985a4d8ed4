#!/usr/bin/env bash
# Prints the export lines of a session of account A's role, for `eval $(./iam-assume-role.sh)`.
# Run it where the caller's credentials are account B's instance role (on the instance).
set -euo pipefail
read -r key secret token < <(aws sts assume-role \
  --role-arn arn:aws:iam::111111111111:role/accountb-instance-role-dynamodb \
  --role-session-name dynamodb-from-b \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' \
  --output text)
echo "export AWS_ACCESS_KEY_ID=$key"
echo "export AWS_SECRET_ACCESS_KEY=$secret"
echo "export AWS_SESSION_TOKEN=$token"
