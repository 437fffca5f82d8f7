"""The vendor's responses, as typed dictionaries.

Generated from the core's response types by `core/tests/docs.rs` (`UPDATE_DOCS=1 cargo test
-p kms-share-core --test docs`); do not edit. An absent optional field is left out of a
response, so every key may be missing. `RESPONSES` names the class of each action's
response: `typing.cast(vendor_types.KeyMetadataResponse, org.call(...))`.
"""

from __future__ import annotations

from typing import Any, Dict, List, TypedDict


class ResourceDirectoryResponse(TypedDict, total=False):
    ResourceDirectory: ResourceDirectoryInfo


class ResourceDirectoryInfo(TypedDict, total=False):
    MasterAccountId: str
    MasterAccountName: str
    ResourceDirectoryId: str
    RootFolderId: str


class FolderResponse(TypedDict, total=False):
    Folder: FolderInfo


class FolderInfo(TypedDict, total=False):
    FolderId: str
    FolderName: str
    ParentFolderId: str


class AccountResponse(TypedDict, total=False):
    Account: AccountInfo


class AccountInfo(TypedDict, total=False):
    AccountId: str
    AccountName: str
    DisplayName: str
    FolderId: str
    JoinMethod: str
    ResourceDirectoryId: str
    Status: str
    Type: str


class HandshakeResponse(TypedDict, total=False):
    Handshake: HandshakeInfo


class HandshakeInfo(TypedDict, total=False):
    HandshakeId: str
    MasterAccountId: str
    Note: str
    ResourceDirectoryId: str
    Status: str
    TargetEntity: str
    TargetType: str


class EmptyResponse(TypedDict, total=False):
    pass


class GetResourceDirectoryResponse(TypedDict, total=False):
    ResourceDirectory: ResourceDirectoryInfo


class ListAccountsResponse(TypedDict, total=False):
    Accounts: AccountItems
    PageNumber: int
    PageSize: int
    TotalCount: int


class AccountItems(TypedDict, total=False):
    Account: List[AccountInfo]


class ListFoldersResponse(TypedDict, total=False):
    Folders: FolderItems
    PageNumber: int
    PageSize: int
    TotalCount: int


class FolderItems(TypedDict, total=False):
    Folder: List[FolderInfo]


class GetAccountResponse(TypedDict, total=False):
    Account: AccountInfo


class GetFolderResponse(TypedDict, total=False):
    Folder: FolderInfo


class ListHandshakesResponse(TypedDict, total=False):
    Handshakes: HandshakeItems
    PageNumber: int
    PageSize: int
    TotalCount: int


class HandshakeItems(TypedDict, total=False):
    Handshake: List[HandshakeInfo]


class CreateResourceShareResponse(TypedDict, total=False):
    ResourceShare: ResourceShareInfo


class ResourceShareInfo(TypedDict, total=False):
    AllowExternalTargets: bool
    ResourceShareId: str
    ResourceShareName: str
    ResourceShareOwner: str
    ResourceShareStatus: str


class ResourceShareAssociationsResponse(TypedDict, total=False):
    ResourceShareAssociations: List[ResourceShareAssociation]


class ResourceShareAssociation(TypedDict, total=False):
    AssociationStatus: str
    AssociationStatusMessage: str
    AssociationType: str
    EntityId: str
    EntityType: str
    ResourceArn: str
    ResourceProperty: str
    ResourceShareId: str
    ResourceShareName: str
    UpdateTime: str


class ListResourceSharesResponse(TypedDict, total=False):
    NextToken: str
    ResourceShares: List[ResourceShareInfo]


class ListResourceShareAssociationsResponse(TypedDict, total=False):
    NextToken: str
    ResourceShareAssociations: List[ResourceShareAssociation]


class ListSharedResourcesResponse(TypedDict, total=False):
    NextToken: str
    SharedResources: List[SharedResource]


class SharedResource(TypedDict, total=False):
    ResourceArn: str
    ResourceId: str
    ResourceShareId: str
    ResourceStatus: str
    ResourceType: str
    UpdateTime: str


class ListSharedTargetsResponse(TypedDict, total=False):
    NextToken: str
    SharedTargets: List[SharedTarget]


