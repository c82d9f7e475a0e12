export * from './schema';
export * from './verdict';
export * from './run';
export { hostMkdir, hostPython, hostReadFile, hostWriteFile, HostIoError, runJobToEnd, type JobRunEvidence } from './hostio';
