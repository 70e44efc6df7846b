// A client for the four IAP v1 methods iap-auth0 calls. Google publishes no per-API npm package
// for IAP, and the monolithic `googleapis` costs ~210 MB installed, so this file does what the
// generated clients do, on the same runtime: googleapis-common's createAPIRequest with the
// discovery document's paths (iap.v1: v1/{+name}:iapSettings, v1/{+resource}:getIamPolicy, ...).
// Auth, retries off, headers, error objects (GaxiosError) and URL building are therefore the
// same as for the generated clients.
import { createAPIRequest, type APIRequestContext, type GlobalOptions } from 'googleapis-common';

export interface IapSettings {
  name?: string;
  accessSettings?: {
    identitySources?: string[];
    workforceIdentitySettings?: {
      workforcePools?: string[];
      oauth2?: { clientId?: string; clientSecret?: string; clientSecretSha256?: string };
    };
    [k: string]: unknown;
  };
  applicationSettings?: Record<string, unknown>;
}
/** Shaped like the generated clients' Schema$Policy (nullable fields), so one policy type fits every API. */
export interface IamPolicy {
  version?: number | null;
  etag?: string | null;
  bindings?: {
    role?: string | null;
    members?: string[] | null;
    condition?: {
      title?: string | null;
      description?: string | null;
      expression?: string | null;
      location?: string | null;
    };
  }[];
}

export class IapClient {
  private readonly context: APIRequestContext;
  constructor(options: GlobalOptions) {
    // No `google` (the monolithic package's options): createAPIRequest then uses these options alone.
    this.context = { _options: options };
  }

  private request<T>(
    method: 'GET' | 'PATCH' | 'POST',
    path: string,
    pathParam: 'name' | 'resource',
    params: Record<string, unknown>,
  ) {
    const rootUrl = (this.context._options.rootUrl as string | undefined) || 'https://iap.googleapis.com/';
    return createAPIRequest<T>({
      options: { url: (rootUrl + path).replace(/([^:]\/)\/+/g, '$1'), method, apiVersion: '' },
      params,
      requiredParams: [pathParam],
      pathParams: [pathParam],
      context: this.context,
    });
  }

  /** GET v1/{+name}:iapSettings */
  getIapSettings(params: { name: string }) {
    return this.request<IapSettings>('GET', '/v1/{+name}:iapSettings', 'name', params);
  }
  /** PATCH v1/{+name}:iapSettings?updateMask=… (no mask replaces every setting). */
  updateIapSettings(params: { name: string; updateMask?: string; requestBody: IapSettings }) {
    return this.request<IapSettings>('PATCH', '/v1/{+name}:iapSettings', 'name', params);
  }
  /** POST v1/{+resource}:getIamPolicy (POST with a body, unlike Cloud Run). */
  getIamPolicy(params: { resource: string; requestBody?: { options?: { requestedPolicyVersion?: number } } }) {
    return this.request<IamPolicy>('POST', '/v1/{+resource}:getIamPolicy', 'resource', params);
  }
  /** POST v1/{+resource}:setIamPolicy */
  setIamPolicy(params: { resource: string; requestBody: { policy: IamPolicy; updateMask?: string } }) {
    return this.request<IamPolicy>('POST', '/v1/{+resource}:setIamPolicy', 'resource', params);
  }
}
