export * from './changefeedDb.js';
