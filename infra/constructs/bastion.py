"""Ops' way to the database, when a stage turns it on (``bastion`` in ``infra/settings.py``).

The cluster has no public access and the VPC no route out. The bastion is the smallest Graviton
instance in an isolated subnet, with no inbound rule at all: ops reach it through Session Manager
(its agent talks to the SSM endpoints over HTTPS) and forward a local port to the cluster, where they
sign in as the read-only IAM database user with a token (README, "Ops: reading the database").
"""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnOutput, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.database import PORT, READONLY_USER, Database
from infra.constructs.network import Network
from infra.nag import acknowledge
from infra.settings import StageSettings

# What the Session Manager agent calls, besides the SSM endpoint the functions already have
SESSION_ENDPOINTS = {
    "SsmMessages": ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
    "Ec2Messages": ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
}


class Bastion(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StageSettings, network: Network, database: Database
    ) -> None:
        super().__init__(scope, construct_id)
        security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=network.vpc, description="ops bastion: no inbound", allow_all_outbound=False
        )
        network.allow_endpoints(security_group, "the bastion's Session Manager agent")
        for name, service in SESSION_ENDPOINTS.items():
            network.add_endpoint(name, service)
        security_group.add_egress_rule(database.security_group, ec2.Port.tcp(PORT), "MySQL to the Aurora cluster")
        database.security_group.add_ingress_rule(security_group, ec2.Port.tcp(PORT), "MySQL from the ops bastion")
        self.instance = ec2.Instance(
            self,
            "Instance",
            vpc=network.vpc,
            vpc_subnets=network.subnets,
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.NANO),
            machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=ec2.AmazonLinuxCpuType.ARM_64),
            security_group=security_group,
            ssm_session_permissions=True,  # the agent's role: AmazonSSMManagedInstanceCore
            require_imdsv2=True,
            detailed_monitoring=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(8, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3),
                )
            ],
        )
        acknowledge(
            self.instance,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
            "the Session Manager agent's own policy, as AWS maintains it; the instance holds no other right",
        )
        acknowledge(
            self.instance,
            "AwsSolutions-EC29",
            "a disposable instance with nothing on it: turning the setting off and deploying removes it, so "
            "termination protection would only stand in the way",
        )
        self.policy = self._ops_policy(settings, database)
        CfnOutput(scope, "BastionInstanceId", value=self.instance.instance_id)
        CfnOutput(scope, "OpsDatabasePolicyArn", value=self.policy.managed_policy_arn)
        CfnOutput(scope, "ClusterEndpoint", value=database.cluster.cluster_endpoint.hostname)

    def _ops_policy(self, settings: StageSettings, database: Database) -> iam.ManagedPolicy:
        """What an operator needs to read the database: a port-forwarding session to this instance,
        and a token as the read-only database user. Attach it to the people who may."""
        stack = Stack.of(self)
        policy = iam.ManagedPolicy(
            self,
            "OpsDatabasePolicy",
            managed_policy_name=f"fondation-{settings.name}-ops-database",
            description="Forward a port through the bastion and sign in to the database as the read-only user",
            statements=[
                iam.PolicyStatement(
                    sid="PortForwardingThroughTheBastion",
                    actions=["ssm:StartSession"],
                    # the document named, never the default shell session
                    conditions={"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}},
                    resources=[
                        stack.format_arn(service="ec2", resource="instance", resource_name=self.instance.instance_id),
                        stack.format_arn(
                            service="ssm",
                            account="",
                            resource="document",
                            resource_name="AWS-StartPortForwardingSessionToRemoteHost",
                        ),
                    ],
                ),
                iam.PolicyStatement(
                    sid="OwnSessionsOnly",
                    actions=["ssm:TerminateSession", "ssm:ResumeSession"],
                    resources=[stack.format_arn(service="ssm", resource="session", resource_name="${aws:userid}-*")],
                ),
                iam.PolicyStatement(
                    sid="ReadOnlyDatabaseUser",
                    actions=["rds-db:connect"],
                    resources=[
                        stack.format_arn(
                            service="rds-db",
                            resource="dbuser",
                            resource_name=f"{database.cluster.cluster_resource_identifier}/{READONLY_USER}",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                ),
            ],
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::arn:aws:ssm:{settings.region}:<AWS::AccountId>:session/<aws:userid>-*]",
            "an operator ends or resumes only the sessions named after their own user id",
        )
        return policy
