// Public entry of @seamline/history-check: the history model and recorder, the linearizability
// checker for keyed registers, and the weaker regular-register and monotonic-reads checks.
export { describeOp, fromEvents, partitionByKey } from './history.ts';
export type { HistoryEvent, Operation, OpKind, Outcome, Value } from './history.ts';
export { HistoryRecorder } from './history-recorder.ts';
export type { PendingOp, RecorderOptions } from './history-recorder.ts';
export { checkLinearizable } from './linearizability.ts';
export type {
  Explanation,
  KeyVerdict,
  LinearizabilityOptions,
  LinearizabilityResult,
  Verdict,
} from './linearizability.ts';
export { checkMonotonicReads } from './monotonic-reads.ts';
export type { MonotonicResult, MonotonicViolation, Observation } from './monotonic-reads.ts';
export { checkRegular } from './regular-register.ts';
export type {
  RegularOptions,
  RegularResult,
  RegularViolation,
  RegularViolationKind,
} from './regular-register.ts';
export { stepRegister } from './register-model.ts';
