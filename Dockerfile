# Brickyard server image. The entry point is the same start command the tests run: node dist/src/main.js
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY db ./db
COPY bench ./bench
COPY bin ./bin
RUN npm ci && npm prune --omit=dev

# The CSI driver image (`docker build --target csi -t brickyard/brickyard-csi:<version> .`): the same build,
# plus the GlusterFS FUSE client the node service mounts with; deploy/kubernetes runs it in both modes.
FROM node:20-bookworm-slim AS csi
RUN apt-get update && apt-get install -y --no-install-recommends glusterfs-client util-linux \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY package.json ./
COPY src/csi/proto ./src/csi/proto
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/brickyard", "csi"]
CMD ["--mode=node", "--endpoint=unix:///csi/csi.sock"]

# The server image, the default target (`docker build -t brickyard/brickyard:<version> .`).
FROM node:20-bookworm-slim AS server
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY package.json heketi.json ./
RUN mkdir -p /etc/brickyard /var/lib/brickyard && cp heketi.json /etc/brickyard/heketi.json
ENV HEKETI_DB_PATH=/var/lib/brickyard/db
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["--config", "/etc/brickyard/heketi.json"]
