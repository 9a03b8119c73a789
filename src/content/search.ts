import { badRequest } from '../errors.js';

const WORD = /[\p{L}\p{N}]+/gu;
const MAX_TERMS = 12;
// A shorter last word is matched whole: "a"* would expand to most of the vocabulary (slow, and close to match-all).
const MIN_PREFIX = 3;

/**
 * User text → an FTS5 MATCH expression made only of quoted words (AND-ed; the last one also as a prefix when it has
 * at least three characters, for type-ahead).
 * Operators, quotes, `*`, `%`, brackets and NUL never reach FTS5 as syntax. No words → 400, never "match all".
 */
export function ftsQuery(text: string, pointer: string): string {
  const words = (text.normalize('NFKC').match(WORD) ?? []).slice(0, MAX_TERMS);
  if (words.length === 0) {
    throw badRequest('The search text has no words to search for', [{ pointer, message: 'needs at least one letter or digit', code: 'empty-search' }]);
  }
  return words.map((w, i) => `"${w}"${i === words.length - 1 && [...w].length >= MIN_PREFIX ? '*' : ''}`).join(' ');
}
