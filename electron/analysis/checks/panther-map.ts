// Explicit mapping Panther rule id -> our check ids, for every Panther
// CloudTrail rule (panther-labs/panther-analysis, Apache-2.0) whose intent one
// of our checks covers. Used by test/analysis/panther.test.ts to measure
// agreement on Panther's own single-event test cases. Rules that look related
// but are deliberately not mapped are listed in PANTHER_NOT_MAPPED with why.

export interface PantherMapping {
  rule: string;
  checks: string[];
  note?: string;
}

export const PANTHER_MAP: PantherMapping[] = [
  // Persistence
  { rule: 'AWS.IAM.CreateUser', checks: ['persistence.iam-user-created'] },
  { rule: 'Standard.NewUserAccountCreated', checks: ['persistence.iam-user-created', 'persistence.identity-center-change'] },
  { rule: 'AWS.IAM.Backdoor.User.Keys', checks: ['persistence.iam-access-key-created-for-other-user'] },
  { rule: 'AWS.CloudTrail.RootAccessKeyCreated', checks: ['persistence.iam-access-key-created'], note: 'our self-created-key check rates a root key critical' },
  { rule: 'AWS.IAM.BackdoorRole', checks: ['persistence.iam-role-trust-outside'] },
  { rule: 'AWS.Lambda.UpdateFunctionCode', checks: ['persistence.lambda-code-updated'], note: 'Panther suppresses non-SSO role sessions with a console user agent as CI/CD; we do not model that allowlist' },
  { rule: 'AWS.Lambda.UpdateFunctionConfiguration', checks: ['persistence.lambda-layer-added'], note: 'same CI/CD allowlist difference as UpdateFunctionCode' },
  { rule: 'AWS.Potential.Backdoor.Lambda', checks: ['persistence.lambda-permission-wide'], note: 'Panther alerts on any AddPermission; we need a "*" or outside-account principal, or a record that does not name it (as in its tests)' },
  { rule: 'AWS.Suspicious.SAML.Activity', checks: ['persistence.iam-identity-provider-changed'] },
  { rule: 'AWS.CloudTrail.LoginProfileCreatedOrModified', checks: ['privilege-escalation.iam-login-profile-updated-other-user', 'persistence.iam-login-profile-created'] },
  { rule: 'AWS.User.Login.Profile.Modified', checks: ['privilege-escalation.iam-login-profile-updated-other-user'], note: 'Panther ignores changes that force a reset at next sign-in; we report them at medium' },
  // Privilege escalation
  { rule: 'AWS.IAM.AttachAdminUserPolicy', checks: ['privilege-escalation.iam-admin-policy-attached'] },
  { rule: 'AWS.IAM.AttachAdminRolePolicy', checks: ['privilege-escalation.iam-admin-policy-attached'] },
  { rule: 'AWS.EC2.Startup.Script.Change', checks: ['privilege-escalation.ec2-user-data-modified'] },
  // Defence evasion
  { rule: 'AWS.CloudTrail.Stopped', checks: ['defense-evasion.cloudtrail-stopped'] },
  { rule: 'AWS.CloudTrail.EventSelectorsDisabled', checks: ['defense-evasion.cloudtrail-selectors-reduced'] },
  {
    rule: 'AWS.CloudTrail.SecurityConfigurationChange',
    checks: ['defense-evasion.cloudtrail-stopped', 'defense-evasion.cloudtrail-trail-updated', 'defense-evasion.cloudtrail-selectors-reduced', 'defense-evasion.config-disabled', 'defense-evasion.guardduty-impaired', 'defense-evasion.securityhub-disabled'],
  },
  { rule: 'AWS.CloudTrail.ShortLifecycle', checks: ['defense-evasion.log-bucket-lifecycle'], note: 'all positive cases mock the "is this a CloudTrail bucket" lookup' },
  { rule: 'AWS.ConfigService.DisabledDeleted', checks: ['defense-evasion.config-disabled'] },
  { rule: 'AWS.CloudTrail.AttemptToLeaveOrg', checks: ['defense-evasion.organizations-leave'] },
  { rule: 'AWS.CloudTrail.DNSLogsDeleted', checks: ['defense-evasion.dns-query-logging-deleted'] },
  { rule: 'AWS.VPCFlow.LogsDeleted', checks: ['defense-evasion.vpc-flow-logs-deleted'] },
  { rule: 'AWS.S3.DisableBucketLogging', checks: ['defense-evasion.s3-access-logging-disabled'] },
  { rule: 'AWS.S3.SuspendVersioning', checks: ['impact.s3-versioning-weakened'] },
  { rule: 'AWS.S3.DisableMfaDelete', checks: ['impact.s3-versioning-weakened'] },
  { rule: 'AWS.S3.SecurityControlDisabling', checks: ['defense-evasion.s3-access-logging-disabled', 'impact.s3-versioning-weakened'] },
  { rule: 'AWS.S3.DeleteBucketEncryption', checks: ['defense-evasion.s3-default-encryption-deleted'] },
  { rule: 'AWS.S3.DeleteBucketReplication', checks: ['impact.s3-replication-deleted'] },
  { rule: 'AWS.Macie.Evasion', checks: ['defense-evasion.macie-disabled'] },
  // Data access and exfiltration
  { rule: 'AWS.CloudTrail.ResourceMadePublic', checks: ['exfiltration.resource-policy-opened', 'exfiltration.s3-acl-public'] },
  { rule: 'AWS.S3.DeletePublicAccessBlock', checks: ['exfiltration.s3-public-access-block-removed'] },
  { rule: 'AWS.CloudTrail.SnapshotMadePublic', checks: ['exfiltration.ebs-snapshot-shared'] },
  { rule: 'AWS.CloudTrail.AMIModifiedForPublicAccess', checks: ['exfiltration.ami-shared'] },
  { rule: 'AWS.RDS.SnapshotShared', checks: ['exfiltration.rds-snapshot-shared'] },
  { rule: 'AWS.RDS.InstanceMadePublic', checks: ['exfiltration.rds-made-public'] },
  { rule: 'AWS.RDS.PublicRestore', checks: ['exfiltration.rds-made-public'] },
  { rule: 'AWS.SecretsManager.BatchRetrieveSecrets', checks: ['credential-access.secrets-bulk-read'] },
  { rule: 'AWS.SecretsManager.BatchRetrieveSecretsCatchAll', checks: ['credential-access.secrets-bulk-read'], note: 'Panther wants the "!tag" catch-all filter; we count every BatchGetSecretValue as a bulk read' },
  { rule: 'AWS.SecretsManager.RetrieveSecretsMultiRegion', checks: ['credential-access.secrets-bulk-read'] },
  { rule: 'AWS.SSM.DecryptSSMParams', checks: ['credential-access.secrets-bulk-read'], note: 'positives mock a per-principal counter' },
  { rule: 'AWS.EC2.ManyPasswordReadAttempts', checks: ['credential-access.ec2-password-data'] },
  // Initial access, credential use, execution, lateral movement, discovery, impact
  { rule: 'AWS.Console.LoginWithoutMFA', checks: ['initial-access.console-login-without-mfa'], note: 'all cases mock a lookup' },
  { rule: 'AWS.Console.RootLogin', checks: ['initial-access.root-user-activity'] },
  { rule: 'AWS.Root.Activity', checks: ['initial-access.root-user-activity'], note: 'Panther also ignores some root calls (read-only listing, CreateServiceLinkedRole); CIS root-usage counts them' },
  { rule: 'AWS.CloudTrail.RootPasswordChanged', checks: ['initial-access.root-user-activity'] },
  { rule: 'AWS.CloudTrail.IMDSCredentialExfiltration', checks: ['credential-access.instance-credentials-used-outside'] },
  { rule: 'AWS.SSM.DistributedCommand', checks: ['execution.ssm-remote-command'], note: 'positives mock a per-principal instance counter' },
  { rule: 'AWS.EC2.MultiInstanceConnect', checks: ['lateral-movement.ec2-instance-connect'] },
  { rule: 'AWS.EC2.DownloadInstanceUserData', checks: ['discovery.ec2-user-data-read'] },
  { rule: 'AWS.EC2.LaunchUnusualEC2Instances', checks: ['impact.ec2-unusual-instances'], note: 'all cases mock a lookup' },
];

