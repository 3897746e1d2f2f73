export * from './memory';
export * from './ledger';
export * from './release';
