/** The coordinator's drain pieces (§2.5.1 gates, §2.5.2, §2.5.4 coordinator side, §2.5.5). */
export * from './gates.js';
export * from './drainEpoch.js';
export * from './drainSession.js';
