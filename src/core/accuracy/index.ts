export * from './schema';
export * from './verdict';
export * from './run';
export * from './protocol';
export * from './lmevalconfig';
