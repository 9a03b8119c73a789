import { z } from 'zod';
import { pooledHex } from '../ids.js';

/** Body block model (content-model.md). Inline content is a node array, never HTML. */

export const MAX_BLOCKS = 2000;
export const MAX_LIST_DEPTH = 4;

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
// Browsers drop tabs and newlines inside URLs ("java\tscript:"), so any control or space character is refused.
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f\u2028\u2029]/;

export function isSafeHref(href: string): boolean {
  if (href.length === 0 || CONTROL_OR_SPACE.test(href)) return false;
  const scheme = SCHEME.exec(href)?.[1]?.toLowerCase();
  if (scheme === undefined) return !/^(?:\\|\/[/\\])/.test(href); // not "\\x", "//host" or "/\\host": browsers read a backslash as a slash
  if (scheme === 'mailto') return href.length > 7;
  return (scheme === 'http' || scheme === 'https') && URL.canParse(href);
}

export function isHttpUrl(url: string): boolean {
  if (CONTROL_OR_SPACE.test(url) || !URL.canParse(url)) return false;
  const { protocol } = new URL(url);
  return protocol === 'http:' || protocol === 'https:';
}

export const HttpUrlSchema = z
  .string()
  .max(2048)
  .refine(isHttpUrl, { message: 'must be an absolute http(s) URL' })
  .meta({ description: 'An absolute http or https URL.', example: 'https://www.reuters.com/' });

/** The discriminator of a node or block: always the given literal. */
const typeOf = <T extends string>(type: T, what: string) => z.literal(type).meta({ description: `Always \`${type}\`: ${what}.` });

/** A block id (48 random bits, from the pooled CSPRNG buffer: one `randomBytes` call per block cost ~3 % of a write). */
export const newBlockId = () => `b_${pooledHex(6)}`;

const BlockIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'block ids are 1-64 letters, digits, "_" or "-"')
  .optional()
  .meta({ description: 'Stable id, unique within the article. Generated when omitted on write; always present on read.', example: 'p1' });

export const MarkSchema = z
  .enum(['bold', 'italic', 'underline', 'strike', 'code', 'sup', 'sub'])
  .meta({ id: 'Mark', description: 'Inline formatting mark.' });

export const TextNodeSchema = z
  .strictObject({
    type: typeOf('text', 'a run of text'),
    text: z.string().max(100_000).meta({ description: 'The text itself, plain (never HTML: renderers escape it). Up to 100,000 characters.', example: 'On January 10th, TASS reported that Moscow and Beijing have made an agreement…' }),
    marks: z
      .array(MarkSchema)
      .max(7)
      .refine((m) => new Set(m).size === m.length, { message: 'marks must be unique' })
      .optional()
      .meta({ description: 'Formatting applied to the whole run, each mark at most once. Absent: plain text.', example: ['italic'] }),
  })
  .meta({ id: 'TextNode', description: 'A run of text with optional marks.' });

export const LinkNodeSchema = z
  .strictObject({
    type: typeOf('link', 'a hyperlink'),
    href: z
      .string()
      .max(2048)
      .refine(isSafeHref, { message: 'href must be http(s), mailto or a relative path' })
      .meta({
        description: 'The target: an absolute `http:`/`https:` URL, a `mailto:` address or a relative path. `javascript:`, `data:` and other schemes, ' +
          'spaces and control characters are refused (400).',
        example: 'https://tass.com/',
      }),
    articleId: z.string().min(1).max(64).optional().meta({
      description: 'Set when the link points at another Broadsheet article: its id (rendered as `data-article-id`, so a front end can resolve the current URL).',
    }),
    children: z.array(TextNodeSchema).min(1).max(100).meta({ description: 'The linked text: 1 to 100 text nodes (links never nest).' }),
  })
  .meta({ id: 'LinkNode', description: 'A hyperlink around text nodes (links never nest).' });

export const BreakNodeSchema = z.strictObject({ type: typeOf('break', 'a line break inside a block') }).meta({ id: 'BreakNode', description: 'A line break.' });

export const InlineSchema = z
  .discriminatedUnion('type', [TextNodeSchema, LinkNodeSchema, BreakNodeSchema])
  .meta({ id: 'Inline', description: 'Inline node: text, link or line break.' });

export const InlinesSchema = z.array(InlineSchema).max(10_000).meta({ description: 'Inline content: text, link and break nodes in reading order (at most 10,000; never HTML).' });

