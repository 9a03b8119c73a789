/**
 * The one error catalogue. Every error the API answers with is an AppError with a stable `code`;
 * the error handler (src/http/error-handler.ts) turns it into RFC 9457 problem+json.
 */
export type FieldError = { pointer: string; message: string; code: string };

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, detail: string, errors?: FieldError[], headers: Record<string, string> = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.headers = headers;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new AppError(400, 'validation-failed', detail, errors);
export const unauthorized = (detail = 'Missing or invalid API key') =>
  new AppError(401, 'unauthorized', detail, undefined, { 'www-authenticate': 'Bearer realm="broadsheet"' });
export const forbidden = (detail = 'Your API key lacks the role this operation needs') => new AppError(403, 'forbidden', detail);
export const notFound = (what = 'Resource') => new AppError(404, 'not-found', `${what} not found`);
export const conflict = (code: string, detail: string, errors?: FieldError[]) => new AppError(409, code, detail, errors);
export const unprocessable = (code: string, detail: string, errors?: FieldError[]) => new AppError(422, code, detail, errors);
