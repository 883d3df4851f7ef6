/**
 * @seamline/chaos-control: fault rules for the bus, kept in a NATS KV bucket, turned into the
 * bus's `BusFaults` hooks by a watcher in each service started with chaos enabled.
 */
export { ChaosControl, ChaosNotAppliedError } from './src/chaos-control.ts';
export type { StoredRule, WaitAppliedOptions } from './src/chaos-control.ts';
export { ChaosWatcher } from './src/chaos-watcher.ts';
export type { ChaosLogger, ChaosWatcherOptions } from './src/chaos-watcher.ts';
export { chaosBucketName, tallySchema } from './src/chaos-bucket.ts';
export type { ChaosBucketOptions, ChaosTally } from './src/chaos-bucket.ts';
export { FaultPlan } from './src/fault-plan.ts';
export type { BeforeHandleFault, FaultTarget, RuleTally, TrafficTally } from './src/fault-plan.ts';
export {
  describeRule,
  FAULT_ACTIONS,
  FaultRuleError,
  faultRuleSchema,
  parseFaultRule,
  ruleMatches,
} from './src/fault-rule.ts';
export type { FaultAction, FaultRule, FaultRuleInput } from './src/fault-rule.ts';
