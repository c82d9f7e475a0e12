export * from './schema';
export * from './verdict';
export * from './run';
export * from '../lmeval/protocol';
export * from './lmevalconfig';
