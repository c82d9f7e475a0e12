/**
 * The OpenAI-compatible endpoint client (used by serving's readiness check, smoke, validate, the CLI).
 *   http.ts    normalizeEndpoint, request (the one HTTP path: connections and timeouts are decided there)
 *   openai.ts  checkHealth, listModels, streamChat, chatCompletion
 */
export { errorText, normalizeEndpoint, request, type RawResponse, type RequestOptions } from './http';
export { chatCompletion, checkHealth, listModels, streamChat, type ChatCompletion, type ChatOptions, type ChatStreamResult, type ModelList, type Usage } from './openai';