class SharedTarget(TypedDict, total=False):
    External: bool
    ResourceShareId: str
    TargetId: str
    UpdateTime: str


class ListPermissionsResponse(TypedDict, total=False):
    NextToken: str
    Permissions: List[PermissionItem]


class PermissionItem(TypedDict, total=False):
    DefaultPermission: bool
    DefaultVersion: bool
    PermissionName: str
    PermissionVersion: str
    ResourceType: str


class UserResponse(TypedDict, total=False):
    User: UserInfo


class UserInfo(TypedDict, total=False):
    UserName: str


class RoleResponse(TypedDict, total=False):
    Role: RoleInfo


class RoleInfo(TypedDict, total=False):
    Arn: str
    RoleName: str


class PolicyResponse(TypedDict, total=False):
    Policy: PolicyInfo


class PolicyInfo(TypedDict, total=False):
    DefaultVersion: str
    PolicyName: str
    PolicyType: str


class ListUsersResponse(TypedDict, total=False):
    IsTruncated: bool
    Marker: str
    Users: UserItems


class UserItems(TypedDict, total=False):
    User: List[UserInfo]


class ListRolesResponse(TypedDict, total=False):
    IsTruncated: bool
    Marker: str
    Roles: RoleItems


class RoleItems(TypedDict, total=False):
    Role: List[RoleInfo]


class ListPoliciesResponse(TypedDict, total=False):
    IsTruncated: bool
    Marker: str
    Policies: PolicyItems


class PolicyItems(TypedDict, total=False):
    Policy: List[PolicyInfo]


class GetPolicyResponse(TypedDict, total=False):
    DefaultPolicyVersion: PolicyVersionInfo
    Policy: PolicyInfo
    PolicyVersion: PolicyVersionInfo


class PolicyVersionInfo(TypedDict, total=False):
    IsDefaultVersion: bool
    PolicyDocument: str
    VersionId: str


class GetKmsInstanceResponse(TypedDict, total=False):
    KmsInstance: KmsInstance


class KmsInstance(TypedDict, total=False):
    BindVpcs: BindVpcs
    InstanceId: str
    InstanceName: str
    KeyNum: int
    SecretNum: str
    Status: str
    VpcNum: int


class BindVpcs(TypedDict, total=False):
    BindVpc: List[BindVpc]


class BindVpc(TypedDict, total=False):
    RegionId: str
    VpcId: str
    VpcOwnerId: str


class CreateApplicationAccessPointResponse(TypedDict, total=False):
    Arn: str
    AuthenticationMethod: str
    Description: str
    Name: str


class ListKmsInstancesResponse(TypedDict, total=False):
    KmsInstances: InstanceItems
    PageNumber: int
    PageSize: int
    TotalCount: int


class InstanceItems(TypedDict, total=False):
    KmsInstance: List[InstanceItem]


class InstanceItem(TypedDict, total=False):
    KmsInstanceArn: str
    KmsInstanceId: str


class QuotaInfosResponse(TypedDict, total=False):
    KmsInstanceId: str
    KmsInstanceQuotaInfos: List[QuotaInfo]


class QuotaInfo(TypedDict, total=False):
    ResourceQuota: int
    ResourceType: str
    UsedQuantity: int


class KeyMetadataResponse(TypedDict, total=False):
    KeyMetadata: KeyMetadata


class KeyMetadata(TypedDict, total=False):
    Arn: str
    AutomaticRotation: str
    CreationDate: str
    Creator: str
    DKMSInstanceId: str
    DeleteDate: str
    DeletionProtection: str
    DeletionProtectionDescription: str
    Description: str
    KeyId: str
    KeySpec: str
    KeyState: str
    KeyUsage: str
    LastRotationDate: str
    NextRotationDate: str
    Origin: str
    PrimaryKeyVersion: str
    ProtectionLevel: str
    RotationInterval: str


class KeyVersionResponse(TypedDict, total=False):
    KeyVersion: KeyVersionInfo


class KeyVersionInfo(TypedDict, total=False):
    CreationDate: str
    KeyId: str
    KeyVersionId: str


class ListKeysResponse(TypedDict, total=False):
    Keys: KeyItems
    PageNumber: int
    PageSize: int
    TotalCount: int


