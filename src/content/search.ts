import { badRequest } from '../errors.js';

const WORD = /[\p{L}\p{N}]+/gu;
const MAX_TERMS = 12;
// A shorter last word is matched whole: "a"* would expand to most of the vocabulary (slow, and close to match-all).
const MIN_PREFIX = 3;

/**
 * What a search looks for, in no database's syntax: words (letters and digits only), all of which must occur,
 * the last also as the start of a longer word when `prefix` is set. Each dialect renders it (`d.matchValue`).
 */
export type SearchTerms = { words: readonly string[]; prefix: boolean };

/** Private-use characters mark the matched words in snippets; the search service escapes the text and turns them into <mark>. */
export const MARK_OPEN = '\uE000';
export const MARK_CLOSE = '\uE001';
/** How many words a snippet holds at most. */
export const SNIPPET_WORDS = 24;

/**
 * User text → the words to search for (AND-ed; the last one also as a prefix when it has at least three
 * characters, for type-ahead). Operators, quotes, `*`, `%`, brackets and NUL are dropped, so they never reach
 * a database as syntax. No words → 400, never "match all".
 */
export function ftsQuery(text: string, pointer: string): SearchTerms {
  const words = (text.normalize('NFKC').match(WORD) ?? []).slice(0, MAX_TERMS);
  if (words.length === 0) {
    throw badRequest('The search text has no words to search for', [{ pointer, message: 'needs at least one letter or digit', code: 'empty-search' }]);
  }
  return { words, prefix: [...words.at(-1)!].length >= MIN_PREFIX };
}

/**
 * The terms as an FTS5 MATCH expression: quoted words, AND-ed, the last with `*` when it is a prefix
 * (`"w1" "w2"*`). The SQLite dialect binds it; the search service also fingerprints cursors with it, so
 * cursors issued before the terms became neutral (issue 8) stay valid.
 */
export function fts5Match({ words, prefix }: SearchTerms): string {
  return words.map((w, i) => `"${w}"${prefix && i === words.length - 1 ? '*' : ''}`).join(' ');
}
