/**
 * French postal codes: five digits; mainland departments 01–95 (Corsica's codes start with 20), overseas
 * 971–978 and 98x (Monaco, Pacific territories). Returns the department code a routing rule matches on
 * (two digits, three overseas), or undefined for a code that cannot exist.
 */
export function departmentOf(postalCode: string): string | undefined {
  if (!/^\d{5}$/.test(postalCode)) return undefined;
  const two = Number(postalCode.slice(0, 2));
  if (two >= 1 && two <= 95) return postalCode.slice(0, 2);
  const three = postalCode.slice(0, 3);
  if (/^97[1-8]$/.test(three) || /^98[0-9]$/.test(three)) return three;
  return undefined;
}

export function isValidPostalCode(postalCode: string): boolean {
  return departmentOf(postalCode) !== undefined;
}

/** Finds a postal code in free text ("c'est 75011", "75 011"). */
export function extractPostalCode(text: string): string | undefined {
  const match = /(?<!\d)(\d{2})\s?(\d{3})(?!\d)/.exec(text);
  return match ? `${match[1]}${match[2]}` : undefined;
}
