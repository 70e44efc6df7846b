// Why an IAP assertion was refused, as a code an app can branch on and a sentence it can log.

export type IapAssertionErrorCode =
  | 'missing' // no x-goog-iap-jwt-assertion header: the request did not come through IAP
  | 'malformed' // not a compact JWS
  | 'wrong_algorithm' // anything but ES256 (alg none, HS256 signed with the public key, RS256…)
  | 'unknown_key' // kid not in IAP's key set, even after a refresh
  | 'bad_signature' // signed by someone else, or tampered with
  | 'expired' // exp in the past (beyond the clock tolerance)
  | 'not_yet_valid' // iat or nbf in the future (beyond the clock tolerance)
  | 'wrong_issuer' // iss is not exactly https://cloud.google.com/iap
  | 'wrong_audience' // aud is not exactly the expected audience
  | 'missing_claim' // exp, iat or sub absent
  | 'keys_unavailable' // the key set could not be fetched
  | 'misconfigured'; // the verifier itself is set up wrongly (no audience, a dev key set where it must not be)

export class IapAssertionError extends Error {
  override readonly name = 'IapAssertionError';
  constructor(
    readonly code: IapAssertionErrorCode,
    message: string,
  ) {
    super(message);
  }
}