class KeyItems(TypedDict, total=False):
    Key: List[KeyItem]


class KeyItem(TypedDict, total=False):
    KeyArn: str
    KeyId: str


class ListResourceTagsResponse(TypedDict, total=False):
    Tags: KeyTags


class KeyTags(TypedDict, total=False):
    Tag: List[KeyTag]


class KeyTag(TypedDict, total=False):
    KeyId: str
    TagKey: str
    TagValue: str


class ListKeyVersionsResponse(TypedDict, total=False):
    KeyVersions: KeyVersionItems
    PageNumber: int
    PageSize: int
    TotalCount: int


class KeyVersionItems(TypedDict, total=False):
    KeyVersion: List[KeyVersionInfo]


class ListAliasesResponse(TypedDict, total=False):
    Aliases: AliasItems
    PageNumber: int
    PageSize: int
    TotalCount: int


class AliasItems(TypedDict, total=False):
    Alias: List[AliasItem]


class AliasItem(TypedDict, total=False):
    AliasArn: str
    AliasName: str
    KeyId: str


class CiphertextResponse(TypedDict, total=False):
    CiphertextBlob: str
    KeyId: str
    KeyVersionId: str
    Plaintext: str


class DecryptResponse(TypedDict, total=False):
    KeyId: str
    KeyVersionId: str
    Plaintext: str


class CreateSecretResponse(TypedDict, total=False):
    Arn: str
    AutomaticRotation: str
    DKMSInstanceId: str
    SecretName: str
    SecretType: str
    VersionId: str


class GetSecretValueResponse(TypedDict, total=False):
    AutomaticRotation: str
    CreateTime: str
    RotationInterval: str
    SecretData: str
    SecretDataType: str
    SecretName: str
    SecretType: str
    VersionId: str
    VersionStages: VersionStages


class VersionStages(TypedDict, total=False):
    VersionStage: List[str]


class PutSecretValueResponse(TypedDict, total=False):
    SecretName: str
    VersionId: str
    VersionStages: VersionStages


class DescribeSecretResponse(TypedDict, total=False):
    Arn: str
    AutomaticRotation: str
    CreateTime: str
    DKMSInstanceId: str
    Description: str
    EncryptionKeyId: str
    PlannedDeleteTime: str
    RotationInterval: str
    SecretName: str
    SecretType: str
    Tags: KmsTags
    UpdateTime: str


class KmsTags(TypedDict, total=False):
    Tag: List[KmsTag]


class KmsTag(TypedDict, total=False):
    TagKey: str
    TagValue: str


class DeleteSecretResponse(TypedDict, total=False):
    PlannedDeleteTime: str
    SecretName: str


class SecretNameResponse(TypedDict, total=False):
    SecretName: str


class ListSecretsResponse(TypedDict, total=False):
    PageNumber: int
    PageSize: int
    SecretList: SecretItems
    TotalCount: int


class SecretItems(TypedDict, total=False):
    Secret: List[SecretItem]


class SecretItem(TypedDict, total=False):
    CreateTime: str
    PlannedDeleteTime: str
    SecretName: str
    SecretType: str
    Tags: KmsTags


class ListSecretVersionIdsResponse(TypedDict, total=False):
    PageNumber: int
    PageSize: int
    SecretName: str
    TotalCount: int
    VersionIds: SecretVersionItems


class SecretVersionItems(TypedDict, total=False):
    VersionId: List[SecretVersionItem]


class SecretVersionItem(TypedDict, total=False):
    CreateTime: str
    VersionId: str
    VersionStages: VersionStages


class LookupEventsResponse(TypedDict, total=False):
    Events: List[Any]
    NextToken: str


