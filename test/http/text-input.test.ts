/**
 * The text rules of every request (src/http/validator.ts), the same on SQLite and PostgreSQL: U+0000 is a 400
 * naming the field wherever it comes in (body, nested body, query, path, multipart part, file name, cursor);
 * a lone surrogate is stored as one U+FFFD, in text and JSON columns alike.
 */
import sharp from 'sharp';
import t from 'tap';
import { build, multipart, para } from '../helper.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const NUL = { code: 'invalid_format', message: 'must not contain the NUL character (U+0000)' };
const png = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();

t.test('U+0000 is a 400 naming the field, wherever it comes in, and nothing is written', async (t) => {
  const { req, editor } = await build(t);
  const refused = async (what: string, res: Awaited<ReturnType<typeof req>>, pointers: string[]) => {
    t.equal(res.status, 400, `${what}: 400`);
    t.equal(res.headers['content-type'], PROBLEM, `${what}: problem+json`);
    t.equal(res.body?.code, 'validation-failed', `${what}: validation-failed`);
    t.same(res.body?.errors, pointers.map((pointer) => ({ pointer, ...NUL })), `${what}: names ${pointers.join(', ')}`);
  };
  const tag = (await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'Kept' } })).body;

  await refused('a body field', await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'a\u0000b' } }), ['/body/name']);
  await refused('a patch', await req({ method: 'PATCH', url: `/v1/tags/${tag.id}`, headers: editor, payload: { name: '\u0000' } }), ['/body/name']);
  await refused('nested text and two fields at once', await req({
    method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'x\u0000', body: [para('p1', 'ok'), para('p2', 'a\u0000')] },
  }), ['/body/headline', '/body/body/1/children/0/text']);
  await refused('a query filter', await req({ method: 'GET', url: '/v1/media?credit=a%00b', headers: editor }), ['/query/credit']);
  await refused('a search', await req({ method: 'GET', url: '/v1/search?q=%00' }), ['/query/q']);
  await refused('a path id', await req({ method: 'GET', url: '/v1/tags/a%00b', headers: editor }), ['/params/id']);
  await refused('a path id of a write', await req({ method: 'DELETE', url: '/v1/tags/%00', headers: editor }), ['/params/id']);

  const upload = async (parts: Parameters<typeof multipart>[0]) => {
    const form = multipart(parts);
    return req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...form.headers }, payload: form.payload });
  };
  const file = { name: 'file', filename: 'photo.png', type: 'image/png', data: await png() };
  await refused('a multipart text part', await upload([file, { name: 'creditText', value: 'Pool\u0000' }]), ['/body/creditText']);
  await refused('a \\u0000 escape in a JSON part', await upload([file, { name: 'caption', value: '[{"type":"text","text":"a\\u0000b"}]' }]), ['/body/caption/0/text']);
  await refused('the file name', await upload([{ ...file, filename: 'evil.png\u0000.jpg' }]), ['/body/file']);

  // A forged cursor: the cursor is the pointer (its content is opaque).
  const cursor = Buffer.from(JSON.stringify(['name', 'a\u0000', 'x'])).toString('base64url');
  const forged = await req({ method: 'GET', url: `/v1/tags?cursor=${cursor}` });
  t.equal(forged.status, 400, 'a cursor holding a NUL: 400');
  t.same(forged.body.errors.map((e: { pointer: string }) => e.pointer), ['/query/cursor']);

  t.same((await req({ method: 'GET', url: '/v1/tags' })).body.data.map((x: { name: string }) => x.name), ['Kept'], 'no tag was written or renamed');
  t.equal((await req({ method: 'GET', url: '/v1/media', headers: editor })).body.page.total, 0, 'no media was stored');
  const ok = await upload([file, { name: 'creditText', value: 'Pool' }]);
  t.equal(ok.status, 201, 'the same upload without the NUL is stored');
});

t.test('a lone surrogate is stored as one U+FFFD, in text and JSON columns alike; pairs are kept', async (t) => {
  const { req, editor } = await build(t);
  const author = await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Ana \ud83d\uddde', bio: 'a\ud800b\udc00c' } });
  t.equal(author.status, 201);
  const authorBack = (await req({ method: 'GET', url: `/v1/authors/${author.body.id}`, headers: editor })).body;
  t.equal(authorBack.name, 'Ana \ud83d\uddde', 'a surrogate pair (an emoji) is kept');
  t.equal(authorBack.bio, 'a\ufffdb\ufffdc', 'text column: each lone surrogate is one U+FFFD');

  const disclaimer = await req({ method: 'POST', url: '/v1/disclaimers', headers: editor, payload: { key: 'lone', body: [{ type: 'text', text: 'x\udbffy' }] } });
  t.equal(disclaimer.status, 201, `JSON column: stored (${disclaimer.status})`);
  const back = (await req({ method: 'GET', url: `/v1/disclaimers/${disclaimer.body.id}`, headers: editor })).body;
  t.equal(back.body[0].text, 'x\ufffdy', 'JSON column: the same U+FFFD');
});
