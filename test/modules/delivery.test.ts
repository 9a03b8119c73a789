import t from 'tap';
import { build, countStatements, para } from '../helper.js';

/** One expanded read costs the same number of SQL statements whatever the article holds. */
t.test('an expanded read has a fixed statement count', async (t) => {
  // The statement count of the read path itself: the response cache would answer repeats with none.
  const { app, editor } = await build(t, { responseCache: false });
  const counter = countStatements(t, app);
  const post = async (url: string, payload: unknown, method: 'POST' | 'PUT' = 'POST') => {
    const res = await app.inject({ method, url, headers: editor, payload: payload as object });
    t.ok(res.statusCode < 300, `${method} ${url} → ${res.statusCode} ${res.statusCode >= 300 ? res.body : ''}`);
    return res.json();
  };

  async function articleWith(n: number, name: string) {
    const media = [];
    const tags = [];
    const authors = [];
    const disclaimers = [];
    const targets = [];
    for (let i = 0; i < n; i++) {
      media.push(await post('/v1/media', { url: `https://img.example.org/${name}-${i}.jpg`, creditText: `Credit ${i}` }));
      tags.push(await post('/v1/tags', { name: `${name} tag ${i}` }));
      authors.push(await post('/v1/authors', { name: `${name} author ${i}` }));
      disclaimers.push(await post('/v1/disclaimers', { key: `${name}-notice-${i}`, body: [{ type: 'text', text: `Notice ${i}` }], placements: ['top', 'bottom'] }));
      const target = await post('/v1/articles', { headline: `${name} target ${i}`, hero: { mediaId: media[i].id } });
      await post(`/v1/articles/${target.id}/publish`, {});
      targets.push(target);
    }
    const body = media.flatMap((m, i) => [para(`p${i}`, `Paragraph ${i}`), { type: 'image', id: `img${i}`, mediaId: m.id, credit: i % 2 ? null : undefined }]);
    const a = await post('/v1/articles', {
      headline: `${name} main`, type: 'opinion', body, hero: { mediaId: media[0].id },
      tagIds: tags.map((x) => x.id), authors: authors.map((x) => ({ authorId: x.id, role: 'author' })),
    });
    await post(`/v1/articles/${a.id}/disclaimers`, disclaimers.map((d) => ({ disclaimerId: d.id })), 'PUT');
    await post(`/v1/articles/${a.id}/related-links`, targets.map((x) => ({ targetArticleId: x.id })), 'PUT');
    await post(`/v1/articles/${a.id}/publish`, {});
    return a;
  }

  const small = await articleWith(1, 'small');
  const big = await articleWith(20, 'big');
  const count = async (slug: string) => {
    counter.reset();
    const res = await app.inject({ method: 'GET', url: `/v1/articles/by-slug/${slug}?include=all` });
    t.equal(res.statusCode, 200);
    return { n: counter.n, body: res.json() };
  };
  const one = await count(small.slug);
  const twenty = await count(big.slug);
  t.equal(twenty.body.related.length, 20);
  t.equal(twenty.body.disclaimers.top.length, 20);
  t.equal(twenty.body.body.filter((b: any) => b.display).length, 20);
  t.equal(twenty.body.tags.length, 20);
  t.equal(twenty.body.related[19].target.hero.display.credit, 'Credit 19', 'related targets carry their hero');
  t.equal(one.n, twenty.n, `same statement count for 1 and 20 of everything (${one.n})`);
  t.ok(one.n <= 15, `a bounded number of statements: ${one.n}`);

  counter.reset();
  const list = await app.inject({ method: 'GET', url: '/v1/articles?limit=20&include=all' });
  t.equal(list.statusCode, 200);
  t.equal(list.json().data.length, 20);
  t.ok(counter.n <= 16, `a page of 20 expanded articles costs ${counter.n} statements`);
});
