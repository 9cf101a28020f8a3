#!/usr/bin/env bash
# Validates the CloudFormation deployment offline (no AWS account, no network once installed):
#   1. cfn-lint, AWS's linter, when it is installed (the Python one; on this project's machines it is);
#   2. check-spec.mjs: resource types, properties at every depth, required properties, Ref/GetAtt/Sub targets,
#      against the current CloudFormation resource spec (npm @aws-cdk/aws-service-spec);
#   3. cfn-guard 3 (the binary shipped in npm @cdklabs/cdk-validator-cfnguard) with our rules
#      (guard/imagery.guard) and the AWS Control Tower rules that apply; then a negative self-test: broken
#      copies of the template must each fail the rule they break, so the rules are proven to bite;
#   4. check-design.mjs: the design's own assertions (AZs, counts, timeouts, admin routes, scaling...), with
#      its own negative self-test.
#
#   deploy/validate.sh              # deploy/ecs/imagery.yaml
#   deploy/validate.sh TEMPLATE     # another copy
#
# Self-installing: the pinned npm packages of validate-deps/ go into <repo>/target/deploy-validate (override
# with DEPLOY_VALIDATE_CACHE), once, with legacy-peer-deps: @cdklabs/cdk-validator-cfnguard declares
# aws-cdk-lib (161 MB) as a peer, but its cfn-guard binary and rule files need nothing of it. Later runs are
# offline. Needs node >= 18 and npm. The last line is a one-line summary; the exit status is non-zero on any
# error.
#
# Not used: the npm package `cfn-lint` (a JavaScript port, 1.9.7). Its resource spec predates StopTimeout,
# Secrets, ClusterSettings, DeploymentCircuitBreaker, SqsManagedSseEnabled, RuntimePlatform... and it reports
# `Ref` in Outputs and Fn::And as unsupported: 56 "crit" errors on a valid template. check-spec.mjs does its
# job (unknown and missing properties) with the current spec.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
template="$(cd "$(dirname "${1:-$here/ecs/imagery.yaml}")" && pwd)/$(basename "${1:-$here/ecs/imagery.yaml}")"
cache="${DEPLOY_VALIDATE_CACHE:-$repo/target/deploy-validate}"
started=$(date +%s)

# node >= 18 and the pinned npm packages (tools/pinned-npm.sh).
. "$repo/tools/pinned-npm.sh"
pinned_npm_install deploy "$here/validate-deps" "$cache" --legacy-peer-deps

case "$(uname -m)" in
  x86_64) guard="$cache/node_modules/@cdklabs/cdk-validator-cfnguard/bin/ubuntu/x86_64/cfn-guard" ;;
  aarch64 | arm64) guard="$cache/node_modules/@cdklabs/cdk-validator-cfnguard/bin/ubuntu/aarch64/cfn-guard" ;;
  *) echo "deploy: no cfn-guard binary for $(uname -m)" >&2; exit 1 ;;
esac
ct_rules="$cache/node_modules/@cdklabs/cdk-validator-cfnguard/rules/control-tower/cfn-guard"
chmod +x "$guard"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
errors=0
steps=()

# ------------------------------------------------------------------------------------------- 1. cfn-lint
# AWS's cfn-lint (Python; `pip install cfn-lint` where PyPI is reachable). -c I: informational checks too
# (e.g. explicit DeletionPolicy on stateful resources). Its one warning class we silence is scoped to three
# resources in the template itself (W1030, with the reason there).
if command -v cfn-lint >/dev/null 2>&1 && cfn-lint --version 2>/dev/null | grep -q '^cfn-lint [1-9]'; then
  if cfn-lint -c I -- "$template"; then
    echo "lint: OK: $(cfn-lint --version) found nothing (errors, warnings, informational)"
    steps+=("cfn-lint ok")
  else
    echo "lint: INVALID: cfn-lint reported the findings above"
    errors=$((errors + 1))
    steps+=("cfn-lint FAILED")
  fi
else
  if [ "${CI:-}" = "true" ]; then
    # CI's machines ship it (the project's machine image): its absence there is a broken machine, not a skip.
    echo "lint: INVALID: AWS's cfn-lint is not installed, and CI must lint the template"
    errors=$((errors + 1))
    steps+=("cfn-lint MISSING")
  else
    echo "lint: skipped: AWS's cfn-lint is not installed (pip install cfn-lint); check-spec below still runs"
    steps+=("cfn-lint skipped")
  fi
