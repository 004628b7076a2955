export * from './epochClock.js';
export * from './storeActors.js';
export * from './admission.js';
export * from './inspect.js';
export * from './coordinatorHost.js';
export * from './snapshot.js';