/** Related Panther rules we do not map, and why (so the mapping is not silently selective). */
export const PANTHER_NOT_MAPPED: Record<string, string> = {
  'AWS.CloudTrail.IAMEntityCreatedWithoutCloudFormation': 'intent is "created outside CloudFormation"; we report every IAM user creation',
  'AWS.IAM.CreateRole': 'any role creation; we only report roles trusting outsiders',
  'AWS.CloudTrail.UnauthorizedAPICall': 'single denied call; our access-denied check is a burst (volume) check that one event cannot trigger',
  'AWS.IAMUser.ReconAccessDenied': 'threshold rule tested on single events; our access-denied check is a volume check',
  'AWS.SecretsManager.RetrieveSecrets': 'single GetSecretValue; our secrets check needs many distinct secrets (volume)',
  'AWS.CloudTrail.PasswordSpraying': 'spraying across users; we report failures followed by a success for one user',
  'Standard.BruteForceByUser': 'failure counts only; we need a following success',
  'Standard.BruteForceByIP': 'failure counts per IP; we need a following success for one user',
  'AWS.Console.RootLoginFailed': 'failed root sign-in; our root check reports successful root use only',
  'AWS.EC2.ManualSecurityGroupChange': 'any manual ingress change; we report /0 on administration ports only',
  'AWS.EC2.SecurityGroupModified': 'any security group change; we report /0 on administration ports only',
  'AWS.CloudTrail.NetworkACLPermissiveEntry': 'network ACL entries are not covered',
  'AWS.S3.BucketPolicyModified': 'any ACL/policy change; we report public or outside grants only',
  'AWS.IAM.AccessKeyCompromised': 'AWS quarantine policy applied to a leaked key; not a check of ours',
  'AWS.CloudTrail.IAMCompromisedKeyQuarantine': 'AWS quarantine policy applied to a leaked key; not a check of ours',
};
