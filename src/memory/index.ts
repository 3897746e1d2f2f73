export * from './memory';
export * from './ledger';