#: The class of each vendor action's response, by the vendor's action name.
RESPONSES: Dict[str, str] = {
    "EnableResourceDirectory": "ResourceDirectoryResponse",
    "CreateFolder": "FolderResponse",
    "CreateResourceAccount": "AccountResponse",
    "InviteAccountToResourceDirectory": "HandshakeResponse",
    "AcceptHandshake": "HandshakeResponse",
    "DeclineHandshake": "HandshakeResponse",
    "MoveAccount": "EmptyResponse",
    "GetResourceDirectory": "GetResourceDirectoryResponse",
    "ListAccounts": "ListAccountsResponse",
    "ListAccountsForParent": "ListAccountsResponse",
    "ListFoldersForParent": "ListFoldersResponse",
    "GetAccount": "GetAccountResponse",
    "GetFolder": "GetFolderResponse",
    "ListHandshakesForResourceDirectory": "ListHandshakesResponse",
    "EnableSharingWithResourceDirectory": "EmptyResponse",
    "CreateResourceShare": "CreateResourceShareResponse",
    "AssociateResourceShare": "ResourceShareAssociationsResponse",
    "DisassociateResourceShare": "ResourceShareAssociationsResponse",
    "DeleteResourceShare": "EmptyResponse",
    "AssociateResourceSharePermission": "EmptyResponse",
    "DisassociateResourceSharePermission": "EmptyResponse",
    "ListResourceShares": "ListResourceSharesResponse",
    "ListResourceShareAssociations": "ListResourceShareAssociationsResponse",
    "ListSharedResources": "ListSharedResourcesResponse",
    "ListSharedTargets": "ListSharedTargetsResponse",
    "ListResourceSharePermissions": "ListPermissionsResponse",
    "ListPermissions": "ListPermissionsResponse",
    "CreateUser": "UserResponse",
    "CreateRole": "RoleResponse",
    "CreatePolicy": "PolicyResponse",
    "AttachPolicyToUser": "EmptyResponse",
    "AttachPolicyToRole": "EmptyResponse",
    "DetachPolicyFromUser": "EmptyResponse",
    "DetachPolicyFromRole": "EmptyResponse",
    "ListUsers": "ListUsersResponse",
    "ListRoles": "ListRolesResponse",
    "ListPolicies": "ListPoliciesResponse",
    "GetPolicy": "GetPolicyResponse",
    "GetPolicyVersion": "GetPolicyResponse",
    "ListPoliciesForUser": "ListPoliciesResponse",
    "ListPoliciesForRole": "ListPoliciesResponse",
    "GetKmsInstance": "GetKmsInstanceResponse",
    "CreateApplicationAccessPoint": "CreateApplicationAccessPointResponse",
    "ListKmsInstances": "ListKmsInstancesResponse",
    "GetKmsInstanceQuotaInfos": "QuotaInfosResponse",
    "UpdateKmsInstanceBindVpc": "EmptyResponse",
    "CreateKey": "KeyMetadataResponse",
    "DescribeKey": "KeyMetadataResponse",
    "EnableKey": "EmptyResponse",
    "DisableKey": "EmptyResponse",
    "CreateKeyVersion": "KeyVersionResponse",
    "UpdateRotationPolicy": "EmptyResponse",
    "ScheduleKeyDeletion": "EmptyResponse",
    "CancelKeyDeletion": "EmptyResponse",
    "SetDeletionProtection": "EmptyResponse",
    "CreateAlias": "EmptyResponse",
    "DeleteAlias": "EmptyResponse",
    "TagResource": "EmptyResponse",
    "UntagResource": "EmptyResponse",
    "ListKeys": "ListKeysResponse",
    "DescribeKeyVersion": "KeyVersionResponse",
    "ListResourceTags": "ListResourceTagsResponse",
    "ListKeyVersions": "ListKeyVersionsResponse",
    "ListAliases": "ListAliasesResponse",
    "ListAliasesByKeyId": "ListAliasesResponse",
    "Encrypt": "CiphertextResponse",
    "Decrypt": "DecryptResponse",
    "GenerateDataKey": "CiphertextResponse",
    "GenerateDataKeyWithoutPlaintext": "CiphertextResponse",
    "ReEncrypt": "CiphertextResponse",
    "CreateSecret": "CreateSecretResponse",
    "GetSecretValue": "GetSecretValueResponse",
    "PutSecretValue": "PutSecretValueResponse",
    "DescribeSecret": "DescribeSecretResponse",
    "DeleteSecret": "DeleteSecretResponse",
    "RestoreSecret": "SecretNameResponse",
    "UpdateSecretRotationPolicy": "SecretNameResponse",
    "ListSecrets": "ListSecretsResponse",
    "ListSecretVersionIds": "ListSecretVersionIdsResponse",
    "LookupEvents": "LookupEventsResponse",
}
