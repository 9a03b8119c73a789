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

/** First free slug among base, base-2, base-3, ... (`taken` asks the repository). */
export async function uniqueSlug(base: string, taken: (slug: string) => Promise<boolean>): Promise<string> {
  if (!(await taken(base))) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base.slice(0, 110)}-${n}`;
    if (!(await taken(candidate))) return candidate;
  }
}
