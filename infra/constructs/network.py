"""A VPC with isolated subnets only (no NAT, no internet): functions reach AWS through endpoints."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.settings import StageSettings

# What the functions call besides the database: Step Functions (the API), Secrets Manager (the
# migrations read the master secret), SSM (Parameter Store, for per-stage settings), Lambda (what
# queues a message invokes the dispatcher), SNS (the dispatcher's SMS).
ENDPOINTS = {
    "StepFunctions": ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Ssm": ec2.InterfaceVpcEndpointAwsService.SSM,
    "Lambda": ec2.InterfaceVpcEndpointAwsService.LAMBDA_,
    "Sns": ec2.InterfaceVpcEndpointAwsService.SNS,
}


class Network(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                logs.LogGroup(
                    self,
                    "FlowLogs",
                    retention=settings.log_retention,
                    removal_policy=settings.data_removal_policy,
                )
            ),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.functions_security_group = ec2.SecurityGroup(
            self, "Functions", vpc=self.vpc, description="Lambda functions", allow_all_outbound=False
        )
        self._endpoints_security_group = ec2.SecurityGroup(
            self, "Endpoints", vpc=self.vpc, description="AWS service endpoints", allow_all_outbound=False
        )
        self.allow_endpoints(self.functions_security_group, "the functions")
        for name, service in ENDPOINTS.items():
            self.add_endpoint(name, service)

    def add_smtp_endpoint(self) -> ec2.SecurityGroup:
        """SES's SMTP interface (its API has no endpoint), reachable on 587 from the security group this
        returns only: the dispatcher's, which no other function joins."""
        security_group = ec2.SecurityGroup(
            self, "Mail", vpc=self.vpc, description="The dispatcher: SMTP to the SES endpoint", allow_all_outbound=False
        )
        endpoint_group = ec2.SecurityGroup(
            self, "SmtpEndpoint", vpc=self.vpc, description="SES SMTP endpoint", allow_all_outbound=False
        )
        endpoint_group.add_ingress_rule(security_group, ec2.Port.tcp(587), "SMTP from the dispatcher")
        security_group.add_egress_rule(endpoint_group, ec2.Port.tcp(587), "SMTP to SES's endpoint")
        self.vpc.add_interface_endpoint(
            "SesSmtp",
            service=ec2.InterfaceVpcEndpointAwsService.EMAIL_SMTP,
            subnets=self.subnets,
            security_groups=[endpoint_group],
            open=False,
            private_dns_enabled=True,
        )
        return security_group

    def allow_endpoints(self, security_group: ec2.SecurityGroup, who: str) -> None:
        """HTTPS from ``security_group`` to the AWS service endpoints, and nothing else to them."""
        self._endpoints_security_group.add_ingress_rule(security_group, ec2.Port.tcp(443), f"HTTPS from {who}")
        security_group.add_egress_rule(
            self._endpoints_security_group, ec2.Port.tcp(443), "HTTPS to the AWS service endpoints"
        )

    def add_endpoint(self, name: str, service: ec2.InterfaceVpcEndpointAwsService) -> None:
        self.vpc.add_interface_endpoint(
            name,
            service=service,
            subnets=self.subnets,
            security_groups=[self._endpoints_security_group],
            open=False,  # only the security groups allowed above may reach them
            private_dns_enabled=True,
        )
