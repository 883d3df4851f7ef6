/**
 * @seamline/effect-service: a fenced single-writer effect service. One process per domain
 * writes (the elected holder of `<service>-writer`), every effect runs once through the
 * idempotent effect writer, commands arrive over JetStream, and the HTTP side serves metrics,
 * readiness and fixture seeding with RFC 9457 problem details. A service supplies its domain,
 * its command schemas and handlers, its use cases and its seed (see `startEffectService`).
 *
 * `main.ts` imports `@seamline/effect-service/process` instead (config and process runner),
 * which loads nothing that tracing must patch first; tests use `@seamline/effect-service/testing`.
 */
export { runEffectCommand } from './effect-command.ts';
export type { StartGate } from './effect-command.ts';
export { DuplicateEffectDetector } from './duplicate-effect-detector.ts';
export type {
  DetectorPass,
  DuplicateEffectDetectorOptions,
  LedgerScanner,
} from './duplicate-effect-detector.ts';
export { arrivalCause } from './effect-arrivals.ts';
export type { ArrivalsView } from './effect-arrivals.ts';
export type { EffectServiceRuntime, SeedReport } from './effect-runtime.ts';
export { startEffectService } from './effect-service.ts';
export type {
  EffectService,
  EffectServiceOptions,
  EffectServiceSpec,
} from './effect-service-spec.ts';
export { EFFECT_SERVICE_RUNTIME } from './effect-service.tokens.ts';
export { parseBody, ProblemDetailsFilter, ProblemError } from './problem-details.ts';
export type { SeedRecord, SeedSpec } from './seed-records.ts';
export type { EffectServiceConfig } from './service-config.ts';
