export * from './topk';
export * from './ctc';
export * from './db';
