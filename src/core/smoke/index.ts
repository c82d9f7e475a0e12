export {
  runSmoke,
  smokePassed,
  smokePrompt,
  smokeReportSchema,
  smokeResultSchema,
  usageCheck,
  type DeltaListener,
  type SmokeOptions,
  type SmokeReport,
  type SmokeResult,
} from './smoke';
