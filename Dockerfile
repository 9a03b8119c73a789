# syntax=docker/dockerfile:1

# ---- build: compile TypeScript, then drop dev dependencies ----------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

# better-sqlite3 is a native addon: npm ci downloads a prebuilt binary when one matches, and compiles
# it with node-gyp (python3, make, g++) when none does (other architectures, newer Node ABIs).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled JS, production node_modules, and the files the code reads at run time ------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=file:/app/data/broadsheet.db \
    MEDIA_DIR=/app/data/media

# Code stays root-owned (the process cannot rewrite itself); only /app/data belongs to the app user.
# The code finds these through paths relative to itself: dist/db/migrate.js → ../../migrations,
# dist/cli/demo-column.js → ../../fixtures, dist/http/openapi.js → ../../package.json.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY migrations-pg ./migrations-pg
COPY fixtures ./fixtures

# A fresh named volume mounted here copies this directory's ownership, so the `node` user can write it.
RUN mkdir -p /app/data/media && chown -R node:node /app/data
USER node

EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node runs as PID 1 and handles SIGTERM itself (close-with-grace drains requests, closes the database).
CMD ["node", "dist/server.js"]
