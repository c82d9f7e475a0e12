export * from './schema';
export * from './baseline';
export * from './run';
