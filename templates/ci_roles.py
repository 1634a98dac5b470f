"""The roles a GitHub Actions pipeline assumes through OIDC (``out/mwaa-ci-roles.yaml``).

- **GitHubOidcProvider**: GitHub's token issuer, audience ``sts.amazonaws.com``; left out when
  the account already has one (``oidc_provider_arn``: IAM holds one provider per URL).
- **PreviewRole** (``mwaa-ci-preview``): assumed by pull-request jobs of the repository only
  (``sub`` = ``repo:<org/repo>:pull_request``).  It makes, reads and deletes change sets of the
  ``mwaa-*`` stacks and reads their templates, events and outputs: ``make diff``.  It can
  execute nothing.
- Per environment, **Deploy<Env>Role** (``mwaa-ci-deploy-<env>``): assumed by jobs running under
  the GitHub environment of that name only (``sub`` = ``repo:<org/repo>:environment:<env>``, so
  its required reviewers apply).  It deploys the environment's stack, *through*
  **CloudFormation<Env>Role**, which it alone may pass; syncs the environment's bucket; updates
  and reads the environment.  It cannot create a VPC, a bucket or a role itself.
- **CloudFormation<Env>Role** (``mwaa-ci-cloudformation-<env>``): CloudFormation's service role
  for that stack, trusted by CloudFormation in this account only.  It holds the resource
  permissions: the network in this account and Region, the stack's bucket, its execution role and
  policy (``mwaa-<env>-*``), its log groups and its environment.

A role of an environment pinned to an account (``[target]``) is created only when the template is
deployed in that account (a Condition on ``AWS::AccountId``), so one template serves every
account.  The README's "Continuous delivery" names every permission and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from awacs import airflow, cloudformation, ec2, kms, logs, s3, sts
from awacs import iam as iam_actions
from awacs.aws import Action, Allow, Condition, PolicyDocument, Principal, Statement, StringEquals, StringLike
from troposphere import AWSHelperFn, Equals, GetAtt, Output, Parameter, Ref, Sub, Template, iam

from .execution_role import ACCOUNT_ARN, account_arn
from .pipeline import (
    AUDIENCE,
    ISSUER,
    PREVIEW_ROLE_NAME,
    REPOSITORY,
    Pipeline,
    PipelineEnvironment,
    cloudformation_role_name,
    deploy_role_name,
    identifier,
)

STACKS = ACCOUNT_ARN % ("cloudformation", "stack/mwaa-*/*")


def _statement(sid: str, actions: list[Action], resources: list[object], **condition: object) -> Statement:
    extra = {"Condition": Condition([c for c in condition.values()])} if condition else {}
    return Statement(Sid=sid, Effect=Allow, Action=actions, Resource=resources, **extra)


def _policy(name: str, statements: list[Statement]) -> iam.Policy:
    return iam.Policy(PolicyName=name, PolicyDocument=PolicyDocument(Version="2012-10-17", Statement=statements))


def add_repository(template: Template, pipeline: Pipeline) -> Parameter:
    """The repository trusted, a parameter: ``github_repository`` is its default, and without
    one the deployer must name it (a sample's made-up owner could be a stranger's account)."""
    default = {"Default": pipeline.github_repository} if pipeline.github_repository else {}
    return template.add_parameter(
        Parameter(
            "GitHubRepository",
            Type="String",
            Description="The GitHub repository (owner/name) whose workflows may assume these roles",
            AllowedPattern=f"^{REPOSITORY.pattern}$",
            ConstraintDescription="owner/name, as GitHub spells them",
            **default,
        )
    )


def add_oidc_provider(template: Template, pipeline: Pipeline) -> AWSHelperFn | str:
    """The provider's ARN, created here unless the account has one."""
    if pipeline.oidc_provider_arn:
        return pipeline.oidc_provider_arn
    provider = template.add_resource(
        iam.OIDCProvider("GitHubOidcProvider", Url=f"https://{ISSUER}", ClientIdList=[AUDIENCE])
    )
    return Ref(provider)


def _trust(provider: AWSHelperFn | str, subject: str) -> PolicyDocument:
    """Tokens of GitHub's issuer for our audience and exactly this subject."""
    return PolicyDocument(
        Version="2012-10-17",
        Statement=[
            Statement(
                Effect=Allow,
                Principal=Principal("Federated", provider),
                Action=[sts.AssumeRoleWithWebIdentity],
                Condition=Condition(
                    StringEquals(
                        {f"{ISSUER}:aud": AUDIENCE, f"{ISSUER}:sub": Sub(f"repo:${{GitHubRepository}}:{subject}")}
                    )
                ),
            )
        ],
    )


