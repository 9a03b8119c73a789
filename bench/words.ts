/**
 * Deterministic fake news prose: a seeded PRNG, a word list ranked by frequency and a Zipf sampler.
 * The head of the list is real English (so "common word" searches behave as on a real archive: they
 * match most articles); the tail is made of syllables, giving a vocabulary of a few thousand words
 * like real copy, so the full-text index has a realistic number of distinct terms.
 */

/** mulberry32: small, fast, good enough for test data; the same seed gives the same archive. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

/** Real words, roughly in the order of their frequency in news copy. */
const HEAD = `the of and to a in that is for on with as was by it said at from his be has have are were not this but an
they which their will would been had its who after more than also about over into one two new year years first last
people government minister president country state city week month officials police report plan public work time
could should may can there other some when what all up out no only most between under against during since before
while because where many our we he she her them him you percent million billion market economy company companies
bank prices price rates growth trade workers union party election vote voters campaign leader leaders parliament
council court judge law security military forces war peace talks deal agreement crisis health hospital doctors
patients school students university research scientists climate energy oil gas power water housing homes families
children women men community local national international foreign world europe america asia africa region border
capital north south east west central support pressure policy policies budget tax taxes spending cuts funding
money investors shares stocks interest inflation jobs unemployment industry business businesses sector services
technology data online digital network internet software users platform social media news press television film
music art culture history museum book books season team match game players coach league championship final win
lost victory defeat record statement spokesman spokeswoman interview told asked says added according expected
announced confirmed reported warned agreed called decided began continued remained became made took gave found
showed left held brought set put turned moved started ended kept open closed high low long short large small major
key early late recent former current future political economic social financial military legal global regional
senior chief executive director secretary general members group groups committee board agency ministry department
office authorities administration opposition coalition reform change changes issue issues question questions
problem problems risk risks threat threats attack attacks conflict protest protests demonstrators crowd streets
hundreds thousands dozens several three four five ten second third next previous another each every both few
much well still even just however although already never again now then today yesterday tomorrow night morning
evening days hours minutes area areas site land road roads train rail airport flights transport traffic car cars
food farmers prices supply demand shortage production exports imports sanctions talks summit meeting meetings
visit trip delegation ambassador embassy diplomats diplomatic relations cooperation mediation mediator dispute
negotiations proposal proposals resolution measures steps action actions response efforts effort role position`
  .split(/\s+/)
  .filter(Boolean);

const ONSETS = ['b', 'br', 'c', 'ch', 'd', 'dr', 'f', 'fl', 'g', 'gr', 'h', 'k', 'l', 'm', 'n', 'p', 'pr', 'r', 's', 'st', 't', 'tr', 'v', 'w', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io', 'ou'];
const CODAS = ['', '', 'n', 'r', 's', 'l', 'nd', 'st', 'rt', 'm', 'x', 'th'];

function tail(count: number): string[] {
  const random = rng(1234567);
  const seen = new Set(HEAD);
  const out: string[] = [];
  while (out.length < count) {
    const syllables = 2 + Math.floor(random() * 2);
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick(random, ONSETS) + pick(random, VOWELS) + (i === syllables - 1 ? pick(random, CODAS) : '');
    if (!seen.has(w)) {
      seen.add(w);
      out.push(w);
    }
  }
  return out;
}

/** The vocabulary, most frequent first. */
export const WORDS: readonly string[] = [...HEAD, ...tail(5000)];

/**
 * The "common word" searches: newsroom words near the head of the list, each found in about 70-75 % of the
 * archive (the run records the match counts).
 */
export const COMMON_SEARCH_WORDS = ['government', 'minister', 'police'] as const;

/** Zipf(s = 1) sampler over WORDS through a cumulative table and binary search. */
function zipf(): (random: () => number) => string {
  const cdf = new Float64Array(WORDS.length);
  let sum = 0;
  for (let i = 0; i < WORDS.length; i++) {
    sum += 1 / (i + 1);
    cdf[i] = sum;
  }
  for (let i = 0; i < cdf.length; i++) cdf[i]! /= sum;
  return (random) => {
    const x = random();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return WORDS[lo]!;
  };
}

const word = zipf();
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function sentence(random: () => number, min = 8, max = 22): string {
  const n = min + Math.floor(random() * (max - min + 1));
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = word(random);
    if (i > 2 && i < n - 2 && random() < 0.08) w += ',';
    parts.push(w);
  }
  return `${cap(parts.join(' '))}.`;
}

/** A paragraph of about `words` words. */
export function paragraph(random: () => number, words: number): string {
  const out: string[] = [];
  let count = 0;
  while (count < words) {
    const s = sentence(random);
    out.push(s);
    count += s.split(' ').length;
  }
  return out.join(' ');
}

export function headline(random: () => number): string {
  const n = 6 + Math.floor(random() * 6);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(word(random));
  return cap(parts.join(' '));
}

export function titleCase(s: string): string {
  return s.split(' ').map(cap).join(' ');
}

/** A made-up but plausible personal name. */
export function personName(random: () => number): string {
  const first = ['Anna', 'Ben', 'Chloe', 'David', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Leila', 'Marco', 'Nadia', 'Omar', 'Priya', 'Quentin', 'Rosa', 'Sam', 'Tomas', 'Uma', 'Victor', 'Wen', 'Yusuf', 'Zoe'];
  const last = ['Abbott', 'Brandt', 'Castillo', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hassan', 'Ivanova', 'Jensen', 'Kowalski', 'Larsen', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Quinn', 'Rossi', 'Silva', 'Tanaka', 'Usman', 'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zhang'];
  return `${pick(random, first)} ${pick(random, last)}`;
}
