/** Nest provider tokens of the order service. */
export const ORDER_SERVICE = Symbol('ORDER_SERVICE');
export const METRICS = Symbol('METRICS');
export const READINESS = Symbol('READINESS');
export const ORCHESTRATOR = Symbol('ORCHESTRATOR');
export const CLIENT_ATTEMPTS = Symbol('CLIENT_ATTEMPTS');