fi

# ----------------------------------------------------------------------------------------- 2. spec check
if node "$here/check-spec.mjs" "$cache" "$template"; then
  steps+=("spec ok")
else
  errors=$((errors + 1))
  steps+=("spec FAILED")
fi

# ------------------------------------------------------------------------------------------- 3. cfn-guard
# Control Tower rules skipped, and why (each is a decision of the design, not an oversight):
skip=(
  ct-sqs-pr-1.guard                   # a DLQ on every queue: it wants a literal ARN (ours is GetAtt); check-design asserts the redrive
  ct-cloudwatch-pr-2.guard            # retention >= 365 days: RetentionInDays is a parameter (default 30); our rule requires one
  ct-cloudwatch-pr-3.guard            # log groups with KMS: logs hold no images or secrets; CloudWatch Logs encrypts at rest anyway
  ct-ecs-pr-7.guard                   # a literal container Memory: on Fargate the task's Memory (a parameter) is the hard limit
  ct-elasticloadbalancing-pr-1.guard  # HTTP->HTTPS redirect: HTTPS depends on CertificateArn; with one, port 80 does redirect 301
  ct-elasticloadbalancing-pr-2.guard  # an ACM certificate on every listener: same, HTTPS is optional by parameter
  ct-elasticloadbalancing-pr-5.guard  # ALB deletion protection: it would block delete-stack; the ALB holds no data
  ct-elasticloadbalancing-pr-6.guard  # ALB access logs: need a separate log bucket (not in this template; see deploy/README.md)
  ct-s3-pr-2.guard                    # S3 server access logs: same, a separate log bucket
  ct-s3-pr-4.guard                    # S3 event notifications: nothing consumes bucket events (jobs go through SQS)
  ct-s3-pr-8.guard                    # TLS-only bucket policy: it wants literal ARNs (ours are GetAtt/Sub); imagery_s3_tls_only checks it
  ct-s3-pr-9.guard                    # Object Lock: it would forbid the deletes the design relies on (aborted and superseded uploads)
  ct-s3-pr-10.guard                   # SSE-KMS: SSE-S3 on purpose (no kms:* in the task roles, no KMS request cost)
  ct-s3-pr-11.guard                   # versioning: a parameter (BucketVersioning, default off; results are deterministic overwrites)
)
mkdir -p "$work/ct"
ct_count=0
while IFS= read -r rule; do
  name="$(basename "$rule")"
  if printf '%s\n' "${skip[@]}" | grep -qx "$name"; then
    continue
  fi
  ln -s "$rule" "$work/ct/$name"
  ct_count=$((ct_count + 1))
done < <(find "$ct_rules" -name '*.guard' | sort)

guard_run() { # RULES DATA OUT: 0 pass, 19 fail, anything else = the rules did not run
  local rc=0
  "$guard" validate --rules "$1" --data "$2" --show-summary fail --output-format single-line-summary >"$3" 2>&1 || rc=$?
  return $rc
}

rc=0
guard_run "$here/guard/imagery.guard" "$template" "$work/guard.out" || rc=$?
rules_ours="$(grep -c '^rule ' "$here/guard/imagery.guard")"
if [ "$rc" -eq 0 ]; then
  echo "guard: OK: $rules_ours Imagery rules pass"
else
  cat "$work/guard.out"
  echo "guard: INVALID: Imagery rules failed (exit $rc)"
  errors=$((errors + 1))
  steps+=("guard (Imagery rules) FAILED")
fi

rc=0
guard_run "$work/ct" "$template" "$work/ct.out" || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "guard: OK: $ct_count Control Tower rule files pass or do not apply (${#skip[@]} skipped, reasons in validate.sh)"
else
  grep -v '^\s*$' "$work/ct.out" | head -80 || true
  echo "guard: INVALID: Control Tower rules failed (exit $rc)"
  errors=$((errors + 1))
  steps+=("guard (Control Tower) FAILED")
fi

