/** The server name of a Matrix user ID: everything after the first colon (an IP-literal name keeps its port). */
export function serverNameOfUser(userId: string): string {
  const colon = userId.indexOf(':');
  if (!userId.startsWith('@') || colon < 2 || colon === userId.length - 1)
    throw new Error(`not a Matrix user ID: ${JSON.stringify(userId)}`);
  return userId.slice(colon + 1);
}
