// The provider versions the export was written against (their resource docs and schemas are the
// evidence kept in test/fixtures/terraform/). `~>` on the minor version: HashiCorp's and Auth0's
// providers follow semantic versioning, so later 7.x and 1.x releases keep these attributes.
export const PROVIDERS = {
  google: {
    source: 'hashicorp/google',
    version: '~> 7.45',
    writtenAgainst: '7.45.0',
    // iap_enabled on google_cloud_run_v2_service reached the GA provider in 7.21.0; the google_iam_oauth_client*
    // resources in 6.25.0 and google_iap_web_cloud_run_service_iam_* in 6.31.0. google-beta is not needed.
  },
  auth0: { source: 'auth0/auth0', version: '~> 1.55', writtenAgainst: '1.55.0' },
} as const;

/** Import blocks arrived in Terraform 1.5. */
export const TERRAFORM_VERSION = '>= 1.5.0';