# Negative self-test: each broken copy must fail, naming the rule it breaks.
mutate() { # FROM TO OUT: replace the first occurrence; fails when FROM is not in the template
  node -e '
    const fs = require("fs");
    const [from, to, src, out] = process.argv.slice(1);
    const text = fs.readFileSync(src, "utf8");
    if (!text.includes(from)) { console.error("mutation not applicable: " + from); process.exit(1); }
    fs.writeFileSync(out, text.replace(from, () => to));' "$1" "$2" "$template" "$3"
}
bites=0
bite_failures=0
expect_guard_failure() { # RULE FROM TO
  local out="$work/broken-$bites.yaml" rc=0
  bites=$((bites + 1))
  if ! mutate "$2" "$3" "$out"; then
    echo "guard: SELF-TEST BROKEN: cannot apply '$2' for $1"
    bite_failures=$((bite_failures + 1))
    return
  fi
  guard_run "$here/guard/imagery.guard" "$out" "$work/bite.out" || rc=$?
  if [ "$rc" -eq 19 ] && grep -q "$1 *FAIL" "$work/bite.out"; then
    echo "guard: bites: '$2' -> '$3' fails $1"
  else
    echo "guard: DOES NOT BITE: '$2' -> '$3' should fail $1 (exit $rc)"
    bite_failures=$((bite_failures + 1))
  fi
}
expect_guard_failure imagery_dynamodb_protected 'PointInTimeRecoveryEnabled: true' 'PointInTimeRecoveryEnabled: false'
expect_guard_failure imagery_dynamodb_protected 'DeletionProtectionEnabled: true' 'DeletionProtectionEnabled: false'
expect_guard_failure imagery_iam_no_wildcards_in_roles 'Resource: [!GetAtt Table.Arn]' "Resource: ['*']"
expect_guard_failure imagery_iam_no_wildcards_in_roles 'Action: [sqs:GetQueueUrl, sqs:GetQueueAttributes, sqs:ReceiveMessage,' "Action: ['sqs:*', sqs:GetQueueAttributes, sqs:ReceiveMessage,"
expect_guard_failure imagery_iam_no_wildcards_in_roles 'Action: [s3:GetObject]' "Action: ['*']"
expect_guard_failure imagery_iam_no_wildcards_in_policies 'Resource: [!Ref AdminTokenSecretArn]' "Resource: ['*']"
expect_guard_failure imagery_iam_statement_shape 'Action: [s3:ListBucket]' 'Action: s3:ListBucket'
expect_guard_failure imagery_ecs_hardened 'ReadonlyRootFilesystem: true' 'ReadonlyRootFilesystem: false'
expect_guard_failure imagery_ecs_hardened "User: '10001:10001'" "User: '0:0'"
expect_guard_failure imagery_s3_public_access_blocked 'RestrictPublicBuckets: true' 'RestrictPublicBuckets: false'
expect_guard_failure imagery_s3_encrypted 'SSEAlgorithm: AES256' 'SSEAlgorithm: none'
expect_guard_failure imagery_s3_tls_only "aws:SecureTransport: 'false'" "aws:SecureTransport: 'true'"
expect_guard_failure imagery_sqs_encrypted 'SqsManagedSseEnabled: true' 'SqsManagedSseEnabled: false'
expect_guard_failure imagery_log_retention 'RetentionInDays: !Ref LogRetentionDays' 'LogGroupClass: STANDARD'
if [ "$bite_failures" -eq 0 ]; then
  echo "guard: OK: all $bites broken copies fail the rule they break"
  steps+=("guard self-test ok ($rules_ours own rules + $ct_count Control Tower files, $bites bites)")
else
  echo "guard: INVALID: $bite_failures of $bites broken copies were not caught"
  errors=$((errors + 1))
  steps+=("guard self-test FAILED")
fi

# ---------------------------------------------------------------------------------------- 4. design check
if node "$here/check-design.mjs" "$cache" "$template"; then
  steps+=("design ok")
else
  errors=$((errors + 1))
  steps+=("design FAILED")
fi

