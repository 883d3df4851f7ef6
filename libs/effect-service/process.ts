/**
 * @seamline/effect-service/process: what a service's `main.ts` needs before anything heavy is
 * loaded: its configuration from the environment and the process runner. It imports neither
 * pg nor fastify nor Nest, so importing it never defeats tracing's module patching.
 */
export { InvalidConfigError } from './config-error.ts';
export { POSTGRES_URLS_VARIABLE, parsePostgresUrls, postgresUrlsField } from './postgres-urls.ts';
export type { PostgresReplicaUrl } from './postgres-urls.ts';
export { loadEffectServiceConfig, parseEnvironment } from './service-config.ts';
export type { EffectServiceConfig, EffectServiceDefaults } from './service-config.ts';
export { runServiceProcess } from './service-process.ts';
export {
  BoundExceededError,
  StartUpStepError,
  StartUpSteps,
  StartUpStepTimeoutError,
  withinBound,
} from './start-up-steps.ts';
export type { StartUpLog, StartUpStepsOptions } from './start-up-steps.ts';
export type {
  ProcessConfig,
  ProcessHost,
  RunningService,
  ServiceProcessSpec,
} from './service-process.ts';
