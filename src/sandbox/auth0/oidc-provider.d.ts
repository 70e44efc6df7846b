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
    /** The claims filter behind ID tokens and /userinfo (its prototype's `result` is wrapped in oidc.ts). */
    readonly Claims: any;
  }
  export const interactionPolicy: {
    base(): any[] & { add(prompt: any, index?: number): void };
    Prompt: new (options: { name: string; requestable?: boolean }, ...checks: any[]) => any;
    Check: new (reason: string, description: string, check: (ctx: KoaContext) => Promise<boolean> | boolean) => any;
  };
  export const errors: Record<
    string,
    new (
      description?: string,
      detail?: string,
    ) => Error & { error: string; error_description?: string; status: number; statusCode: number }
  >;
  export default Provider;
}
