// Auth0's rules for custom claims, as the sandbox's own copy: which names a post-login Action may
// set with api.idToken.setCustomClaim / api.accessToken.setCustomClaim. A name the rules refuse is
// silently left out of the token: "In case of collisions, the transaction won't fail, but your
// custom claim won't be added to your tokens" (Auth0 docs, Create Custom Claims:
// auth0/docs-v2 main/docs/secure/tokens/json-web-tokens/create-custom-claims.mdx).

/** "The following claims are subject to Auth0's restrictions" (the page's list, in its order). */
export const RESTRICTED_CLAIMS = [
  'acr',
  'act',
  'active',
  'amr',
  'at_hash',
  'ath',
  'attest',
  'aud',
  'auth_time',
  'authorization_details',
  'azp',
  'c_hash',
  'client_id',
  'cnf',
  'cty',
  'dest',
  'entitlements',
  'events',
  'exp',
  'groups',
  'gty',
  'htm',
  'htu',
  'iat',
  'internalService',
  'iss',
  'jcard',
  'jku',
  'jti',
  'jwe',
  'jwk',
  'kid',
  'may_act',
  'mky',
  'nbf',
  'nonce',
  'object_id',
  'org_id',
  'org_name',
  'orig',
  'origid',
  'permissions',
  'roles',
  'rph',
  's_hash',
  'sid',
  'sip_callid',
  'sip_cseq_num',
  'sip_date',
  'sip_from_tag',
  'sip_via_branch',
  'sub',
  'sub_jwk',
  'toe',
  'txn',
  'typ',
  'uuid',
  'vot',
  'vtm',
  'x5t#S256',
];

/** "Auth0 domains cannot be used as namespace identifiers" (and their subdomains, assumption). */
export const AUTH0_NAMESPACE_HOSTS = ['auth0.com', 'webtask.io', 'webtask.run'];

/**
 * Whether Auth0 keeps a custom claim of this name. Since 2022-07-28 non-namespaced names are
 * allowed in ID tokens (Auth0 docs, Custom Claims Migration); refused are the restricted names,
 * a namespace on an Auth0 domain, and the reserved URN `urn:auth0`. In an access token for an
 * Auth0 API other than /userinfo a name must also be namespaced ("Access tokens with an Auth0 API
 * audience, excluding the /userinfo endpoint, cannot have private, non-namespaced custom claims").
 */
export function customClaimKept(name: string, o: { auth0ApiAccessToken?: boolean } = {}): boolean {
  if (RESTRICTED_CLAIMS.includes(name)) return false;
  if (/^urn:auth0(:|$)/i.test(name)) return false;
  const url = /^https?:\/\//i.test(name) ? URL.parse(name) : null;
  if (url) {
    const host = url.hostname.toLowerCase();
    return !AUTH0_NAMESPACE_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
  }
  const namespaced = /^urn:/i.test(name);
  return namespaced || !o.auth0ApiAccessToken;
}
