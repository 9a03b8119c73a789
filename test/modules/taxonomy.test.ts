import t from 'tap';
import { build, type TestApp } from '../helper.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const RESOURCES = ['authors', 'sections', 'tags'] as const;

type Req = TestApp['req'];

/** Creates an article that references the given author, section and tag. */
async function articleUsing(req: Req, editor: Record<string, string>, refs: { authorId?: string; sectionId?: string; tagId?: string }) {
  const res = await req({
    method: 'POST', url: '/v1/articles', headers: editor,
    payload: {
      headline: 'Referencing story',
      ...(refs.sectionId ? { sectionId: refs.sectionId } : {}),
      ...(refs.tagId ? { tagIds: [refs.tagId] } : {}),
      ...(refs.authorId ? { authors: [{ authorId: refs.authorId, role: 'author' }] } : {}),
    },
  });
  return res;
}

for (const resource of RESOURCES) {
  t.test(`${resource}: create, read, list, patch, delete`, async (t) => {
    const { req, editor, clock } = await build(t);
    const base = `/v1/${resource}`;

    // create: slug derived from the name
    const created = await req({ method: 'POST', url: base, headers: editor, payload: { name: '  Korean Peninsula — Crisis ' } });
    t.equal(created.status, 201, 'create answers 201');
    t.match(created.headers['content-type'], /^application\/json/);
    const a = created.body;
    t.equal(created.headers.location, `${base}/${a.id}`, 'Location points at the new resource');
    t.equal(a.name, 'Korean Peninsula — Crisis', 'name is trimmed');
    t.equal(a.slug, 'korean-peninsula-crisis', 'slug derived from the name');
    t.match(a.id, /^[0-9A-HJKMNP-TV-Z]{26}$/, 'id is a ULID');
    t.equal(a.createdAt, '2026-01-15T12:00:00.000Z', 'createdAt from the clock');
    t.equal(a.updatedAt, a.createdAt);

    // derived slugs never collide
    const dup = await req({ method: 'POST', url: base, headers: editor, payload: { name: 'Korean Peninsula Crisis' } });
    t.equal(dup.status, 201);
    t.equal(dup.body.slug, 'korean-peninsula-crisis-2', 'a derived slug that is taken gets a suffix');

    // explicit slug
    const explicit = await req({ method: 'POST', url: base, headers: editor, payload: { name: 'Anything', slug: 'my-own-slug' } });
    t.equal(explicit.status, 201);
    t.equal(explicit.body.slug, 'my-own-slug', 'an explicit slug is kept');

    // explicit slug that is taken → 409
    const taken = await req({ method: 'POST', url: base, headers: editor, payload: { name: 'Other', slug: 'my-own-slug' } });
    t.equal(taken.status, 409, 'a taken explicit slug answers 409');
    t.equal(taken.headers['content-type'], PROBLEM);
    t.equal(taken.body.code, 'slug-taken');
    t.equal(taken.body.errors[0].pointer, '/body/slug');

    // invalid slug → 400
    const badSlug = await req({ method: 'POST', url: base, headers: editor, payload: { name: 'X', slug: 'Not A Slug' } });
    t.equal(badSlug.status, 400);
    t.equal(badSlug.body.errors[0].pointer, '/body/slug');

    // missing name → 400
    const noName = await req({ method: 'POST', url: base, headers: editor, payload: {} });
    t.equal(noName.status, 400);
    t.ok(noName.body.errors.some((e: any) => e.pointer === '/body/name'), 'missing name is pointed at');

    // read by id and by slug (anonymous)
    const byId = await req({ method: 'GET', url: `${base}/${a.id}` });
    t.equal(byId.status, 200);
    t.same(byId.body, a, 'read by id returns the created resource');
    const bySlug = await req({ method: 'GET', url: `${base}/by-slug/${a.slug}` });
    t.equal(bySlug.status, 200);
    t.same(bySlug.body, a, 'read by slug returns the created resource');
    const missing = await req({ method: 'GET', url: `${base}/01JD3Q8Z6V0R8Y5M2K1N4P7S9T` });
    t.equal(missing.status, 404);
    t.equal(missing.headers['content-type'], PROBLEM);
    t.equal((await req({ method: 'GET', url: `${base}/by-slug/no-such-slug` })).status, 404);

    // patch: merge semantics
    clock.advance(60_000);
    const patched = await req({ method: 'PATCH', url: `${base}/${a.id}`, headers: editor, payload: { slug: 'renamed-slug' } });
    t.equal(patched.status, 200);
    t.equal(patched.body.updatedAt, '2026-01-15T12:01:00.000Z', 'updatedAt moves');
    t.equal(patched.body.createdAt, a.createdAt, 'createdAt stays');
    t.equal(patched.body.slug, 'renamed-slug');
    t.equal(patched.body.name, a.name, 'absent fields are unchanged');
    t.equal(patched.body.id, a.id);
    const renamed = await req({ method: 'PATCH', url: `${base}/${a.id}`, headers: editor, payload: { name: 'Renamed' } });
    t.equal(renamed.body.name, 'Renamed');
    t.equal(renamed.body.slug, 'renamed-slug', 'renaming keeps the slug');
    t.equal((await req({ method: 'GET', url: `${base}/by-slug/renamed-slug` })).body.id, a.id, 'the new slug resolves');
    t.equal((await req({ method: 'GET', url: `${base}/by-slug/korean-peninsula-crisis` })).status, 404, 'the old slug is gone');

    // patch: a slug taken by another row → 409; keeping your own slug is fine
    const patchTaken = await req({ method: 'PATCH', url: `${base}/${a.id}`, headers: editor, payload: { slug: 'my-own-slug' } });
    t.equal(patchTaken.status, 409);
    t.equal(patchTaken.body.errors[0].pointer, '/body/slug');
    const sameSlug = await req({ method: 'PATCH', url: `${base}/${a.id}`, headers: editor, payload: { slug: 'renamed-slug' } });
    t.equal(sameSlug.status, 200, 'patching to its own slug is not a conflict');
    t.equal((await req({ method: 'PATCH', url: `${base}/01JD3Q8Z6V0R8Y5M2K1N4P7S9T`, headers: editor, payload: { name: 'x' } })).status, 404);

    // delete
    const del = await req({ method: 'DELETE', url: `${base}/${explicit.body.id}`, headers: editor });
    t.equal(del.status, 204);
    t.equal(del.raw, '', '204 has no body');
    t.equal((await req({ method: 'GET', url: `${base}/${explicit.body.id}` })).status, 404, 'deleted is gone');
    t.equal((await req({ method: 'DELETE', url: `${base}/${explicit.body.id}`, headers: editor })).status, 404, 'deleting twice → 404');
    // the freed slug can be reused
    t.equal((await req({ method: 'POST', url: base, headers: editor, payload: { name: 'Reuse', slug: 'my-own-slug' } })).status, 201);
  });

  t.test(`${resource}: list paging`, async (t) => {
    const { req, editor } = await build(t);
    const base = `/v1/${resource}`;
    const names = ['Echo', 'alpha', 'Delta', 'Charlie', 'Bravo'];
    for (const name of names) t.equal((await req({ method: 'POST', url: base, headers: editor, payload: { name } })).status, 201);

    const all = await req({ method: 'GET', url: base });
    t.equal(all.status, 200);
    t.same(all.body.page, { limit: 20, nextCursor: null, total: 5 }, 'default limit 20, one page');
    t.notOk(all.headers.link, 'no Link header on the last page');
    t.equal(all.body.data.length, 5);
    const ordered = all.body.data.map((x: any) => x.name);

    const seen: string[] = [];
    let url = `${base}?limit=2`;
    let pages = 0;
    for (;;) {
      const page = await req({ method: 'GET', url });
      t.equal(page.status, 200);
      t.equal(page.body.page.limit, 2);
      t.equal(page.body.page.total, 5, 'total counts all pages');
      t.ok(page.body.data.length <= 2);
      seen.push(...page.body.data.map((x: any) => x.name));
      pages++;
      if (page.body.page.nextCursor === null) {
        t.notOk(page.headers.link, 'no Link on the last page');
        break;
      }
      const link = String(page.headers.link);
      t.match(link, /^<\/v1\/[a-z]+\?[^>]*cursor=[^>]+>; rel="next"$/, 'Link rel=next on a non-last page');
      t.ok(link.includes('limit=2'), 'Link keeps the other query parameters');
      t.ok(link.includes(`cursor=${page.body.page.nextCursor}`), 'Link carries the next cursor');
      url = link.slice(1, link.indexOf('>'));
      if (pages > 5) break;
    }
    t.equal(pages, 3, '5 items at limit 2 make 3 pages');
    t.same(seen, ordered, 'paging visits every item once, in list order');

    // stable under inserts: a cursor keeps working after a new row lands before it
    const first = await req({ method: 'GET', url: `${base}?limit=2` });
    await req({ method: 'POST', url: base, headers: editor, payload: { name: 'Aardvark' } });
    const second = await req({ method: 'GET', url: `${base}?limit=2&cursor=${first.body.page.nextCursor}` });
    t.same(second.body.data.map((x: any) => x.name), ordered.slice(2, 4), 'a cursor is stable under inserts');
    t.equal(second.body.page.total, 6);

    const badCursor = await req({ method: 'GET', url: `${base}?cursor=garbage` });
    t.equal(badCursor.status, 400);
    t.equal(badCursor.body.errors[0].pointer, '/query/cursor');
  });

  t.test(`${resource}: auth and strict input`, async (t) => {
    const { req, editor, admin } = await build(t);
    const base = `/v1/${resource}`;
    const made = (await req({ method: 'POST', url: base, headers: admin, payload: { name: 'By admin' } }));
    t.equal(made.status, 201, 'admin ⊇ editor');
    const id = made.body.id;

    for (const [method, url, payload] of [['POST', base, { name: 'Anon' }], ['PATCH', `${base}/${id}`, { name: 'Anon' }], ['DELETE', `${base}/${id}`, undefined]] as const) {
      const res = await req({ method, url, payload });
      t.equal(res.status, 401, `anonymous ${method} → 401`);
      t.equal(res.headers['content-type'], PROBLEM);
      t.equal(res.body.code, 'unauthorized');
      t.match(res.headers['www-authenticate'], /^Bearer/);
    }
    t.equal((await req({ method: 'GET', url: `${base}/${id}` })).body.name, 'By admin', 'anonymous writes changed nothing');
    const wrongKey = await req({ method: 'POST', url: base, headers: { authorization: 'Bearer bsk_nope' }, payload: { name: 'X' } });
    t.equal(wrongKey.status, 401, 'a wrong key is 401 even on a public route family');
    t.equal((await req({ method: 'GET', url: base, headers: { authorization: 'Bearer bsk_nope' } })).status, 401, 'a wrong key on a read is 401 too');

    const unknownBody = await req({ method: 'POST', url: base, headers: editor, payload: { name: 'X', bogus: 1 } });
    t.equal(unknownBody.status, 400, 'unknown body field → 400');
    t.equal(unknownBody.headers['content-type'], PROBLEM);
    t.ok(unknownBody.body.errors.some((e: any) => e.pointer === '/body/bogus'), 'the pointer names the unknown field');
    const unknownPatch = await req({ method: 'PATCH', url: `${base}/${id}`, headers: editor, payload: { bogus: 1 } });
    t.equal(unknownPatch.status, 400);
    t.same(unknownPatch.body.errors.map((e: any) => e.pointer), ['/body/bogus']);
    const readonlyField = await req({ method: 'PATCH', url: `${base}/${id}`, headers: editor, payload: { id: 'x' } });
    t.equal(readonlyField.status, 400, 'id is not writable');
    t.same(readonlyField.body.errors.map((e: any) => e.pointer), ['/body/id']);

    const unknownQuery = await req({ method: 'GET', url: `${base}?bogus=1` });
    t.equal(unknownQuery.status, 400, 'unknown query param → 400');
    t.equal(unknownQuery.headers['content-type'], PROBLEM);
    t.ok(unknownQuery.body.errors.some((e: any) => e.pointer === '/query/bogus'), 'pointer names the unknown query param');
    t.equal((await req({ method: 'GET', url: `${base}/${id}?bogus=1` })).status, 400, 'unknown query param on a single read → 400');
  });
}

