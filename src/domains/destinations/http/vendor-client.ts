import { sendRequest, SWITCHYARD_VERSION, type HttpExchange, type HttpMethod } from '../../deliveries/http/send-request.ts';
import { maskedHeaders } from '../../secrets/masking.ts';
import { isOnBase, type VendorBase } from '../vendor-urls.ts';

const USER_AGENT = `Switchyard/${SWITCHYARD_VERSION}`;

/**
 * Most bytes of a vendor's answer read. Vendors' answers are parsed whole (a Mailchimp batch
 * lists each member's outcome), and they come from the configured vendor hosts only, so the cap
 * is higher than a webhook receiver's: 1 MiB, or `SWITCHYARD_MAX_RESPONSE_BYTES` if larger.
 */
const VENDOR_RESPONSE_BYTES = 1024 * 1024;

export interface VendorCall {
  method: HttpMethod;
  url: string;
  /** The URL as attempts show it, credentials masked; `url` when it holds none. */
  shownUrl?: string;
  /** Headers besides `user-agent`, names lowercase. */
  headers: Record<string, string>;
  body?: string;
  /** The base `url` must lie on; checked again on every call, whatever was checked when saved. */
  base: VendorBase;
}

/** One vendor request and what came back. */
export interface VendorExchange extends HttpExchange {
  method: HttpMethod;
  /** The URL with its credentials masked. */
  url: string;
  startedAt: Date;
  /** The headers sent, credentials (an `authorization`) masked. */
  requestHeaders: Record<string, string>;
  requestBody?: string;
}

export interface VendorClient {
  /** `SWITCHYARD_MAX_RESPONSE_BYTES`: what a webhook receiver's answer is read to. */
  readonly maxResponseBytes: number;
  /** `SWITCHYARD_ALLOW_PRIVATE_TARGETS`, for hosts the connection chose. */
  readonly allowPrivateTargets: boolean;
  /** Makes one request within `timeoutMs`; never throws (see `sendRequest`). */
  send(call: VendorCall, timeoutMs: number): Promise<VendorExchange>;
}

/**
 * The client every destination kind calls its vendor with: the shared keep-alive pools, the
 * deadline, the response cap and the SSRF guard of webhook delivery, plus a check that each URL
 * lies on its vendor's base. A base the operator configured passes the private-address guard.
 */
export function vendorClient(options: { maxResponseBytes: number; allowPrivateTargets: boolean }): VendorClient {
  return {
    ...options,
    async send(call, timeoutMs) {
      const startedAt = new Date();
      const headers = { ...call.headers, 'user-agent': USER_AGENT };
      const shown = {
        method: call.method,
        url: call.shownUrl ?? call.url,
        startedAt,
        requestHeaders: maskedHeaders(headers),
        ...(call.body !== undefined && { requestBody: call.body }),
      };
      let target: URL | null = null;
      try {
        target = new URL(call.url);
      } catch {
        // Reported below, as a URL that is not on the base.
      }
      if (!target || !isOnBase(target, call.base.url)) {
        return {
          ...shown,
          durationMs: 0,
          errorClass: 'REFUSED_TARGET',
          error: `${shown.url} is not on ${call.base.url}, where this vendor is configured to be`,
        };
      }
      const exchange = await sendRequest(
        { method: call.method, url: call.url, headers, body: call.body },
        {
          timeoutMs: Math.max(1, timeoutMs),
          maxResponseBytes: Math.max(VENDOR_RESPONSE_BYTES, options.maxResponseBytes),
          allowPrivateTargets: options.allowPrivateTargets || call.base.operatorChosen,
        },
      );
      return { ...exchange, ...shown };
    },
  };
}

/** A JSON body's headers: the type with its charset, which Slack asks for. */
export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

/** The answer's body parsed as JSON, or undefined when it is not JSON. */
export function jsonBody(exchange: Pick<HttpExchange, 'body'>): unknown {
  if (!exchange.body) return undefined;
  try {
    return JSON.parse(exchange.body) as unknown;
  } catch {
    return undefined;
  }
}
