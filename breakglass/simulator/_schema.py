"""What Graph knows about each resource type: property names, default property sets.

``$select`` is checked against these lists, so a misspelt property is a 400 as in Graph.
The lists are the v1.0 model of msgraph-sdk 1.65 (structural and navigation properties)
plus the beta-only sign-in fields; a scenario's own keys are added at run time, so real
payloads that carry newer properties stay selectable.
"""

from __future__ import annotations

__all__ = [
    "BETA_SIGNIN_FIELDS",
    "DEFAULT_USER_PROPERTIES",
    "DIRECTORY_TYPES",
    "KNOWN_PROPERTIES",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Properties per type name (without the ``microsoft.graph.`` prefix).
KNOWN_PROPERTIES: dict[str, frozenset[str]] = {
    "user": _words(
        "aboutMe accountEnabled activities adhocCalls ageGroup agreementAcceptances "
        "appRoleAssignments assignedLicenses assignedPlans authentication authorizationInfo "
        "birthday businessPhones calendar calendarGroups calendarView calendars chats city "
        "cloudClipboard cloudPCs companyName consentProvidedForMinor contactFolders contacts "
        "country createdDateTime createdObjects creationType customSecurityAttributes "
        "dataSecurityAndGovernance deletedDateTime department deviceEnrollmentLimit "
        "deviceManagementTroubleshootingEvents directReports displayName drive drives "
        "employeeExperience employeeHireDate employeeId employeeLeaveDateTime employeeOrgData "
        "employeeType events extensions externalUserState externalUserStateChangeDateTime "
        "faxNumber followedSites givenName hireDate id identities identityParentId "
        "imAddresses inferenceClassification insights interests isManagementRestricted "
        "isResourceAccount jobTitle joinedTeams lastPasswordChangeDateTime "
        "legalAgeGroupClassification licenseAssignmentStates licenseDetails mail mailFolders "
        "mailNickname mailboxSettings managedAppRegistrations managedDevices manager memberOf "
        "messages mobilePhone mySite notes oauth2PermissionGrants officeLocation "
        "onPremisesDistinguishedName onPremisesDomainName onPremisesExtensionAttributes "
        "onPremisesImmutableId onPremisesLastSyncDateTime onPremisesProvisioningErrors "
        "onPremisesSamAccountName onPremisesSecurityIdentifier onPremisesSyncBehavior "
        "onPremisesSyncEnabled onPremisesUserPrincipalName onenote onlineMeetings otherMails "
        "outlook ownedDevices ownedObjects passwordPolicies passwordProfile pastProjects "
        "people permissionGrants photo photos planner postalCode preferredDataLocation "
        "preferredLanguage preferredName presence print provisionedPlans proxyAddresses "
        "registeredDevices responsibilities schools scopedRoleMemberOf securityIdentifier "
        "serviceProvisioningErrors settings showInAddressList signInActivity "
        "signInSessionsValidFromDateTime skills solutions sponsorOf sponsors state "
        "streetAddress surname teamwork todo transitiveMemberOf usageLocation "
        "userPrincipalName userType "
    ),
    "group": _words(
        "acceptedSenders accessType allowExternalSenders appRoleAssignments assignedLabels "
        "assignedLicenses autoSubscribeNewMembers calendar calendarView classification "
        "conversations createdDateTime createdOnBehalfOf deletedDateTime description "
        "displayName drive drives events expirationDateTime extensions groupLifecyclePolicies "
        "groupTypes hasMembersWithLicenseErrors hideFromAddressLists hideFromOutlookClients "
        "id infoCatalogs isArchived isAssignableToRole isFavorite isManagementRestricted "
        "isSubscribedByMail licenseProcessingState mail mailEnabled mailNickname memberOf "
        "members membersWithLicenseErrors membershipRule membershipRuleProcessingState "
        "onPremisesDomainName onPremisesExtensionAttributes onPremisesLastSyncDateTime "
        "onPremisesNetBiosName onPremisesProvisioningErrors onPremisesSamAccountName "
        "onPremisesSecurityIdentifier onPremisesSyncBehavior onPremisesSyncEnabled onenote "
        "organizationId owners permissionGrants photo photos planner preferredDataLocation "
        "preferredLanguage proxyAddresses rejectedSenders renewedDateTime "
        "resourceBehaviorOptions resourceProvisioningOptions securityEnabled "
        "securityIdentifier serviceProvisioningErrors settings sites team theme threads "
        "transitiveMemberOf transitiveMembers uniqueName unseenConversationsCount unseenCount "
        "unseenMessagesCount visibility welcomeMessageEnabled "
    ),
    "organization": _words(
        "assignedPlans branding businessPhones certificateBasedAuthConfiguration city country "
        "countryLetterCode createdDateTime defaultUsageLocation deletedDateTime displayName "
        "extensions id marketingNotificationEmails mobileDeviceManagementAuthority "
        "onPremisesLastSyncDateTime onPremisesSyncEnabled partnerTenantType postalCode "
        "preferredLanguage privacyProfile provisionedPlans "
        "securityComplianceNotificationMails securityComplianceNotificationPhones state "
        "street technicalNotificationMails tenantType verifiedDomains "
    ),
    "servicePrincipal": _words(
        "accountEnabled addIns alternativeNames appDescription appDisplayName appId "
        "appManagementPolicies appOwnerOrganizationId appRoleAssignedTo appRoleAssignmentRequired "
        "appRoleAssignments appRoles applicationTemplateId claimsMappingPolicies "
        "createdObjects customSecurityAttributes delegatedPermissionClassifications "
        "deletedDateTime description disabledByMicrosoftStatus displayName endpoints "
        "federatedIdentityCredentials homeRealmDiscoveryPolicies homepage id info keyCredentials "
        "loginUrl logoutUrl memberOf notes notificationEmailAddresses oauth2PermissionGrants "
        "oauth2PermissionScopes ownedObjects owners passwordCredentials "
        "preferredSingleSignOnMode preferredTokenSigningKeyThumbprint remoteDesktopSecurityConfiguration "
        "replyUrls resourceSpecificApplicationPermissions samlSingleSignOnSettings "
        "servicePrincipalNames servicePrincipalType signInAudience synchronization tags "
        "tokenEncryptionKeyId tokenIssuancePolicies tokenLifetimePolicies transitiveMemberOf "
        "verifiedPublisher "
    ),
    "device": _words(
        "accountEnabled alternativeSecurityIds approximateLastSignInDateTime "
        "complianceExpirationDateTime deletedDateTime deviceCategory deviceId deviceMetadata "
        "deviceOwnership deviceVersion displayName enrollmentProfileName enrollmentType "
        "extensionAttributes extensions id isCompliant isManaged isManagementRestricted "
        "isRooted managementType manufacturer mdmAppId memberOf model "
        "onPremisesLastSyncDateTime onPremisesSecurityIdentifier onPremisesSyncEnabled "
        "operatingSystem operatingSystemVersion physicalIds profileType registeredOwners "
        "registeredUsers registrationDateTime systemLabels transitiveMemberOf trustType "
    ),
    "domain": _words(
        "authenticationType availabilityStatus domainNameReferences federationConfiguration id "
        "isAdminManaged isDefault isInitial isRoot isVerified manufacturer model "
        "passwordNotificationWindowInDays passwordValidityPeriodInDays rootDomain "
        "serviceConfigurationRecords state supportedServices verificationDnsRecords "
    ),
    "signIn": _words(
        "appDisplayName appId appliedConditionalAccessPolicies authenticationAppDeviceDetails "
        "clientAppUsed conditionalAccessStatus correlationId createdDateTime deviceDetail "
        "homeTenantId id ipAddress isInteractive location resourceDisplayName resourceId "
        "resourceTenantId riskDetail riskEventTypes riskEventTypes_v2 riskLevelAggregated "
        "riskLevelDuringSignIn riskState servicePrincipalId servicePrincipalName status "
        "userAgent userDisplayName userId userPrincipalName "
    ),
    "directoryAudit": _words(
        "activityDateTime activityDisplayName additionalDetails category correlationId id "
        "initiatedBy loggedByService operationType result resultReason targetResources "
    ),
    "conditionalAccessPolicy": _words(
        "conditions createdDateTime deletedDateTime description displayName grantControls id "
        "modifiedDateTime sessionControls state templateId "
    ),
    "unifiedRoleDefinition": _words(
        "description displayName id inheritsPermissionsFrom isBuiltIn isEnabled "
        "resourceScopes rolePermissions templateId version "
    ),
    "unifiedRoleAssignment": _words(
        "appScope appScopeId condition directoryScope directoryScopeId id principal "
        "principalId principalOrganizationId roleDefinition roleDefinitionId "
    ),
    "unifiedRoleAssignmentScheduleInstance": _words(
        "activatedUsing appScope appScopeId assignmentType directoryScope directoryScopeId "
        "endDateTime id memberType principal principalId roleAssignmentOriginId "
        "roleAssignmentScheduleId roleDefinition roleDefinitionId startDateTime "
    ),
    "unifiedRoleEligibilityScheduleInstance": _words(
        "appScope appScopeId directoryScope directoryScopeId endDateTime id memberType "
        "principal principalId roleDefinition roleDefinitionId roleEligibilityScheduleId "
        "startDateTime "
    ),
    "unifiedRoleManagementPolicy": _words(
        "description displayName effectiveRules id isOrganizationDefault lastModifiedBy "
        "lastModifiedDateTime rules scopeId scopeType "
    ),
    "unifiedRoleManagementPolicyAssignment": _words(
        "id policy policyId roleDefinitionId scopeId scopeType "
    ),
    "directoryRole": _words(
        "deletedDateTime description displayName id members roleTemplateId scopedMembers "
    ),
    "authenticationMethodConfiguration": _words(
        "defaultPasskeyProfile excludeTargets id includeTargets isAttestationEnforced "
        "isSelfServiceRegistrationAllowed keyRestrictions passkeyProfiles state "
    ),
    "authenticationMethod": _words(
        "id createdDateTime creationDateTime displayName aaGuid model attestationCertificates "
        "attestationLevel passkeyType phoneNumber phoneType smsSignInState deviceTag "
        "phoneAppVersion clientAppName emailAddress keyStrength isUsable isUsableOnce "
        "lifetimeInMinutes methodUsabilityReason startDateTime lastUsedDateTime password "
        "secretKey serialNumber manufacturer issuer subjectName certificateUserIds "
        "platform device"
    ),
}

#: Directory object types: their errors use the ``Request_*`` codes of the directory service.
DIRECTORY_TYPES = frozenset(
    {
        "user",
        "group",
        "organization",
        "directoryRole",
        "directoryObject",
        "servicePrincipal",
        "device",
        "domain",
    }
)

#: What ``GET /users/{id}`` returns without ``$select`` (Graph's documented default set):
#: no accountEnabled, signInActivity, onPremises* or assignedLicenses.
DEFAULT_USER_PROPERTIES: tuple[str, ...] = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)