t.test('authors: bio, url and null clearing', async (t) => {
  const { req, editor } = await build(t);
  const created = await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Seraphim Hanisch', bio: 'Writes about Korea.', url: 'https://example.com/sh' } });
  t.equal(created.status, 201);
  t.match(created.body, { name: 'Seraphim Hanisch', slug: 'seraphim-hanisch', bio: 'Writes about Korea.', url: 'https://example.com/sh', imageMediaId: null });
  const bare = await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Ann' } });
  t.same([bare.body.bio, bare.body.url, bare.body.imageMediaId], [null, null, null], 'optional fields default to null');

  const keep = await req({ method: 'PATCH', url: `/v1/authors/${created.body.id}`, headers: editor, payload: { name: 'S. Hanisch' } });
  t.equal(keep.status, 200);
  t.equal(keep.body.bio, 'Writes about Korea.', 'absent bio is unchanged');
  t.equal(keep.body.url, 'https://example.com/sh');
  const cleared = await req({ method: 'PATCH', url: `/v1/authors/${created.body.id}`, headers: editor, payload: { bio: null } });
  t.equal(cleared.status, 200);
  t.equal(cleared.body.bio, null, 'null clears the bio');
  t.equal(cleared.body.url, 'https://example.com/sh', 'other fields stay');
  t.equal(cleared.body.name, 'S. Hanisch');
  t.equal((await req({ method: 'GET', url: `/v1/authors/${created.body.id}` })).body.bio, null, 'the clear is stored');
  const badUrl = await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'X', url: 'javascript:alert(1)' } });
  t.equal(badUrl.status, 400);
  t.equal(badUrl.body.errors[0].pointer, '/body/url');
  const nullOnCreate = await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Y', bio: 123 } });
  t.equal(nullOnCreate.status, 400);
  t.equal(nullOnCreate.body.errors[0].pointer, '/body/bio');
});

