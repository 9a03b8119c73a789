// ESLint flat config. Syntax-only rules (no type information) so `npm run lint` stays fast;
// `npm run typecheck` is where the compiler's own checks run.
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Architecture principle 4: no SQL in routes, no Fastify in repositories. Enforced here, not by review.
const routeFiles = ['src/modules/**/routes.ts', 'src/modules/**/*-routes.ts'];
const repositoryFiles = ['src/modules/**/repository.ts', 'src/modules/**/*-repository.ts'];

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/node_modules/',
    'migrations/',
    'openapi/',
    'coverage/',
    '.tap/',
    '.test-build/',
    'clients/',
    'examples/',
  ]),

  tseslint.configs.recommended,

  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  {
    files: routeFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['drizzle-orm', 'drizzle-orm/*', 'better-sqlite3'],
              message: 'Routes are HTTP only: put SQL in the module repository (or a service) and call it.',
            },
            {
              group: ['**/db/*'],
              message: 'Routes are HTTP only: reach the database through a repository or service, not src/db.',
            },
          ],
        },
      ],
    },
  },

  {
    files: repositoryFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', 'fastify-*', '@fastify/*'],
              message: 'Repositories are SQL only: keep Fastify out (take plain arguments, return plain data).',
            },
            {
              group: ['**/http/*'],
              message: 'Repositories are SQL only: do not import from src/http; let the route or service translate.',
            },
          ],
        },
      ],
    },
  },

  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