def _find_foreign_log_groups() -> Statement:
    """make deploy and make diff first refuse log groups another stack holds in the
    environment's names (ops/log_groups.py): a listing, which matches only "*"."""
    return _statement("FindForeignLogGroups", [logs.DescribeLogGroups], ["*"])


def preview_statements() -> list[Statement]:
    """Change sets made, read and deleted; nothing executed.  No iam:PassRole: a change set of a
    stack that has a service role is made with that role, which CloudFormation lets anyone who
    may operate on the stack use ("AWS CloudFormation service role", CloudFormation User Guide)."""
    return [
        _statement(
            "PreviewChangeSets",
            [
                cloudformation.CreateChangeSet,
                cloudformation.DescribeChangeSet,
                cloudformation.DeleteChangeSet,
                cloudformation.ListChangeSets,
                cloudformation.DescribeStacks,
                cloudformation.DescribeStackEvents,
                cloudformation.GetTemplate,
                cloudformation.ListStackResources,
            ],
            [Sub(STACKS)],
        ),
        # The change set's pre-deployment validation, its own statement: parliament's action
        # list predates the action (scripts/security_gates.py waives just this statement).
        _statement("ReadTheValidation", [cloudformation.DescribeEvents], [Sub(STACKS)]),
        _find_foreign_log_groups(),
    ]


def add_preview_role(template: Template, provider: AWSHelperFn | str) -> iam.Role:
    return template.add_resource(
        iam.Role(
            "PreviewRole",
            RoleName=PREVIEW_ROLE_NAME,
            Description="make diff from pull requests: change sets of the mwaa-* stacks, made, read, deleted",
            AssumeRolePolicyDocument=_trust(provider, "pull_request"),
            MaxSessionDuration=3600,
            Policies=[_policy("PreviewChangeSets", preview_statements())],
        )
    )


@dataclass(frozen=True)
class EnvironmentResources:
    """What the roles of one environment may touch, as ARNs of this account and Region."""

    stack: Sub
    bucket: Sub | str
    objects: Sub | str
    environment: Sub
    log_groups: Sub
    execution_roles: Sub
    execution_policies: Sub


def resources_of(environment: PipelineEnvironment) -> EnvironmentResources:
    settings = environment.settings
    if settings.source_bucket_arn:  # the team's own bucket: its ARN as given (names no intrinsic)
        bucket: Sub | str = settings.source_bucket_arn
        objects: Sub | str = f"{bucket}/*"
    else:  # CloudFormation names the stack's bucket <stack>-environmentbucket-<random>
        bucket = Sub(f"arn:${{AWS::Partition}}:s3:::{environment.stack}-environmentbucket-*")
        objects = Sub(f"arn:${{AWS::Partition}}:s3:::{environment.stack}-environmentbucket-*/*")
    iam_arn = "arn:${AWS::Partition}:iam::${AWS::AccountId}:%s"
    return EnvironmentResources(
        stack=account_arn("cloudformation", f"stack/{environment.stack}/*"),
        bucket=bucket,
        objects=objects,
        # make deploy names the environment after its stack (ops/overrides.py, prepare): a
        # PARAMS EnvironmentName= of another name is one these roles may not touch.
        environment=account_arn("airflow", f"environment/{environment.stack}"),
        log_groups=account_arn("logs", f"log-group:airflow-{environment.stack}-*"),
        # CloudFormation names them <stack>-MwaaExecutionRole-<random> (path /service-role/)
        # and <stack>-MwaaExecutionPolicy-<random>.
        execution_roles=Sub(iam_arn % f"role/service-role/{environment.stack}-*"),
        execution_policies=Sub(iam_arn % f"policy/{environment.stack}-*"),
    )


def deploy_statements(environment: PipelineEnvironment, service_role: iam.Role) -> list[Statement]:
    where = resources_of(environment)
    statements = [
        _statement(
            "DeployTheStack",
            [
                cloudformation.CreateChangeSet,
                cloudformation.DescribeChangeSet,
                cloudformation.ExecuteChangeSet,
                cloudformation.DeleteChangeSet,
                cloudformation.ListChangeSets,
                cloudformation.DescribeStacks,
                cloudformation.DescribeStackEvents,
                cloudformation.ListStackResources,
                cloudformation.GetTemplate,
                # `aws cloudformation deploy` reads the stack's parameters before an update
                cloudformation.GetTemplateSummary,
                cloudformation.UpdateStack,
                cloudformation.TagResource,
            ],
            [where.stack],
        ),
        _statement(
            "PassOnlyItsCloudFormationRole",
            [iam_actions.PassRole],
            [GetAtt(service_role, "Arn")],
            service=StringEquals("iam:PassedToService", "cloudformation.amazonaws.com"),
        ),
        _find_foreign_log_groups(),
        _statement("ListTheBucket", [s3.ListBucket], [where.bucket]),
        _statement(
            "SyncTheBucket", [s3.GetObject, s3.GetObjectVersion, s3.PutObject, s3.DeleteObject], [where.objects]
        ),
        _statement("UpdateTheEnvironment", [airflow.GetEnvironment, airflow.UpdateEnvironment], [where.environment]),
        # make sync's check that the DAGs registered: GET /dags and /importErrors through
        # InvokeRestApi as Airflow's Viewer ("Using the Apache Airflow REST API", user guide).
        _statement(
            "VerifyTheRelease",
            [airflow.InvokeRestApi],
            [account_arn("airflow", f"role/{environment.stack}/Viewer")],
        ),
    ]
    if environment.settings.kms_key:  # objects of a bucket under a customer managed key
        statements.append(
            _statement(
                "UseTheBucketKey",
                [kms.GenerateDataKey, kms.Decrypt],
                [account_arn("kms", "key/*")],
                service=StringLike("kms:ViaService", Sub("s3.${AWS::Region}.amazonaws.com")),
            )
        )
    return statements


