export * from './schema';
export * from './verdict';
export * from './run';