export const ParagraphBlockSchema = z
  .strictObject({ type: typeOf('paragraph', 'a paragraph'), id: BlockIdSchema, children: InlinesSchema.meta({ description: 'The paragraph text, as inline nodes.' }) })
  .meta({ id: 'ParagraphBlock', description: 'A paragraph of inline content.' });

const HeadingBlockSchema = z
  .strictObject({
    type: typeOf('heading', 'a sub-heading'),
    id: BlockIdSchema,
    level: z.union([z.literal(2), z.literal(3), z.literal(4)]).meta({ description: 'Heading level 2..4 (the headline is the h1).' }),
    children: InlinesSchema.meta({ description: 'The heading text, as inline nodes.' }),
  })
  .meta({ id: 'HeadingBlock', description: 'A sub-heading.' });

const ListItemSchema = z
  .strictObject({
    children: InlinesSchema.meta({ description: 'The item text, as inline nodes.' }),
    get list(): z.ZodOptional<typeof ListBlockSchema> {
      return ListBlockSchema.optional().meta({ description: 'A list nested under this item (lists nest at most 4 levels deep).' });
    },
  })
  .meta({ id: 'ListItem', description: 'One list item, optionally with a nested list.' });

export const ListBlockSchema = z
  .strictObject({
    type: typeOf('list', 'a list'),
    id: BlockIdSchema,
    style: z.enum(['bullet', 'ordered']).meta({ description: '`bullet` (unordered, `<ul>`) or `ordered` (numbered, `<ol>`).' }),
    get items(): z.ZodArray<typeof ListItemSchema> {
      return z.array(ListItemSchema).min(1).max(1000).meta({ description: 'The items, in order: 1 to 1,000.' });
    },
  })
  .meta({ id: 'ListBlock', description: 'A bullet or ordered list; nesting is limited to 4 levels.' });

type ListBlock = z.output<typeof ListBlockSchema>;

const BlockquoteBlockSchema = z
  .strictObject({
    type: typeOf('blockquote', 'a quotation'),
    id: BlockIdSchema,
    children: z.array(ParagraphBlockSchema).min(1).max(100).meta({ description: 'The quoted text: 1 to 100 paragraphs (each with its own id).' }),
    attribution: z
      .strictObject({
        name: z.string().min(1).max(300).meta({ description: 'Who is quoted: a person, or a description of them.', example: 'Kazakhstan’s Permanent Representative to the UN' }),
        role: z.string().max(300).optional().meta({ description: 'Their role or title, when `name` does not say it.' }),
        source: z.string().max(300).optional().meta({ description: 'Where the words come from (a statement, a publication).', example: 'UN Security Council statement' }),
        url: HttpUrlSchema.optional().meta({ description: 'A link to the source.' }),
      })
      .optional()
      .meta({ description: 'The speaker, rendered as the quote\'s caption (`<figcaption>`); absent for an unattributed quote.' }),
  })
  .meta({ id: 'BlockquoteBlock', description: 'A quotation of one or more paragraphs, with its speaker.' });

const PullquoteBlockSchema = z
  .strictObject({
    type: typeOf('pullquote', 'a quote pulled out for display'),
    id: BlockIdSchema,
    text: z.string().min(1).max(1000).meta({ description: 'The quote, plain text (1 to 1,000 characters).' }),
    attribution: z
      .strictObject({
        name: z.string().min(1).max(300).meta({ description: 'Who said it.' }),
        role: z.string().max(300).optional().meta({ description: 'Their role or title.' }),
      })
      .optional()
      .meta({ description: 'Who said it; absent when the quote is the article\'s own words.' }),
  })
  .meta({ id: 'PullquoteBlock', description: 'A quote lifted from the text for display; not counted as body text.' });

const mediaUseFields = {
  mediaId: z.string().min(1).max(64).meta({ description: 'The media item shown (see GET /v1/media/{id}); it must exist when the article is saved (else 422).', example: '01JD3Q8Z6V0R8Y5M2K1N4P7M3D' }),
  caption: InlinesSchema.nullable().optional().meta({ description: 'Absent: inherit the media caption. null: hide it. A value: replace it.' }),
  credit: z.string().max(500).nullable().optional().meta({ description: 'Absent: inherit the media credit. null: hide it. A value: replace it.' }),
  alt: z.string().max(1000).optional().meta({ description: 'Absent: inherit the media alt text. A value: replace it.' }),
};

