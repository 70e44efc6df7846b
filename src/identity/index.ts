// `iap-auth0/identity`, kept for apps that imported it from the CLI's package: the library itself is the
// iap-auth0-identity package (packages/identity/), which an app can install alone (jose only, under 1 MB).
export * from 'iap-auth0-identity';
