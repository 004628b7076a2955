export * from './changefeedDb.js';
export * from './heartbeat.js';
