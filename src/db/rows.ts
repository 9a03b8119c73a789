import type { authors, sections, tags } from './schema.js';

export type TagRow = typeof tags.$inferSelect;
export type AuthorRow = typeof authors.$inferSelect;
export type SectionRow = typeof sections.$inferSelect;
