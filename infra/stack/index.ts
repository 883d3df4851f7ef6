/**
 * The topology supervisor: the project's own PostgreSQL instances, NATS JetStream nodes and
 * service processes, started from the machine's binaries, each in its own process group, with
 * readiness waits and a status file chaos scripts read. See docs/adr/0002-topology-supervisor.md.
 */
export { stackUp, stackDown, StackConflictError } from './stack-lifecycle.ts';
export type { UpOptions, UpReport, DownReport } from './stack-lifecycle.ts';
export { readStatus, endpoints, renderStatusTable } from './stack-view.ts';
export type { StackView, ProcessView } from './stack-view.ts';
export {
  signalProcess,
  restartProcess,
  UnknownProcessError,
  NotRunningError,
} from './process-control.ts';
export type { SignalAction } from './process-control.ts';
export { startService, stopService } from './service.ts';
export type { ServiceSpec, ServiceReadiness } from './service.ts';
export { holdStack } from './stack-hold.ts';
export type { StackHold } from './stack-hold.ts';
export type { StackEndpoints } from './topology.ts';
export { DEFAULT_PORT_BASE, DEFAULT_ROOT } from './options.ts';
export type { StackOptions, NatsMode, PortBase, PortPlan } from './options.ts';
export type { ProcessRecord, ProcessKind, RecordedState, StackStatus } from './status-file.ts';
export type { LiveState } from './process-group.ts';
export { MissingBinaryError } from './binaries.ts';
export { NotReadyError } from './readiness.ts';
export { PortInUseError } from './launcher.ts';
export { waitFor, WaitTimeoutError, WaitAbortedError } from './wait-for.ts';
export type { WaitForOptions } from './wait-for.ts';
