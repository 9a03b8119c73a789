import { defineConfig } from 'drizzle-kit';

// The PostgreSQL twin of drizzle.config.ts (drizzle-kit takes one dialect per config): `npm run db:generate:pg`.
// drizzle-kit writes foreign keys as `REFERENCES "public"."table"`; remove the `"public".` from a generated
// migration before committing it, so the migrations run in whatever schema the connection's search_path names
// (test/db/pg-schema.test.ts fails until then). Apply migrations with runPgMigrations (src/db/migrate.pg.ts),
// not `drizzle-kit migrate`: it keeps its bookkeeping table in that same schema and locks out a second process.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.pg.ts',
  out: process.env.DRIZZLE_OUT ?? './migrations-pg',
});