#: signIn fields that exist only in beta; v1.0 never serves them.
BETA_SIGNIN_FIELDS = _words(
    "authenticationRequirement authenticationDetails signInEventTypes authenticationMethodsUsed "
    "userType crossTenantAccessType originalRequestId authenticationProtocol incomingTokenType "
    "isTenantRestricted tokenIssuerName tokenIssuerType uniqueTokenIdentifier "
    "sessionLifetimePolicies authenticationContextClassReferences autonomousSystemNumber "
    "clientCredentialType conditionalAccessAudiences federatedCredentialId flaggedForReview "
    "homeTenantName ipAddressFromResourceProvider isThroughGlobalSecureAccess "
    "managedServiceIdentity mfaDetail networkLocationDetails privateLinkDetails "
    "processingTimeInMilliseconds resourceServicePrincipalId servicePrincipalCredentialKeyId "
    "servicePrincipalCredentialThumbprint signInIdentifier signInIdentifierType "
    "signInTokenProtectionStatus tokenProtectionStatusDetails "
    "appOwnerTenantId resourceOwnerTenantId authenticationProcessingDetails "
    "globalSecureAccessIpAddress appTokenProtectionStatus sessionId"
)
#: Mixed collections (members, memberOf) accept any property of the types they hold.
KNOWN_PROPERTIES["directoryObject"] = (
    KNOWN_PROPERTIES["user"]
    | KNOWN_PROPERTIES["group"]
    | KNOWN_PROPERTIES["directoryRole"]
    | KNOWN_PROPERTIES["servicePrincipal"]
    | KNOWN_PROPERTIES["device"]
)
KNOWN_PROPERTIES["signInBeta"] = KNOWN_PROPERTIES["signIn"] | BETA_SIGNIN_FIELDS
