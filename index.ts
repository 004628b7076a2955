export * from './machines/index.js';
export * from './adapters/index.js';
export * from './services/index.js';
