import { z } from 'zod';

export const ARTICLE_TYPES = ['news', 'opinion', 'analysis', 'feature', 'sponsored'] as const;
export const ArticleTypeSchema = z.enum(ARTICLE_TYPES).meta({ id: 'ArticleType', description: 'Kind of article.' });
export type ArticleType = (typeof ARTICLE_TYPES)[number];
