import { z } from 'zod';
import { randomBytes } from 'node:crypto';

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

export const newBlockId = () => `b_${randomBytes(6).toString('hex')}`;

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
    type: z.literal('text'),
    text: z.string().max(100_000),
    marks: z
      .array(MarkSchema)
      .max(7)
      .refine((m) => new Set(m).size === m.length, { message: 'marks must be unique' })
      .optional(),
  })
  .meta({ id: 'TextNode', description: 'A run of text with optional marks.' });

export const LinkNodeSchema = z
  .strictObject({
    type: z.literal('link'),
    href: z
      .string()
      .max(2048)
      .refine(isSafeHref, { message: 'href must be http(s), mailto or a relative path' }),
    articleId: z.string().min(1).max(64).optional().meta({ description: 'Set when the link points at another Broadsheet article.' }),
    children: z.array(TextNodeSchema).min(1).max(100),
  })
  .meta({ id: 'LinkNode', description: 'A hyperlink around text nodes (links never nest).' });

export const BreakNodeSchema = z.strictObject({ type: z.literal('break') }).meta({ id: 'BreakNode', description: 'A line break.' });

export const InlineSchema = z
  .discriminatedUnion('type', [TextNodeSchema, LinkNodeSchema, BreakNodeSchema])
  .meta({ id: 'Inline', description: 'Inline node: text, link or line break.' });

export const InlinesSchema = z.array(InlineSchema).max(10_000);

export const ParagraphBlockSchema = z
  .strictObject({ type: z.literal('paragraph'), id: BlockIdSchema, children: InlinesSchema })
  .meta({ id: 'ParagraphBlock', description: 'A paragraph of inline content.' });

const HeadingBlockSchema = z
  .strictObject({
    type: z.literal('heading'),
    id: BlockIdSchema,
    level: z.union([z.literal(2), z.literal(3), z.literal(4)]).meta({ description: 'Heading level 2..4 (the headline is the h1).' }),
    children: InlinesSchema,
  })
  .meta({ id: 'HeadingBlock', description: 'A sub-heading.' });

const ListItemSchema = z
  .strictObject({
    children: InlinesSchema,
    get list(): z.ZodOptional<typeof ListBlockSchema> {
      return ListBlockSchema.optional();
    },
  })
  .meta({ id: 'ListItem', description: 'One list item, optionally with a nested list.' });

export const ListBlockSchema = z
  .strictObject({
    type: z.literal('list'),
    id: BlockIdSchema,
    style: z.enum(['bullet', 'ordered']),
    get items(): z.ZodArray<typeof ListItemSchema> {
      return z.array(ListItemSchema).min(1).max(1000);
    },
  })
  .meta({ id: 'ListBlock', description: 'A bullet or ordered list; nesting is limited to 4 levels.' });

type ListBlock = z.output<typeof ListBlockSchema>;

const BlockquoteBlockSchema = z
  .strictObject({
    type: z.literal('blockquote'),
    id: BlockIdSchema,
    children: z.array(ParagraphBlockSchema).min(1).max(100),
    attribution: z
      .strictObject({
        name: z.string().min(1).max(300),
        role: z.string().max(300).optional(),
        source: z.string().max(300).optional(),
        url: HttpUrlSchema.optional(),
      })
      .optional(),
  })
  .meta({ id: 'BlockquoteBlock', description: 'A quotation of one or more paragraphs, with its speaker.' });

const PullquoteBlockSchema = z
  .strictObject({
    type: z.literal('pullquote'),
    id: BlockIdSchema,
    text: z.string().min(1).max(1000),
    attribution: z.strictObject({ name: z.string().min(1).max(300), role: z.string().max(300).optional() }).optional(),
  })
  .meta({ id: 'PullquoteBlock', description: 'A quote lifted from the text for display; not counted as body text.' });

const mediaUseFields = {
  mediaId: z.string().min(1).max(64),
  caption: InlinesSchema.nullable().optional().meta({ description: 'Absent: inherit the media caption. null: hide it. A value: replace it.' }),
  credit: z.string().max(500).nullable().optional().meta({ description: 'Absent: inherit the media credit. null: hide it. A value: replace it.' }),
  alt: z.string().max(1000).optional().meta({ description: 'Absent: inherit the media alt text. A value: replace it.' }),
};

export const MediaUseSchema = z
  .strictObject(mediaUseFields)
  .meta({ id: 'MediaUse', description: 'A use of a media item with per-use overrides of caption, credit and alt text.' });

export const ImageBlockSchema = z
  .strictObject({ type: z.literal('image'), id: BlockIdSchema, ...mediaUseFields, layout: z.enum(['inline', 'wide', 'full']).optional() })
  .meta({ id: 'ImageBlock', description: 'An image from the media library, placed in the body.' });

const EmbedBlockSchema = z
  .strictObject({
    type: z.literal('embed'),
    id: BlockIdSchema,
    url: HttpUrlSchema,
    provider: z.string().max(100).optional(),
    title: z.string().max(300).optional(),
    caption: InlinesSchema.optional(),
  })
  .meta({ id: 'EmbedBlock', description: 'An embedded third-party resource (video, post) by URL.' });

const DividerBlockSchema = z.strictObject({ type: z.literal('divider'), id: BlockIdSchema }).meta({ id: 'DividerBlock', description: 'A section break.' });

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
