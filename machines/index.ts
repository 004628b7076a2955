export * from './errors.js';
export * from './epoch.js';
export * from './protocol.js';
export * from './addMaintainer.js';
