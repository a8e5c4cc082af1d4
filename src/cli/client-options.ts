/** What every client command knows once the flags are read. */
export interface ClientOptions {
  url: string;
  apiKey?: string;
  adminKey?: string;
  json: boolean;
}
