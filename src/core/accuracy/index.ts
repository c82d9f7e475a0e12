export * from './schema';
export * from './verdict';
export * from './run';
export { hostMkdir, hostReadFile, hostWriteFile, HostIoError, runJobToEnd, type JobRunEvidence } from './hostio';
