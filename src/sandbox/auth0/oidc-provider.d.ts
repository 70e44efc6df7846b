// oidc-provider ships no TypeScript declarations (and @types/oidc-provider is not installed):
// the small surface the sandbox uses, typed loosely.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type KoaContext = any;
  export type Next = () => Promise<void>;

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    use(fn: (ctx: KoaContext, next: Next) => Promise<void> | void): this;
    on(event: string, listener: (...args: any[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<any>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    readonly Interaction: any;
    readonly Grant: any;
    readonly Client: any;
    readonly Session: any;
  }
  export const errors: Record<
    string,
    new (
      description?: string,
      detail?: string,
    ) => Error & { error: string; error_description?: string; status: number; statusCode: number }
  >;
  export default Provider;
}
