"""Aurora MySQL 3 Serverless v2: IAM authentication over TLS only, encrypted, backed up."""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration, Resource
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from infra.constructs.network import Network
from infra.nag import acknowledge
from infra.settings import StageSettings

DATABASE_NAME = "fondation"
APP_USER = "fondation_app"  # an IAM database user: DML only, created by the migrations
READONLY_USER = "fondation_readonly"  # ops' IAM database user: SELECT only, created by the migrations
PORT = 3306
# The error log only: the slow-query log would hold statements with their values (names, phones,
# prescriptions), and no personal data goes into logs.
LOGS = ("error",)


class Database(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, network: Network) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self, "ClusterSecurityGroup", vpc=network.vpc, description="Aurora cluster", allow_all_outbound=False
        )
        self.security_group.add_ingress_rule(
            network.functions_security_group, ec2.Port.tcp(PORT), "MySQL from the functions"
        )
        network.functions_security_group.add_egress_rule(
            self.security_group, ec2.Port.tcp(PORT), "MySQL to the Aurora cluster"
        )
        engine = rds.DatabaseClusterEngine.aurora_mysql(version=rds.AuroraMysqlEngineVersion.VER_3_10_3)
        parameters = rds.ParameterGroup(
            self,
            "Parameters",
            engine=engine,
            description="TLS only",
            parameters={"require_secure_transport": "ON", "tls_version": "TLSv1.2,TLSv1.3"},
        )
        identifier = f"fondation-{settings.name}"
        log_groups = [  # explicit log groups: retention without a custom resource
            logs.LogGroup(
                self,
                f"{log.title()}Logs",
                log_group_name=f"/aws/rds/cluster/{identifier}/{log}",
                retention=settings.log_retention,
                removal_policy=settings.data_removal_policy,
            )
            for log in LOGS
        ]
        self.cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            cluster_identifier=identifier,
            engine=engine,
            parameter_group=parameters,
            default_database_name=DATABASE_NAME,
            credentials=rds.Credentials.from_generated_secret("fondation_admin"),
            writer=rds.ClusterInstance.serverless_v2("Writer", auto_minor_version_upgrade=True),
            serverless_v2_min_capacity=settings.min_capacity,
            serverless_v2_max_capacity=settings.max_capacity,
            vpc=network.vpc,
            vpc_subnets=network.subnets,
            security_groups=[self.security_group],
            port=PORT,
            iam_authentication=True,
            storage_encrypted=True,
            backup=rds.BackupProps(retention=settings.backup_retention, preferred_window="02:00-03:00"),
            preferred_maintenance_window="sun:03:30-sun:04:30",
            deletion_protection=settings.deletion_protection,
            removal_policy=settings.removal_policy,
            cloudwatch_logs_exports=list(LOGS),
            monitoring_interval=Duration.seconds(60),
        )
        # Created before the cluster and deleted after it: deleted first, RDS would create them again
        # while the cluster shuts down, and the stage's next deploy would find them there.
        for log_group in log_groups:
            self.cluster.node.add_dependency(log_group)
        self.secret = self.cluster.secret
        # The administrator's password goes with the snapshot prod keeps: a restored cluster needs it.
        cast(Resource, self.cluster.node.find_child("Secret")).apply_removal_policy(settings.data_removal_policy)
        self._acknowledge(settings)

    def _acknowledge(self, settings: StageSettings) -> None:
        acknowledge(
            self.cluster,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",
            "the enhanced-monitoring role RDS assumes; AWS's own policy is the documented one",
        )
        acknowledge(
            self.cluster,
            "AwsSolutions-RDS11",
            "the default port: only the functions' security group may reach it, from isolated subnets",
        )
        acknowledge(
            self.cluster,
            "AwsSolutions-RDS14",
            "no Backtrack: point-in-time restore from the continuous backups is the recovery path",
        )
        acknowledge(
            self.cluster,
            "AwsSolutions-SMG4",
            "the administrator secret is read only by the migrations function at deploy time; the functions "
            "themselves use IAM authentication and no password",
        )
        if not settings.deletion_protection:
            acknowledge(self.cluster, "AwsSolutions-RDS10", f"{settings.name}: disposable data; prod is protected")

    def grant_connect(self, grantee: iam.IGrantable) -> None:
        """``rds-db:connect`` as the application's IAM database user, nothing more."""
        self.cluster.grant_connect(grantee, APP_USER)

    def environment(self) -> dict[str, str]:
        """What ``lambdas.shared.config.DatabaseSettings`` reads."""
        return {
            "DB_HOST": self.cluster.cluster_endpoint.hostname,
            "DB_PORT": str(PORT),
            "DB_USER": APP_USER,
            "DB_NAME": DATABASE_NAME,
        }
