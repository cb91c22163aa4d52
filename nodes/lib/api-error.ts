// Turn any failure of a management node into the Error handed to done(err):
// the API's status and message stay visible to a Catch node (msg.error.message,
// msg.error.code, msg.error.cause.status), and nothing secret is added (the
// API client's errors never carry keys or query strings).

interface ApiErrorLike {
  status: number;
  message: string;
  serverMessage?: string;
  code?: string;
  method?: string;
  path?: string;
}

function isApiError(err: unknown): err is ApiErrorLike {
  return !!err && typeof err === 'object' && typeof (err as ApiErrorLike).status === 'number' && typeof (err as ApiErrorLike).message === 'string';
}

export interface NodeFacingError extends Error {
  code?: string;
  status?: number;
  field?: string;
}

export function toNodeError(err: unknown): NodeFacingError {
  if (isApiError(err)) {
    const { status, serverMessage, method, path, code } = err;
    let text = err.message;
    if (status && !text.includes(String(status))) text = `${status}: ${text}`;
    if (serverMessage && !text.includes(serverMessage)) text += ` (${serverMessage})`;
    const e: NodeFacingError = new Error(text, { cause: { status, message: serverMessage ?? err.message, method, path, code } });
    e.name = 'LynxApiError';
    e.code = code ?? (status ? 'EHTTP' : 'ENETWORK');
    e.status = status;
    return e;
  }
  if (err instanceof Error) {
    const e = err as NodeFacingError;
    if (e.field !== undefined && e.code === undefined) e.code = 'EINPUT';
    return e;
  }
  return new Error(String(err));
}
