/** "Russia’s role — 2018" → "russias-role-2018". Apostrophes vanish rather than split words. */
export function slugify(text: string, max = 100): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’‘`]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return slug || 'untitled';
}

/**
 * First free slug among base, base-2, base-3, ... `taken` answers which of a batch of candidates are in use (one
 * query per batch, not one per candidate): a headline a newsroom reuses every day ("Morning briefing", "Letters")
 * has hundreds of numbered slugs, and probing them one by one made each new one cost a query per predecessor.
 * Batches grow (8, 32, 128, ... up to 1,024 candidates), so the n-th reuse costs about log4(n) queries.
 */
export async function uniqueSlug(base: string, taken: (candidates: string[]) => Promise<ReadonlySet<string>>): Promise<string> {
  const stem = base.slice(0, 110);
  for (let from = 1, size = 8; ; from += size, size = Math.min(size * 4, 1024)) {
    const candidates = Array.from({ length: size }, (_, i) => (from + i === 1 ? base : `${stem}-${from + i}`));
    const inUse = await taken(candidates);
    const free = candidates.find((c) => !inUse.has(c));
    if (free !== undefined) return free;
  }
}
