"""make deploy, diff and destroy with the real AWS CLI against the emulators."""

from __future__ import annotations

import json
import re
import subprocess

from cfn_flip import load_yaml

from tests.make.runs import (
    REGION,
    ROOT,
    STACK,
    build,
    client,
    closed_port,
    destroy_at_a_terminal,
    error_lines,
    make,
)


def stack(env) -> dict:
    return client(env, "cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]


def test_deploy_creates_the_stack_and_prints_its_outputs(env, deployed):
    assert "Successfully created/updated stack - mwaa-test" in deployed.stdout
    described = stack(env)
    assert described["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    for key in ("MwaaEnvironmentName", "EnvironmentBucketName", "MwaaApacheAirflowUI", "VPC", "SecurityGroup"):
        assert re.search(rf"^{key} +{re.escape(outputs[key])}$", deployed.stdout, re.M), key
    assert outputs["MwaaEnvironmentName"] == STACK, "the environment is named after the stack"
    assert outputs["MwaaEnvironmentArn"] == f"arn:aws:airflow:{REGION}:123456789012:environment/{STACK}"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert params["AppEnv"] == "test" and params["EnvironmentName"] == STACK
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"project": "mwaa-stack", "env": "test"}
    s3 = client(env, "s3")
    bucket = outputs["EnvironmentBucketName"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    [deny] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ec2 = client(env, "ec2")
    subnets = ec2.describe_subnets(SubnetIds=outputs["PrivateSubnets"].split(","))["Subnets"]
    assert {s["AvailabilityZone"] for s in subnets} == {f"{REGION}a", f"{REGION}b"}


def test_a_second_deploy_with_nothing_changed_succeeds_and_says_so(env, deployed):
    again = make(env, "deploy")
    assert again.returncode == 0, again.stderr
    assert "No changes to deploy. Stack mwaa-test is up to date" in again.stdout
    assert stack(env)["StackStatus"] == "CREATE_COMPLETE"


def test_parameter_change_shows_in_diff_and_not_before(env, deployed):
    unchanged = make(env, "diff")
    assert unchanged.returncode == 0, unchanged.stderr
    assert "No changes: stack mwaa-test already matches" in unchanged.stdout
    changed = make(env, "diff", PARAMS="MaxWorkers=5")
    assert changed.returncode == 0, changed.stderr
    rows = re.findall(r"^(Add|Modify|Remove) +(\w+) +(\S+)", changed.stdout, re.M)
    assert rows == [("Modify", "MwaaEnvironment", "AWS::MWAA::Environment")]
    # CloudFormation's own before -> after (IncludePropertyValues), under the resource's name
    values = changed.stdout.split("Property values, before -> after")[1]
    assert re.search(r"^  MwaaEnvironment\n    /Properties/MaxWorkers: 2 -> 5$", values, re.M), values
    assert "recreation" not in values, "MaxWorkers is updated in place"
    assert "Pre-deployment validation: no findings." in changed.stdout
    cfn = client(env, "cloudformation")
    assert cfn.list_change_sets(StackName=STACK)["Summaries"] == [], "the preview leaves no change set"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack(env)["Parameters"]}
    assert params["MaxWorkers"] == "2", "a preview never executes"


def test_a_change_set_that_fails_pre_deployment_validation_says_where_and_why(env, deployed, tmp_path):
    client(env, "logs").create_log_group(logGroupName="/team/audit")
    template = load_yaml((ROOT / "out" / "mwaa.yaml").read_text())
    template["Resources"]["AuditLogs"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/team/audit"}}
    path = tmp_path / "audit.yaml"
    path.write_text(json.dumps(template))
    result = make(env, "diff", TEMPLATE=str(path))
    assert result.returncode != 0, result.stdout + result.stderr
    assert re.search(
        r"^  FAIL \(FAILED\) NAME_CONFLICT_VALIDATION at /Resources/AuditLogs/Properties/LogGroupName: .*/team/audit",
        result.stderr,
        re.M,
    ), result.stderr
    assert "mwaa-stack: error: change set for mwaa-test failed" in result.stderr
    assert client(env, "cloudformation").list_change_sets(StackName=STACK)["Summaries"] == []


def test_diff_before_the_first_deploy_lists_what_would_be_created(env):
    result = make(env, "diff")
    assert result.returncode == 0, result.stderr
    assert "Stack mwaa-test does not exist" in result.stdout
    assert re.search(r"^Add +MwaaEnvironment +AWS::MWAA::Environment$", result.stdout, re.M)


def test_parameter_change_deploys_as_an_update(env, deployed):
    result = make(env, "deploy", PARAMS="MaxWorkers=4 TaskLogsLevel=WARNING")
    assert result.returncode == 0, result.stderr
    described = stack(env)
    assert described["StackStatus"] == "UPDATE_COMPLETE"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert (params["MaxWorkers"], params["TaskLogsLevel"], params["AppEnv"]) == ("4", "WARNING", "test")
    declared = load_yaml((ROOT / "out" / "mwaa.yaml").read_text())["Outputs"]
    assert {o["OutputKey"] for o in described["Outputs"]} == set(declared), "every output survives the update"


def test_destroy_asks_first_and_keeps_the_bucket_and_its_objects(env, deployed, mwaa):
    bucket = {o["OutputKey"]: o["OutputValue"] for o in stack(env)["Outputs"]}["EnvironmentBucketName"]
    s3 = client(env, "s3")
    s3.put_object(Bucket=bucket, Key="dags/keep_me.py", Body=b"x = 1\n")

    refused = make(env, "destroy")
    assert refused.returncode != 0
    assert error_lines(refused) == [
        "mwaa-stack: error: refusing to delete stack mwaa-test without confirmation: run `make destroy YES=1`"
    ]
    assert stack(env)["StackStatus"] == "CREATE_COMPLETE"

    result = make(env, "destroy", YES="1")
    assert result.returncode == 0, result.stderr
    assert f"Kept: source bucket {bucket}" in result.stdout
    assert client(env, "cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["dags/keep_me.py"]
    assert not mwaa.state.environments, "the environment is gone with its stack"


def test_bad_params_fail_in_one_line_before_touching_aws(env):
    for params, message in [
        ("MaxWorkerz=3", "MaxWorkerz is not a parameter of mwaa.yaml"),
        ("MaxWorkers=99", "MaxWorkers='99' must be between 1 and 25"),
        ("EnvironmentClass=mw1.huge", "must be one of mw1.micro"),
        ("AirflowVersion", "'AirflowVersion' is not NAME=VALUE"),
    ]:
        result = make(env, "deploy", PARAMS=params)
        assert result.returncode != 0
        [line] = error_lines(result)
        assert message in line, line
    assert client(env, "cloudformation").list_stacks()["StackSummaries"] == []


def test_operations_on_a_missing_stack_fail_in_one_line(env):
    for target in ("sync", "ui", "outputs", "destroy", "status", "logs", "drift", "trigger"):
        result = make(env, target, YES="1")
        assert result.returncode != 0
        assert error_lines(result) == [
            f"mwaa-stack: error: stack mwaa-test does not exist in {REGION}: run `make deploy` first"
        ], target


def test_no_credentials_fail_in_one_line(env):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(key)
    result = make(env, "deploy")
    assert result.returncode != 0
    assert error_lines(result) == [
        "mwaa-stack: error: no AWS credentials: set PROFILE=... or configure AWS_PROFILE / AWS_ACCESS_KEY_ID"
    ]


def test_unreachable_aws_fails_in_one_line(env):
    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{closed_port()}"
    env["AWS_MAX_ATTEMPTS"] = "1"
    result = make(env, "outputs")
    assert result.returncode != 0
    [line] = error_lines(result)
    assert line.startswith("mwaa-stack: error: cannot reach http://127.0.0.1:") and "emulator" in line


def test_an_environment_with_a_settings_file_deploys_its_own_template(env):
    result = make(env, "deploy", ENV="dev")
    assert result.returncode == 0, result.stderr
    cfn = client(env, "cloudformation")
    resources = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    kinds = [r["ResourceType"] for r in resources]
    assert kinds.count("AWS::EC2::NatGateway") == 1, "out/mwaa-dev.yaml: a single NAT gateway"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack(env)["Parameters"]}
    assert (params["EnvironmentClass"], params["AppEnv"]) == ("mw1.micro", "dev")


def test_a_failing_deploy_prints_the_stack_events_and_one_error_line(env, tmp_path):
    broken = tmp_path / "broken.yaml"
    # MWAA refuses a bucket without versioning; the emulated environment checks it too.
    text = (ROOT / "out" / "mwaa.yaml").read_text().replace("Status: Enabled", "Status: Suspended")
    assert text != (ROOT / "out" / "mwaa.yaml").read_text()
    broken.write_text(text)
    result = make(env, "deploy", TEMPLATE=str(broken))
    assert result.returncode != 0
    assert "Stack mwaa-test events" in result.stderr
    [line] = error_lines(result)
    assert line.startswith("mwaa-stack: error: deploy of stack mwaa-test failed:")
    assert "versioning" in result.stderr


def test_a_stack_whose_creation_failed_says_how_to_recover(env, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "out" / "mwaa.yaml").read_text().replace("Status: Enabled", "Status: Suspended"))
    assert make(env, "deploy", TEMPLATE=str(broken)).returncode != 0
    assert stack(env)["StackStatus"] == "ROLLBACK_COMPLETE"
    again = make(env, "deploy")
    assert again.returncode != 0
    [line] = error_lines(again)
    assert "ROLLBACK_COMPLETE" in line and "make destroy YES=1" in line
    assert make(env, "destroy", YES="1").returncode == 0
    assert make(env, "deploy").returncode == 0
    assert stack(env)["StackStatus"] == "CREATE_COMPLETE"


def test_operations_on_a_failed_stack_say_what_to_do(env, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "out" / "mwaa.yaml").read_text().replace("Status: Enabled", "Status: Suspended"))
    failed = make(env, "deploy", TEMPLATE=str(broken))
    [line] = error_lines(failed)
    assert (
        line == "mwaa-stack: error: deploy of stack mwaa-test failed: Provided bucket does not have versioning enabled"
    )
    for target in ("sync", "ui", "airflow", "trigger"):
        result = make(env, target)
        assert result.returncode != 0
        [line] = error_lines(result)
        assert "is ROLLBACK_COMPLETE and has no output" in line and "make destroy YES=1" in line, target