t.test('sections: parent rules', async (t) => {
  const { req, editor } = await build(t);
  const post = (payload: object) => req({ method: 'POST', url: '/v1/sections', headers: editor, payload });
  const patch = (id: string, payload: object) => req({ method: 'PATCH', url: `/v1/sections/${id}`, headers: editor, payload });

  const world = (await post({ name: 'World' })).body;
  t.equal(world.parentId, null, 'top level by default');
  const asia = await post({ name: 'Asia', parentId: world.id });
  t.equal(asia.status, 201);
  t.equal(asia.body.parentId, world.id);
  const korea = (await post({ name: 'Korea', parentId: asia.body.id })).body;

  const unknownParent = await post({ name: 'Orphan', parentId: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T' });
  t.equal(unknownParent.status, 422, 'an unknown parent → 422');
  t.equal(unknownParent.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(unknownParent.body.errors[0].pointer, '/body/parentId');
  t.equal((await req({ method: 'GET', url: '/v1/sections' })).body.page.total, 3, 'nothing was created');
  t.equal((await patch(korea.id, { parentId: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T' })).status, 422, 'patch to an unknown parent → 422');

  const self = await patch(world.id, { parentId: world.id });
  t.equal(self.status, 422, 'a section cannot be its own parent');
  t.equal(self.body.code, 'section-cycle');
  const cycle = await patch(world.id, { parentId: korea.id });
  t.equal(cycle.status, 422, 'a descendant cannot become the parent');
  t.equal(cycle.body.code, 'section-cycle');
  t.equal(cycle.body.errors[0].pointer, '/body/parentId');
  t.equal((await req({ method: 'GET', url: `/v1/sections/${world.id}` })).body.parentId, null, 'the rejected patch changed nothing');

  const hasChildren = await req({ method: 'DELETE', url: `/v1/sections/${world.id}`, headers: editor });
  t.equal(hasChildren.status, 409, 'a section with children cannot be deleted');

  const moved = await patch(korea.id, { parentId: world.id });
  t.equal(moved.status, 200);
  t.equal(moved.body.parentId, world.id, 're-parenting to a non-descendant works');
  const top = await patch(asia.body.id, { parentId: null });
  t.equal(top.status, 200);
  t.equal(top.body.parentId, null, 'null parentId makes it top level');
  const nowAsiaUnder = await patch(world.id, { parentId: asia.body.id });
  t.equal(nowAsiaUnder.status, 200, 'after moving, the former child may become the parent');
});

t.test('delete is refused while an article references the author, section or tag', async (t) => {
  const { req, editor } = await build(t);
  const author = (await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Ann Writer' } })).body;
  const section = (await req({ method: 'POST', url: '/v1/sections', headers: editor, payload: { name: 'World' } })).body;
  const tag = (await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'Korea' } })).body;

  const article = await articleUsing(req, editor, { authorId: author.id, sectionId: section.id, tagId: tag.id });
  t.equal(article.status, 201, 'the article is created');

  for (const [resource, row] of [['authors', author], ['sections', section], ['tags', tag]] as const) {
    const res = await req({ method: 'DELETE', url: `/v1/${resource}/${row.id}`, headers: editor });
    t.equal(res.status, 409, `${resource}: in use → 409`);
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.match(res.body, { status: 409, code: /-in-use$/ });
    t.equal((await req({ method: 'GET', url: `/v1/${resource}/${row.id}` })).status, 200, `${resource}: still there`);
  }

  // once the article no longer references them, the deletes succeed
  const patched = await req({ method: 'PATCH', url: `/v1/articles/${article.body.id}`, headers: editor, payload: { sectionId: null, tagIds: [], authors: [] } });
  t.equal(patched.status, 200, 'the article drops its references');
  for (const [resource, row] of [['authors', author], ['sections', section], ['tags', tag]] as const) {
    t.equal((await req({ method: 'DELETE', url: `/v1/${resource}/${row.id}`, headers: editor })).status, 204, `${resource}: deletable once unreferenced`);
  }
});

t.test('an author portrait must exist', async (t) => {
  const { req, editor } = await build(t);
  const bad = await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Pat', imageMediaId: 'nope' } });
  t.equal(bad.status, 422);
  t.equal(bad.body.errors[0].pointer, '/body/imageMediaId');
  const m = (await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://img.example.org/pat.jpg' } })).body;
  const ok = await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Pat', imageMediaId: m.id } });
  t.equal(ok.status, 201);
  t.equal((await req({ method: 'GET', url: `/v1/media/${m.id}` })).status, 200, 'an author portrait is public');
});
