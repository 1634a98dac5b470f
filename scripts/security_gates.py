#!/usr/bin/env python3
"""Security gates over generated templates: checkov, then parliament on every IAM policy.

    python -m scripts.security_gates out/*.yaml

checkov (CloudFormation framework, no download from Prisma Cloud): no failed
check; a check that cannot apply is skipped in the resource's Metadata with a
reason.  parliament, community auditors included, on every identity policy
(managed policies, roles' inline policies), after
resolving CloudFormation intrinsics to concrete ARNs of a fixed account,
region and resource names, since parliament only reads plain JSON (trust
policies are resource policies parliament does not model; the template tests
assert them): no finding,
except the WAIVERS below, each with its reason, printed on every run.

Runs in .venv-security (checkov pins many packages; kept away from the build
and Airflow environments).  Exit 1 when a gate fails, 2 on bad input.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ops.intrinsics import pseudo_parameters, resolve

ACCOUNT, REGION, PARTITION = "123456789012", "eu-west-1", "aws"

# (parliament issue, statement Sid, or the inline policy's name for a finding about the whole
# policy) -> why it is accepted.
_CLOUDFORMATION_ROLE = (
    "out/mwaa-ci-roles.yaml: the CloudFormation service role of one environment creates what its stack "
    "holds: the execution role and its managed policy (so iam:CreateRole, CreatePolicyVersion, PassRole "
    "to airflow), the bucket policy and, with a created key, the key policy; each scoped to that "
    "environment's names (role/service-role/mwaa-<env>-*, policy/mwaa-<env>-*, "
    "mwaa-<env>-environmentbucket-*), and only CloudFormation can assume it."
)
_PASS_THE_SERVICE_ROLE = (
    "out/mwaa-ci-roles.yaml: iam:PassRole on exactly the environment's CloudFormation service role, "
    "with iam:PassedToService cloudformation.amazonaws.com: how the pipeline deploys without holding the "
    "resource permissions itself."
)
WAIVERS = {
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "ManageEnvironmentResources"): _CLOUDFORMATION_ROLE,
    ("PRIVILEGE_ESCALATION", "ManageEnvironmentResources"): _CLOUDFORMATION_ROLE,
    ("RESOURCE_POLICY_PRIVILEGE_ESCALATION", "ManageEnvironmentResources"): _CLOUDFORMATION_ROLE,
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "DeployAndSync"): _PASS_THE_SERVICE_ROLE,
    ("UNKNOWN_ACTION", "ReadTheValidation"): (
        "out/mwaa-ci-roles.yaml: cloudformation:DescribeEvents (a change set's pre-deployment validation, "
        "2025) is newer than parliament's action list; awacs, generated from AWS's, has it. The statement "
        "holds that one action alone."
    ),
    ("NOTRESOURCE_WITH_ALLOW", "UseAwsOwnedQueueKey"): (
        "MWAA's documented statement for the AWS-owned key: the key lives in an AWS account, so the only way "
        "to name it is 'any key not in this account', bounded by kms:ViaService sqs.<region>. "
        'Choose kms_key = "create" for a statement that names the key.'
    ),
}


def physical(template: dict) -> Callable[[str, str | None], str]:
    """Names and attributes of the template's resources, of a fixed made-up stack."""

    def name_or_attribute(logical_id: str, attribute: str | None) -> str:
        resource = template["Resources"][logical_id]["Type"]
        if attribute is None:
            return {
                "AWS::S3::Bucket": f"mwaa-stack-{logical_id.lower()}-1a2b3c",
                "AWS::IAM::Role": f"mwaa-stack-{logical_id}-1A2B3C",
            }.get(resource, f"{logical_id.lower()}-0123456789abcdef0")
        if resource == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:{PARTITION}:s3:::mwaa-stack-{logical_id.lower()}-1a2b3c"
        if resource == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:role/service-role/mwaa-stack-{logical_id}-1A2B3C"
        if resource == "AWS::KMS::Key" and attribute == "Arn":
            return f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
        return f"{logical_id.lower()}-{attribute.lower()}-0123456789abcdef0"

    return name_or_attribute


def policies(path: Path) -> list[tuple[str, dict]]:
    from cfn_flip import load_yaml

    template = load_yaml(path.read_text())
    parameters = {k: str(v.get("Default", f"{k.lower()}-value")) for k, v in template.get("Parameters", {}).items()}
    values = {**pseudo_parameters(ACCOUNT, REGION, "mwaa-stack", PARTITION), **parameters}
    found = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            found.append((f"{logical_id}", props["PolicyDocument"]))
        if resource["Type"] == "AWS::IAM::Role":
            # Trust policies are resource policies, which parliament does not model;
            # the template tests assert their principals instead.
            for inline in props.get("Policies", []):
                found.append((f"{logical_id} {inline['PolicyName']}", inline["PolicyDocument"]))
    return [(name, resolve(document, values, physical(template))) for name, document in found]


def run_parliament(paths: list[Path]) -> int:
    from parliament import analyze_policy_string

    failures = 0
    waived: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        for name, document in policies(path):
            text = json.dumps(document)
            analyzed = analyze_policy_string(text, include_community_auditors=True)
            for finding in analyzed.findings:
                sid = sid_of(finding, text, document["Statement"]) or name.split()[-1]
                if (finding.issue, sid) in WAIVERS:
                    names = waived.setdefault((finding.issue, sid), [])
                    if path.name not in names:
                        names.append(path.name)
                    continue
                failures += 1
                print(
                    f"parliament: {path.name} {name} {sid or ''}: {finding.issue} {finding.detail} {finding.location}"
                )
    for (issue, sid), names in sorted(waived.items()):
        print(f"parliament: {issue} on {sid} waived in {', '.join(names)}: {WAIVERS[(issue, sid)]}")
    print(
        f"parliament: {'no unwaived finding' if not failures else f'{failures} finding(s)'} in {len(paths)} template(s)"
    )
    return failures


def sid_of(finding, document_text: str, statements: list[dict]) -> str | None:
    """The statement a finding points into: parliament gives a column in the one-line JSON."""
    column = (finding.location or {}).get("column")
    if column is None:
        return None
    for statement in statements:
        start = document_text.find(json.dumps(statement))
        if start <= column - 1 < start + len(json.dumps(statement)):
            return statement.get("Sid")
    return None


def run_checkov(paths: list[Path]) -> int:
    checkov = Path(sys.executable).with_name("checkov")
    command = [
        str(checkov),
        "--framework",
        "cloudformation",
        "--compact",
        "--quiet",
        "--skip-download",
        "--output",
        "cli",
        *(arg for p in paths for arg in ("--file", str(p))),
    ]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    failed = re.findall(r"^Check: (CKV\w+)", result.stdout, re.M)
    if result.returncode not in (0, 1) or "Passed checks" not in result.stdout:
        print(result.stdout + result.stderr)
        print("checkov: did not run")
        return 1
    if failed:
        print(result.stdout)
    passed, skipped = (re.search(rf"{k} checks: (\d+)", result.stdout) for k in ("Passed", "Skipped"))
    print(
        f"checkov: {len(failed)} failed, {passed.group(1) if passed else 0} passed, "
        f"{skipped.group(1) if skipped else 0} skipped with a reason in {len(paths)} template(s)"
    )
    return len(failed)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv]
    missing = [p for p in paths if not p.is_file()]
    if not paths or missing:
        print(f"security_gates: error: give template files; not found: {missing}", file=sys.stderr)
        return 2
    failures = run_checkov(paths) + run_parliament(paths)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