def test_make_without_a_target_lists_the_targets(env):
    result = subprocess.run(["make", "--no-print-directory"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0
    for target in (
        "template",
        "test",
        "deploy",
        "diff",
        "preflight",
        "status",
        "logs",
        "drift",
        "sync",
        "ui",
        "airflow",
        "trigger",
        "destroy",
        "dag-test",
        "bench",
    ):
        assert re.search(rf"^  {target} +\S", result.stdout, re.M), target


def test_the_private_environment_deploys_with_its_endpoints(env):
    result = make(env, "deploy", ENV="private")
    assert result.returncode == 0, result.stderr
    resources = client(env, "cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    kinds = [r["ResourceType"] for r in resources]
    assert kinds.count("AWS::EC2::VPCEndpoint") == 10 and "AWS::EC2::NatGateway" not in kinds
    vpc = {o["OutputKey"]: o["OutputValue"] for o in stack(env)["Outputs"]}["VPC"]
    endpoints = client(env, "ec2").describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
    assert {e["ServiceName"] for e in endpoints} >= {
        f"com.amazonaws.{REGION}.s3",
        f"com.amazonaws.{REGION}.airflow.env",
    }


def test_the_existing_vpc_environment_deploys_into_a_given_vpc(env):
    ec2 = client(env, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{n}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for n, zone in ((1, "a"), (2, "b"))
    ]
    result = make(env, "deploy", ENV="existing-vpc", PARAMS=f"VpcId={vpc} PrivateSubnetIds={','.join(subnets)}")
    assert result.returncode == 0, result.stderr
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack(env)["Outputs"]}
    assert outputs["VPC"] == vpc and outputs["PrivateSubnets"] == ",".join(subnets)
    group = ec2.describe_security_groups(GroupIds=[outputs["SecurityGroup"]])["SecurityGroups"][0]
    assert group["VpcId"] == vpc
    assert len(ec2.describe_vpcs()["Vpcs"]) == 2, "the default VPC and the given one: nothing created"


def test_destroy_at_a_terminal_deletes_only_when_the_stack_name_is_typed(env, deployed, mwaa):
    code, out, err = destroy_at_a_terminal(env, b"yes\n")
    assert code != 0 and "Type the stack name" in out and "not confirmed; nothing deleted" in err
    assert stack(env)["StackStatus"] == "CREATE_COMPLETE"
    code, out, err = destroy_at_a_terminal(env, STACK.encode() + b"\n")
    assert code == 0, err
    assert re.search(r"^Stack mwaa-test deleted in \dm\d\ds\.$", out, re.M), out
    assert not mwaa.state.environments, "the environment is gone with its stack"


def test_retention_on_a_running_environment_names_the_groups_mwaa_made_before_any_change(env, deployed, tmp_path):
    """MWAA made airflow-<name>-<Module> for the running environment; a template that now
    creates them would fail half-way, so deploy and diff stop first, naming them."""
    logs = client(env, "logs")
    for module in ("DAGProcessing", "Scheduler", "Task", "WebServer", "Worker"):  # the user guide's group names
        logs.create_log_group(logGroupName=f"airflow-{STACK}-{module}")
    build("--set", "log_retention_days=30", "--out", str(tmp_path))
    template = str(tmp_path / "mwaa.yaml")
    cfn = client(env, "cloudformation")
    before = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
    for target in ("diff", "deploy"):
        result = make(env, target, TEMPLATE=template)
        assert result.returncode != 0, result.stdout + result.stderr
        [line] = error_lines(result)
        assert f"airflow-{STACK}-Task" in line and f"airflow-{STACK}-WebServer" in line, line
        assert "already exist outside stack" in line and "log_retention_days = 0" in line
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == before
    assert not cfn.list_change_sets(StackName=STACK)["Summaries"], "nothing was sent"
    fresh = make(env, "diff", TEMPLATE=template, STACK_NAME="mwaa-other")
    assert fresh.returncode == 0, "another environment's groups do not exist: no refusal"
