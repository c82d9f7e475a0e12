/**
 * Profiling a served model (Ascend PyTorch Profiler through vLLM's --profiler-config): where the NPU time goes
 * and which operators fell back to the AI CPU.
 *
 *   config.ts    --profiler-config argv (JSON form), reading a server's profiler dir back from its argv
 *   jobs.ts      the host-script jobs: capture (python/profile/capture.py) and summary (summarize.py)
 *   run.ts       runProfile: the server with a profiler → the capture job → the server stopped; resumeProfile
 *   schema.ts    zod schemas of what the host scripts write
 *   findings.ts  the profile's AI CPU operators as a workspace file the language server reads; fix hints
 *   code.ts      those operators on the Python that produces them (diagnostics and hovers)
 *   json.ts      the CLI's --json object
 *   html.ts      the Profile webview / page (tables, bar charts, strict CSP)
 */
export * from './config';
export * from './findings';
export * from './jobs';
export * from './json';
export * from './run';
export * from './schema';
