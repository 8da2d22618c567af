export * from './domain/primitives';
export * from './domain/collections';
export * from './domain/access';
export * from './domain/rules';
export * from './sync/protocol';
export * from './ipc/contract';
