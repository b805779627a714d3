/**
 * The one quoting function every command builder uses. A word made only of characters no shell treats
 * specially is left bare (so command lines stay readable and match Heketi's); anything else is wrapped in
 * single quotes, each embedded single quote written as '\''. Bash reads the result back as exactly the
 * original word.
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A simple command: every word quoted, joined by spaces. */
export function shellCommand(...words: Array<string | number>): string {
  return words.map((w) => shellQuote(String(w))).join(' ');
}
