import { matrixRequest } from '../../../support/matrix.ts';

/**
 * A raw Matrix client-server call as a test makes it (the suites' one raw call, Synapse's rate limits waited out);
 * throws with the status and errcode on failure.
 */
export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const answer = await matrixRequest<T & { errcode?: string }>(method, path, {
    baseUrl,
    ...(token ? { token } : {}),
    ...(body !== undefined ? { body } : {}),
  });
  if (answer.status >= 400)
    throw new Error(`${method} ${path.split('?')[0]} → ${answer.status} ${answer.body.errcode ?? ''}`);
  return answer.body;
}
