import { z } from 'zod';
import { listOf, PagingQuery, SlugSchema } from '../../http/schemas.js';
import { ARTICLE_TYPES, ArticleSchema, IncludeSchema } from '../articles/schemas.js';

export const SearchQuerySchema = z.strictObject({
  q: z.string().max(200).meta({
    description: 'The words to find in headline, standfirst, body and image captions. Plain text only: quotes, operators (AND, OR, NOT, NEAR), ' +
      '`*`, `%`, `_`, brackets and `column:` prefixes are read as text, never as query syntax. Every word must match; the last one also ' +
      'matches as a prefix when it has three or more characters. Text without any letter or digit is a 400.',
    example: 'Korea crisis',
  }),
  ...PagingQuery,
  cursor: PagingQuery.cursor.meta({
    description: 'Opaque cursor from `page.nextCursor`, valid for the same `q` and filters only. It holds a position in the ranked list: with no writes ' +
      'between pages every match appears exactly once; a write between pages can shift the boundary by the matches it adds or removes above it.',
  }),
  // Inline (not the ArticleType $ref): @fastify/swagger drops the description of a $ref parameter.
  type: z.enum(ARTICLE_TYPES).optional().meta({ description: 'Only articles of this type.' }),
  section: SlugSchema.optional().meta({ description: 'Section slug.' }),
  tag: SlugSchema.optional().meta({ description: 'Tag slug.' }),
  include: IncludeSchema,
});
export type SearchQuery = z.output<typeof SearchQuerySchema>;

export const SearchResultSchema = ArticleSchema.extend({
  snippet: z.string().meta({
    description: 'Up to 24 words around the matches, from the body (or from the captions or standfirst when only they match), as an HTML fragment: ' +
      'the text is HTML-escaped and the matched words are wrapped in `<mark>`…`</mark>`, the only markup it ever contains. `…` marks a cut.',
    example: 'Moscow could become the <mark>mediator</mark> of the <mark>Korean</mark> crisis…',
  }),
  score: z.number().meta({
    description: 'Relevance (negated BM25; headline matches weigh most): higher is better; comparable only within one result list.',
    example: 7.42,
  }),
}).meta({ id: 'SearchResult', description: 'An article that matches the search, with its highlighted snippet and relevance.' });

export const SearchResultListSchema = listOf(SearchResultSchema, 'SearchResultList', 'A page of search results, most relevant first.');
