// Claims the sandbox's Auth0 tenant adds on its own, as its own copy of the fact.

/**
 * The namespaced custom claim carrying a user's groups. On a real tenant a post-login Action adds
 * it with `api.idToken.setCustomClaim('https://…/groups', …)`: Auth0 silently drops a bare
 * `groups` claim, so the name must be namespaced (auth0.md section 5). The sandbox's tenant stands
 * in for that Action with the namespace iap-auth0 documents (docs/SANDBOX.md, "Auth0").
 */
export const GROUPS_CLAIM = 'https://iap-auth0.dev/groups';
