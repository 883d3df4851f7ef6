export {
  chargeCommand,
  chargeResult,
  effectKey,
  lineItem,
  parseEffectKey,
  PATTERNS,
  refundCommand,
  refundResult,
  releaseCommand,
  releaseResult,
  reserveCommand,
  reserveResult,
  STEP_OF,
} from './src/commands.ts';
export type {
  ChargeCommand,
  ChargeResult,
  EffectAction,
  LineItem,
  RefundCommand,
  RefundResult,
  ReleaseCommand,
  ReleaseResult,
  ReserveCommand,
  ReserveResult,
} from './src/commands.ts';
export { canonicalJson, fingerprint } from './src/fingerprint.ts';
export { ORDER_LIMITS, orderTotalCents, totalLimitBreach } from './src/order-limits.ts';
