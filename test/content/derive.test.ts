import t from 'tap';
import { countWords } from '../../src/content/derive.js';

/** The definition countWords implements without allocating (src/content/derive.ts). */
const WORD = /[\p{L}\p{N}]+(?:['’\-.][\p{L}\p{N}]+)*/gu;
const byRegex = (text: string) => text.match(WORD)?.length ?? 0;

t.test('counts words as the regex defines them, on examples', async (t) => {
  const cases: [string, number][] = [
    ['', 0],
    ['One two three four five.', 5],
    ["don't stop the co-op at 3.5 per cent", 8],
    ['Putin’s role — in 2018', 4],
    ['trailing joiners- and. dots\' end’', 5],
    ['--- ... \'\'', 0],
    ['Привет, мир! 世界 ١٢٣', 4],
    ['naïve café résumé', 3],
    ['e\u0301t\u00e9', 2],
    ['𝐀𝐁 𝐂 😀 x😀y', 4],
    ['lone \ud800 surrogate \udc00x', 3],
  ];
  for (const [text, n] of cases) {
    t.equal(byRegex(text), n, `the regex: ${JSON.stringify(text)}`);
    t.equal(countWords(text), n, `the scanner: ${JSON.stringify(text)}`);
  }
});

t.test('agrees with the regex on random text of every script', async (t) => {
  // Letters and digits of several scripts (astral ones too), joiners, marks, spaces, punctuation, emoji, lone surrogates.
  const alphabet = [
    'a', 'Z', 'q', '0', '7', ' ', ' ', '\n', "'", '’', '-', '.', ',', '!', '—', '“', 'é', 'ß', 'Ж', 'я', '中', '文',
    'ا', '١', '\u0301', '\u00a0', '𝐀', '😀', '\ud800', '\udc00', '_', '’', '..', '--',
  ];
  let seed = 0x2f6e2b1;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let mismatches = 0;
  for (let run = 0; run < 3000; run++) {
    let text = '';
    const length = Math.floor(random() * 60);
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    if (countWords(text) !== byRegex(text)) {
      if (mismatches++ < 5) t.fail(`differs on ${JSON.stringify(text)}: ${countWords(text)} against ${byRegex(text)}`);
    }
  }
  t.equal(mismatches, 0, '3,000 random strings, the same count');
});
