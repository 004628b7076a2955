export * from './machines/index.js';
