/** The integer a flag was given, or an error naming the flag and the text as typed. */
export function integerFlag(flag: string, value: string | number): number {
  const text = String(value).trim();
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`${flag}: expected an integer, got ${JSON.stringify(String(value))}`);
  return n;
}
