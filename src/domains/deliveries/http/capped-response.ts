import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** A complete response: its status, its headers and at most the cap of its body. */
export interface CappedResult {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * The handler of one request given to undici's `dispatch`: it keeps the status, the headers and
 * at most `maxBytes` of the body, and settles `result` once, when the response ends, when the cap
 * is reached (the rest is left unread and the socket closed), or with the first error.
 *
 * undici's `request()` would wrap the same callbacks in a body stream, an async iterator over it
 * and abort-signal listeners, several times the objects of the request itself; they live as long
 * as the request, so at a few thousand requests a second they outlive V8's young generation and
 * fill the old one (bench/README.md, section 6).
 */
export class CappedResponse implements Dispatcher.DispatchHandler {
  readonly result: Promise<CappedResult>;
  /** The status answered so far, for a timeout's message. */
  statusCode: number | undefined;
  readonly #maxBytes: number;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #controller: Dispatcher.DispatchController | null = null;
  #settled = false;
  #abortReason: Error | null = null;
  #resolve!: (result: CappedResult) => void;
  #reject!: (error: Error) => void;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
    this.result = new Promise<CappedResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /**
   * Ends the request now with `reason`: `result` rejects at once, even while the request still
   * waits for its socket, and the request is aborted as soon as undici starts it.
   */
  abort(reason: Error): void {
    if (this.#settled) return;
    this.#abortReason = reason;
    this.#fail(reason);
    this.#controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason) controller.abort(this.#abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx answers (100 Continue, 103 Early Hints) precede the response itself.
    if (statusCode < 200) return;
    this.statusCode = statusCode;
    this.#headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size >= this.#maxBytes) {
      this.#succeed();
      controller.abort(new Error('the response cap was reached'));
    }
  }

  onResponseEnd(): void {
    this.#succeed();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(error);
  }

  #succeed(): void {
    if (this.#settled) return;
    if (this.statusCode === undefined) return this.#fail(new Error('the response ended before its status line'));
    this.#settled = true;
    const whole = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
    this.#chunks = [];
    this.#resolve({ statusCode: this.statusCode, headers: this.#headers, body: whole.subarray(0, this.#maxBytes) });
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#chunks = [];
    this.#reject(error);
  }
}
