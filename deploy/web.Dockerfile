# syntax=docker/dockerfile:1
# The young people's site (web/, SvelteKit with adapter-node). Built from the repository root.

FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
# Manifests first, so that the npm layer is cached across source edits (see bot.Dockerfile).
COPY package.json package-lock.json ./
COPY stubs/ stubs/
COPY protocol/package.json protocol/
COPY synapse/package.json synapse/
COPY bot/package.json bot/
COPY web/package.json web/
COPY agent-client/package.json agent-client/
COPY tests/package.json tests/
# The build needs the root's dev tools (vite, typescript) as well as web's own.
RUN npm ci --workspace web --include-workspace-root
COPY protocol/ protocol/
COPY web/ web/
RUN npm run build --workspace web

# adapter-node bundles devDependencies into web/build but leaves `dependencies` to be resolved at run time:
# install exactly those, without the build tools.
FROM node:24.21.0-bookworm-slim AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY stubs/ stubs/
COPY protocol/package.json protocol/
COPY synapse/package.json synapse/
COPY bot/package.json bot/
COPY web/package.json web/
COPY agent-client/package.json agent-client/
COPY tests/package.json tests/
RUN npm ci --workspace web --omit=dev --ignore-scripts && npm cache clean --force
COPY protocol/ protocol/

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=runtime-deps /app /app
COPY --from=build /app/web/build /app/web/build
COPY web/package.json web/
COPY --chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/espace-entrypoint
USER node
WORKDIR /app/web
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/espace-entrypoint"]
CMD ["node", "build"]
