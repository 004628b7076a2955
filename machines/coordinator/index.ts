export * from './changefeedDb.js';
export * from './heartbeat.js';
export * from './bootstrap.js';
export * from './changefeeds.js';
export * from './changefeedApi.js';
export * from './stateChange.js';
