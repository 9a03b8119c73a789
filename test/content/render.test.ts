import sharp from 'sharp';
import t from 'tap';
import { build, type TestApp } from '../helper.js';

/** A multipart/form-data body with one file part and text parts. */
function multipart(file: Buffer, fields: Record<string, string>) {
  const boundary = `----bs${Math.random().toString(16).slice(2)}`;
  const chunks = [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n`), file, Buffer.from('\r\n')];
  for (const [name, value] of Object.entries(fields)) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const text = (s: string, marks?: string[]) => ({ type: 'text', text: s, ...(marks ? { marks } : {}) });
const p = (id: string, ...children: object[]) => ({ type: 'paragraph', id, children });

async function upload({ req, editor }: TestApp) {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).png().toBuffer();
  const form = multipart(png, { caption: 'Default caption from the library', creditText: 'Korea Pool / Reuters', altText: 'Delegates "meet" at the border' });
  const res = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...form.headers }, payload: form.payload });
  if (res.status !== 201) throw new Error(res.raw);
  return res.body;
}

function bodyWith(mediaId: string) {
  return [
    { type: 'heading', id: 'h2', level: 2, children: [text('Second level')] },
    p('p1',
      text('Before '),
      text('<script>alert(1)</script>'),
      text(' bold-italic', ['bold', 'italic']),
      text(' u', ['underline']), text(' s', ['strike']), text(' c', ['code']), text(' sup', ['sup']), text(' sub', ['sub']),
      { type: 'break' },
      { type: 'link', href: 'https://example.org/search?q="quoted"&x=<1>', children: [text('external "link"')] },
      text(' and '),
      { type: 'link', href: '/articles/other', articleId: 'A1', children: [text('internal')] },
      text(' and '),
      { type: 'link', href: 'mailto:desk@example.org', children: [text('mail')] },
    ),
    { type: 'heading', id: 'h3', level: 3, children: [text('Third level')] },
    {
      type: 'list', id: 'l1', style: 'bullet', items: [
        { children: [text('One')], list: { type: 'list', id: 'l2', style: 'ordered', items: [{ children: [text('One.a')], list: { type: 'list', id: 'l3', style: 'bullet', items: [{ children: [text('Deepest')] }] } }, { children: [text('One.b')] }] } },
        { children: [text('Two')] },
      ],
    },
    { type: 'heading', id: 'h4', level: 4, children: [text('Fourth level')] },
    {
      type: 'blockquote', id: 'q', children: [p('q1', text('We support dialogue.')), p('q2', text('And <peace>.'))],
      attribution: { name: 'Kairat Umarov', role: 'Permanent Representative', source: 'UN Security Council', url: 'https://un.example.org/statement' },
    },
    { type: 'pullquote', id: 'pq', text: 'Pulled <quote>', attribution: { name: 'Ann' } },
    { type: 'image', id: 'img', mediaId, caption: [text('Override caption & '), text('more', ['italic'])], layout: 'wide' },
    { type: 'embed', id: 'e', url: 'https://video.example.org/v/1?a=1&b=2', provider: 'video', title: 'A <video>' },
    { type: 'divider', id: 'd' },
  ];
}

t.test('include=html: semantic, escaped HTML from one renderer', async (t) => {
  const app = await build(t);
  const { req, editor } = app;
  const media = await upload(app);
  const created = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Rendered', body: bodyWith(media.id) } });
  t.equal(created.status, 201, created.raw);
  await req({ method: 'POST', url: `/v1/articles/${created.body.id}/publish`, headers: editor });

  const res = await req({ method: 'GET', url: `/v1/articles/${created.body.id}?include=html` });
  t.equal(res.status, 200);
  const html: string = res.body.bodyHtml;
  t.type(html, 'string');
  t.notOk(/<script/i.test(html), 'no <script anywhere');
  t.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the script text is escaped');
  t.ok(html.includes('<h2>Second level</h2>') && html.includes('<h3>Third level</h3>') && html.includes('<h4>Fourth level</h4>'), 'headings are h2..h4');
  t.notOk(/<h1|<h5|<h6/.test(html), 'no other heading levels');
  t.ok(html.includes('<strong><em> bold-italic</em></strong>'), 'marks nest, the first outermost');
  for (const tag of ['u', 's', 'code', 'sup', 'sub']) t.ok(html.includes(`<${tag}>`), `<${tag}> for its mark`);
  t.ok(html.includes('<br>'), 'breaks');
  t.ok(html.includes('<a href="https://example.org/search?q=&quot;quoted&quot;&amp;x=&lt;1&gt;" rel="noopener">external &quot;link&quot;</a>'), 'the external link is escaped and has rel=noopener');
  t.ok(html.includes('<a href="/articles/other" data-article-id="A1">internal</a>'), 'an internal link has no rel');
  t.ok(html.includes('<a href="mailto:desk@example.org">mail</a>'), 'a mailto link has no rel');
  t.ok(html.includes('<ul><li>One<ol><li>One.a<ul><li>Deepest</li></ul></li><li>One.b</li></ol></li><li>Two</li></ul>'), 'lists nest inside their item');
  t.match(html, /<blockquote cite="https:\/\/un\.example\.org\/statement"><p>We support dialogue\.<\/p><p>And &lt;peace&gt;\.<\/p><footer><cite>Kairat Umarov, Permanent Representative, <a href="https:\/\/un\.example\.org\/statement" rel="noopener">UN Security Council<\/a><\/cite><\/footer><\/blockquote>/, 'blockquote with its paragraphs and a cite');
  t.ok(html.includes('<aside class="pullquote"><p>Pulled &lt;quote&gt;</p><footer><cite>Ann</cite></footer></aside>'), 'pull quote aside');
  const figure = /<figure class="image" data-layout="wide">(.*?)<\/figure>/.exec(html)?.[1] ?? '';
  t.match(figure, /<img src="[^"]+\/v1\/media\/[^"]+\/file"/, 'the image source');
  t.match(figure, /alt="Delegates &quot;meet&quot; at the border" width="64" height="48"/, 'alt and size from the media item');
  t.match(figure, /<figcaption>Override caption &amp; <em>more<\/em> <span class="credit">Korea Pool \/ Reuters<\/span><\/figcaption>/, 'figcaption: the overriding caption and the inherited credit');
  t.notOk(html.includes('Default caption from the library'), 'the overridden caption is not used');
  t.ok(html.includes('<figure class="embed" data-provider="video"><a href="https://video.example.org/v/1?a=1&amp;b=2" rel="noopener">A &lt;video&gt;</a></figure>'), 'embed');
  t.ok(html.includes('<hr>'), 'divider');
  const image = res.body.body.find((b: any) => b.type === 'image');
  t.notOk('media' in image || 'display' in image, 'media used for rendering is not returned without include=media');
  t.notOk('bodyText' in res.body, 'no text without include=text');

  const withMedia = await req({ method: 'GET', url: `/v1/articles/${created.body.id}?include=html,media` });
  t.equal(withMedia.body.bodyHtml, html, 'the same HTML with media expanded in the response');
  t.equal(withMedia.body.body.find((b: any) => b.type === 'image').display.credit, 'Korea Pool / Reuters');

  const plain = await req({ method: 'GET', url: `/v1/articles/${created.body.id}?include=text` });
  t.equal(plain.body.bodyText, [
    'Second level',
    'Before <script>alert(1)</script> bold-italic u s c sup sub\nexternal "link" and internal and mail',
    'Third level',
    '- One\n  1. One.a\n    - Deepest\n  2. One.b\n- Two',
    'Fourth level',
    'We support dialogue.\nAnd <peace>.\n— Kairat Umarov, Permanent Representative, UN Security Council',
    'Override caption & more (Korea Pool / Reuters)',
    'A <video>: https://video.example.org/v/1?a=1&b=2',
    '* * *',
  ].join('\n\n'), 'plain text: blocks separated by blank lines, list markers, attribution line');
  t.notOk('bodyHtml' in plain.body, 'no HTML without include=html');

  const all = await req({ method: 'GET', url: `/v1/articles/by-slug/${created.body.slug}?include=all` });
  t.equal(all.body.bodyHtml, html, 'include=all has the HTML');
  t.equal(all.body.bodyText, plain.body.bodyText, 'and the text');
  const list = await req({ method: 'GET', url: '/v1/articles?include=html,text' });
  t.equal(list.body.data[0].bodyHtml, html, 'lists render too');
});

t.test('include=html: hidden captions and credits, missing media', async (t) => {
  const app = await build(t);
  const { req, editor } = app;
  const media = await upload(app);
  const body = [
    { type: 'image', id: 'hidden', mediaId: media.id, caption: null, credit: null, alt: 'Override alt' },
    { type: 'image', id: 'inherit', mediaId: media.id },
  ];
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Images', body } })).body;
  const res = await req({ method: 'GET', url: `/v1/articles/${a.id}?include=html,text`, headers: editor });
  const [hidden, inherit] = res.body.bodyHtml.split('\n');
  t.match(hidden, /^<figure class="image"><img [^>]*alt="Override alt"[^>]*><\/figure>$/, 'null caption and credit: no figcaption');
  t.match(inherit, /<figcaption>Default caption from the library <span class="credit">Korea Pool \/ Reuters<\/span><\/figcaption>/, 'absent overrides inherit');
  t.equal(res.body.bodyText, 'Default caption from the library (Korea Pool / Reuters)', 'a hidden caption leaves no text line');

  await req({ method: 'DELETE', url: `/v1/media/${media.id}?force=true`, headers: editor });
  const gone = await req({ method: 'GET', url: `/v1/articles/${a.id}?include=html`, headers: editor });
  t.equal(gone.status, 200);
  t.equal(gone.body.bodyHtml, '', 'an image whose media item is gone renders nothing');
});
