/** Pure builders of storage node command lines and pure parsers of what the nodes print. */
export * as lvm from './lvm';
export * as fs from './filesystem';
export * as gluster from './gluster';
export * from './lvm-parsers';
export * from './gluster-parsers';
export * from './node-messages';
export { shellQuote, shellCommand } from './shell';
export { parseXml, type XmlElement } from './xml';