export const MediaUseSchema = z
  .strictObject(mediaUseFields)
  .meta({ id: 'MediaUse', description: 'A use of a media item with per-use overrides of caption, credit and alt text.' });

export const ImageBlockSchema = z
  .strictObject({
    type: typeOf('image', 'an image from the media library'),
    id: BlockIdSchema,
    ...mediaUseFields,
    layout: z.enum(['inline', 'wide', 'full']).optional().meta({ description: 'A hint for the front end (`data-layout` in the HTML): `inline` (text width), `wide` (beyond the text column) or `full` (edge to edge); absent: the front end\'s default.' }),
  })
  .meta({ id: 'ImageBlock', description: 'An image from the media library, placed in the body.' });

const EmbedBlockSchema = z
  .strictObject({
    type: typeOf('embed', 'an embedded third-party resource'),
    id: BlockIdSchema,
    url: HttpUrlSchema.meta({ description: 'The resource to embed (an absolute http(s) URL); the API never fetches it.', example: 'https://video.example.org/watch/ukraine-on-fire' }),
    provider: z.string().max(100).optional().meta({ description: 'Who hosts it, for the front end to pick an embed code.', example: 'Example Video' }),
    title: z.string().max(300).optional().meta({ description: 'A title, for accessibility (the iframe `title`).' }),
    caption: InlinesSchema.optional().meta({ description: 'Shown under the embed, as inline nodes.' }),
  })
  .meta({ id: 'EmbedBlock', description: 'An embedded third-party resource (video, post) by URL.' });

const DividerBlockSchema = z.strictObject({ type: typeOf('divider', 'a section break'), id: BlockIdSchema }).meta({ id: 'DividerBlock', description: 'A section break.' });

export const BlockSchema = z
  .discriminatedUnion('type', [
    ParagraphBlockSchema,
    HeadingBlockSchema,
    ListBlockSchema,
    BlockquoteBlockSchema,
    PullquoteBlockSchema,
    ImageBlockSchema,
    EmbedBlockSchema,
    DividerBlockSchema,
  ])
  .meta({ id: 'Block', description: 'One body block.' });

export type Block = z.output<typeof BlockSchema>;
export type Inline = z.output<typeof InlineSchema>;

function checkLists(list: ListBlock, depth: number, path: (string | number)[], ctx: z.RefinementCtx, ids: Map<string, string>) {
  if (depth > MAX_LIST_DEPTH) {
    ctx.addIssue({ code: 'custom', path, message: `lists nest at most ${MAX_LIST_DEPTH} levels` });
    return;
  }
  list.items.forEach((item, i) => {
    if (item.list) {
      const p = [...path, 'items', i, 'list'];
      checkId(item.list.id, p, ctx, ids);
      checkLists(item.list, depth + 1, p, ctx, ids);
    }
  });
}

function checkId(id: string | undefined, path: (string | number)[], ctx: z.RefinementCtx, ids: Map<string, string>) {
  if (id === undefined) return;
  if (ids.has(id)) ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: `block id "${id}" is already used` });
  else ids.set(id, path.join('/'));
}

export const BodySchema = z
  .array(BlockSchema)
  .max(MAX_BLOCKS)
  .superRefine((blocks, ctx) => {
    const ids = new Map<string, string>();
    blocks.forEach((b, i) => {
      checkId(b.id, [i], ctx, ids);
      if (b.type === 'list') checkLists(b, 1, [i], ctx, ids);
      if (b.type === 'blockquote') b.children.forEach((p, j) => checkId(p.id, [i, 'children', j], ctx, ids));
    });
  })
  .meta({ id: 'Body', description: `The article body: at most ${MAX_BLOCKS} blocks, each with an id unique within the article.` });

export type Body = Block[];

type WithId = { id?: string | undefined };
/** Gives every block (nested lists and quoted paragraphs too) an id, keeping the ones sent. */
export function assignBlockIds<T extends WithId>(blocks: T[]): T[] {
  const fill = <B extends WithId>(b: B): B => {
    const out: Record<string, unknown> = { ...b, id: b.id ?? newBlockId() };
    if ('items' in b && Array.isArray(b.items)) {
      out.items = (b.items as { list?: WithId }[]).map((it) => (it.list ? { ...it, list: fill(it.list) } : it));
    }
    if ((b as { type?: string }).type === 'blockquote' && 'children' in b && Array.isArray(b.children)) {
      out.children = (b.children as WithId[]).map(fill);
    }
    return out as B;
  };
  return blocks.map(fill);
}
