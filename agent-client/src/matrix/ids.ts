/** The server part of a Matrix user ID (`@alex:example.org` → `example.org`). */
export function serverNameOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}