design_bites=0
design_failures=0
expect_design_failure() { # CHECK-NAME-FRAGMENT FROM TO
  local out="$work/design-$design_bites.yaml"
  design_bites=$((design_bites + 1))
  if ! mutate "$2" "$3" "$out"; then
    echo "design: SELF-TEST BROKEN: cannot apply '$2'"
    design_failures=$((design_failures + 1))
    return
  fi
  if node "$here/check-design.mjs" "$cache" "$out" >"$work/design.out" 2>&1; then
    echo "design: DOES NOT BITE: '$2' -> '$3' passed"
    design_failures=$((design_failures + 1))
  elif grep -q "FAIL .*$1" "$work/design.out"; then
    echo "design: bites: '${2//$'\n'/ }' -> '${3//$'\n'/ }' fails \"$1\""
  else
    echo "design: WRONG FAILURE for '$2' -> '$3' (expected \"$1\"):"
    grep FAIL "$work/design.out" || true
    design_failures=$((design_failures + 1))
  fi
}
expect_design_failure 'StopTimeout > IMAGERY_SHUTDOWN' 'StopTimeout: 40' 'StopTimeout: 30'
expect_design_failure 'VisibilityTimeout ==' 'VisibilityTimeout: 60' 'VisibilityTimeout: 30'
expect_design_failure 'deregistration delay' "Key: deregistration_delay.timeout_seconds
          Value: '60'" "Key: deregistration_delay.timeout_seconds
          Value: '20'"
expect_design_failure 'every listener that forwards' 'Values: [/admin, /admin/*]' 'Values: [/admin]'
expect_design_failure 'IMAGERY_CREATE_RESOURCES=false' "{Name: IMAGERY_CREATE_RESOURCES, Value: 'false'}" "{Name: IMAGERY_CREATE_RESOURCES, Value: 'true'}"
expect_design_failure 'circuit breaker' 'Rollback: true' 'Rollback: false'
expect_design_failure 'DesiredCount >= 2' "Default: 2
    MinValue: 2
    Description: API tasks" "Default: 2
    MinValue: 1
    Description: API tasks"
expect_design_failure 'health check /health/ready' 'HealthCheckPath: /health/ready' 'HealthCheckPath: /health/live'
expect_design_failure 'RunningTaskCount' 'Expression: visible / tasks' 'Expression: visible'
expect_design_failure 'refuses :latest' "[A-Za-su-z0-9_.-]))\$'" "[A-Za-z0-9_.-]))\$'"
expect_design_failure "characters the ALB allows" 'Values: [/admin, /admin/*]' "Values: ['/admin', '/*%*']"
expect_design_failure 'redirects 301' 'StatusCode: HTTP_301' 'StatusCode: HTTP_302'
expect_design_failure 'two AZs' "AvailabilityZone: !Select [1, !GetAZs '']
      CidrBlock: !Select [3" "AvailabilityZone: !Select [0, !GetAZs '']
      CidrBlock: !Select [3"
expect_design_failure 'the worker only the latter' 'Description: HTTP from the ALB (requests and health checks)
      IpProtocol: tcp
      FromPort: 8080' 'Description: HTTP from the ALB (requests and health checks)
      IpProtocol: tcp
      FromPort: 0'
expect_design_failure 'the worker only the latter' "scraping the worker's /metrics (management port) from inside the VPC
      IpProtocol: tcp
      FromPort: 8081" "scraping the worker's /metrics (management port) from inside the VPC
      IpProtocol: tcp
      FromPort: 22"
expect_design_failure 'Prometheus discovery' "ECS_PROMETHEUS_EXPORTER_PORT: '8081'" "ECS_PROMETHEUS_EXPORTER_PORT: '8082'"
expect_design_failure 'retention:' 'Prefix: processed/
              ExpirationInDays: !Ref RetentionDays' 'Prefix: processed/
              ExpirationInDays: 30'
expect_design_failure 'retention:' '            - {Name: IMAGERY_RETENTION_DAYS, Value: !Ref RetentionDays}
            # The worker' '            # The worker'
if [ "$design_failures" -eq 0 ]; then
  echo "design: OK: all $design_bites broken copies fail the assertion they break"
  steps+=("design self-test ok ($design_bites bites)")
else
  echo "design: INVALID: $design_failures of $design_bites broken copies were not caught"
  errors=$((errors + 1))
  steps+=("design self-test FAILED")
fi

elapsed=$(($(date +%s) - started))
shown="$(realpath --relative-to="$PWD" "$template" 2>/dev/null || echo "$template")"
summary="$(printf '%s; ' "${steps[@]}")"
summary="${summary%; }"
if [ "$errors" -eq 0 ]; then
  echo "deploy: OK: $shown: $summary; in ${elapsed}s"
else
  echo "deploy: INVALID: $shown: $errors failing step(s): $summary; in ${elapsed}s"
  exit 1
fi
