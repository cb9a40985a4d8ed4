#!/usr/bin/env bash
# The workload of account B: assumes a role of account A and writes one item into A's
# TestTable with it. Usage: workload.sh ROLE_ARN ITEM_ID [EXTERNAL_ID]
set -euo pipefail
read -r key secret token < <(aws sts assume-role --role-arn "$1" --role-session-name workload \
  ${3:+--external-id "$3"} \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' \
  --output text)
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
aws dynamodb put-item --table-name TestTable \
  --item "{\"pk\":{\"S\":\"$2\"},\"writer\":{\"S\":\"$(aws sts get-caller-identity --query Arn --output text)\"}}"
echo "wrote $2"
