/** GlusterFS FUSE mounts for the Docker volume plugin and the CSI node service. */
export * from './commands';
export * from './keyed-lock';
export * from './mount-table';
export * from './mounter';
export * from './ref-counts';
export * from './client-log';