def cloudformation_statements(environment: PipelineEnvironment) -> list[Statement]:
    where = resources_of(environment)
    network_writes = [
        *(
            getattr(ec2, f"{verb}{noun}")
            for noun in ("Vpc", "Subnet", "InternetGateway", "NatGateway", "RouteTable", "Route", "SecurityGroup")
            for verb in ("Create", "Delete")
        ),
        ec2.ModifyVpcAttribute,
        ec2.ModifySubnetAttribute,
        ec2.AttachInternetGateway,
        ec2.DetachInternetGateway,
        ec2.AllocateAddress,
        ec2.ReleaseAddress,
        ec2.ReplaceRoute,
        ec2.AssociateRouteTable,
        ec2.DisassociateRouteTable,
        ec2.AuthorizeSecurityGroupIngress,
        ec2.AuthorizeSecurityGroupEgress,
        ec2.RevokeSecurityGroupIngress,
        ec2.RevokeSecurityGroupEgress,
        ec2.CreateVpcEndpoint,
        ec2.DeleteVpcEndpoints,
        ec2.ModifyVpcEndpoint,
        ec2.CreateNetworkInterface,
        ec2.DescribeVpcAttribute,  # the one Describe that names its VPC
        ec2.CreateTags,
        ec2.DeleteTags,
    ]
    network_reads = [
        getattr(ec2, f"Describe{noun}")
        for noun in (
            "Vpcs",
            "Subnets",
            "AvailabilityZones",
            "InternetGateways",
            "Addresses",
            "NatGateways",
            "RouteTables",
            "SecurityGroups",
            "SecurityGroupRules",
            "VpcEndpoints",
            "NetworkInterfaces",
            "PrefixLists",
            "AccountAttributes",
        )
    ]
    statements = [
        _statement("BuildTheNetwork", network_writes, [account_arn("ec2", "*")]),
        # EC2's Describe actions take no resource: "*" is the only one they match.
        _statement("ReadTheNetwork", network_reads, ["*"]),
        _statement(
            "ManageTheBucket",
            [
                s3.CreateBucket,
                s3.ListBucket,
                s3.GetBucketLocation,
                *(
                    getattr(s3, f"{verb}{what}")
                    for what in ("BucketVersioning", "BucketPublicAccessBlock", "BucketPolicy", "BucketTagging")
                    for verb in ("Get", "Put")
                ),
                s3.DeleteBucketPolicy,
                s3.GetEncryptionConfiguration,
                s3.PutEncryptionConfiguration,
                s3.GetLifecycleConfiguration,
                s3.PutLifecycleConfiguration,
            ],
            [where.bucket],
        ),
        _statement(
            "ManageTheExecutionRole",
            [
                iam_actions.CreateRole,
                iam_actions.DeleteRole,
                iam_actions.GetRole,
                iam_actions.UpdateRole,
                iam_actions.UpdateRoleDescription,
                iam_actions.UpdateAssumeRolePolicy,
                iam_actions.TagRole,
                iam_actions.UntagRole,
                iam_actions.AttachRolePolicy,
                iam_actions.DetachRolePolicy,
                iam_actions.PutRolePermissionsBoundary,
                iam_actions.DeleteRolePermissionsBoundary,
                iam_actions.ListAttachedRolePolicies,
                iam_actions.ListRolePolicies,
            ],
            [where.execution_roles],
        ),
        _statement(
            "ManageTheExecutionPolicy",
            [
                iam_actions.CreatePolicy,
                iam_actions.DeletePolicy,
                iam_actions.CreatePolicyVersion,
                iam_actions.DeletePolicyVersion,
                iam_actions.GetPolicy,
                iam_actions.GetPolicyVersion,
                iam_actions.ListPolicyVersions,
            ],
            [where.execution_policies],
        ),
        _statement(
            "PassTheExecutionRoleToMwaa",
            [iam_actions.PassRole],
            [where.execution_roles],
            service=StringEquals("iam:PassedToService", "airflow.amazonaws.com"),
        ),
        # MWAA's service-linked role, made by the first environment of an account.
        _statement(
            "CreateMwaasServiceLinkedRole",
            [iam_actions.CreateServiceLinkedRole],
            [Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/airflow.amazonaws.com/*")],
            service=StringEquals("iam:AWSServiceName", "airflow.amazonaws.com"),
        ),
        _statement(
            "ManageTheLogGroups",
            [
                logs.CreateLogGroup,
                logs.DeleteLogGroup,
                logs.PutRetentionPolicy,
                logs.DeleteRetentionPolicy,
                logs.AssociateKmsKey,
                logs.DisassociateKmsKey,
                logs.TagResource,
                logs.UntagResource,
                logs.ListTagsForResource,
            ],
            [where.log_groups],
        ),
        _statement("FindTheLogGroups", [logs.DescribeLogGroups], ["*"]),
        _statement(
            "ManageTheEnvironment",
            [
                airflow.CreateEnvironment,
                airflow.UpdateEnvironment,
                airflow.DeleteEnvironment,
                airflow.GetEnvironment,
                airflow.TagResource,
                airflow.UntagResource,
            ],
            [where.environment],
        ),
    ]
    if environment.settings.kms_key == "create":
        statements.append(
            _statement(
                "ManageTheKey",
                [
                    kms.DescribeKey,
                    kms.EnableKeyRotation,
                    kms.GetKeyRotationStatus,
                    kms.GetKeyPolicy,
                    kms.PutKeyPolicy,
                    kms.TagResource,
                    kms.UntagResource,
                    kms.ListResourceTags,
                    kms.ScheduleKeyDeletion,
                    kms.CreateGrant,
                ],
                [account_arn("kms", "key/*")],
            )
        )
        # CreateKey names no key (there is none yet): "*" is the only resource it matches;
        # bounded to this Region.
        statements.append(
            _statement(
                "CreateTheKey",
                [kms.CreateKey],
                ["*"],
                region=StringEquals("aws:RequestedRegion", Sub("${AWS::Region}")),
            )
        )
    return statements


@dataclass(frozen=True)
class EnvironmentRoles:
    deploy: iam.Role
    cloudformation: iam.Role
    condition: str | None  # the account condition of a pinned environment


def add_environment_roles(
    template: Template, environment: PipelineEnvironment, provider: AWSHelperFn | str
) -> EnvironmentRoles:
    name = identifier(environment.name)
    condition = None
    if environment.target is not None:
        condition = f"In{name}Account"
        template.add_condition(condition, Equals(Ref("AWS::AccountId"), environment.target.account_id))
    conditional = {"Condition": condition} if condition else {}
    service_role = template.add_resource(
        iam.Role(
            f"CloudFormation{name}Role",
            RoleName=cloudformation_role_name(environment.name),
            Description=f"CloudFormation's role for stack {environment.stack}: the resources it holds",
            AssumeRolePolicyDocument=PolicyDocument(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Effect=Allow,
                        Principal=Principal("Service", "cloudformation.amazonaws.com"),
                        Action=[sts.AssumeRole],
                        Condition=Condition(StringEquals("aws:SourceAccount", Ref("AWS::AccountId"))),
                    )
                ],
            ),
            Policies=[_policy("ManageEnvironmentResources", cloudformation_statements(environment))],
            **conditional,
        )
    )
    deploy = template.add_resource(
        iam.Role(
            f"Deploy{name}Role",
            RoleName=deploy_role_name(environment.name),
            Description=f"make deploy and make sync of environment {environment.name} from its GitHub environment",
            AssumeRolePolicyDocument=_trust(provider, f"environment:{environment.name}"),
            MaxSessionDuration=3600,
            Policies=[_policy("DeployAndSync", deploy_statements(environment, service_role))],
            **conditional,
        )
    )
    return EnvironmentRoles(deploy, service_role, condition)


def add_ci_outputs(
    template: Template, provider: AWSHelperFn | str, preview: iam.Role, roles: list[EnvironmentRoles]
) -> None:
    template.add_output(Output("OidcProviderArn", Description="GitHub's OIDC provider", Value=provider))
    template.add_output(
        Output(
            "PreviewRoleArn", Description="The repository variable AWS_PREVIEW_ROLE_ARN", Value=GetAtt(preview, "Arn")
        )
    )
    for pair in roles:
        conditional = {"Condition": pair.condition} if pair.condition else {}
        for role in (pair.deploy, pair.cloudformation):
            template.add_output(
                Output(f"{role.title}Arn", Description=role.Description, Value=GetAtt(role, "Arn"), **conditional)
            )
