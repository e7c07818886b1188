/** A raw Matrix client-server call as a test makes it; throws with the status and errcode on failure. */
export async function api<T = Record<string, unknown>>(baseUrl: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await response.json().catch(() => ({}))) as T & { errcode?: string };
  if (!response.ok) throw new Error(`${method} ${path.split('?')[0]} → ${response.status} ${json.errcode ?? ''}`);
  return json;
}
