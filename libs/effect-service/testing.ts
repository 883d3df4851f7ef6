/**
 * @seamline/effect-service/testing: integration-test support for effect services on the shared
 * stack: a private namespace per test file, the service started and ready, a requester playing
 * the orchestrator, direct per-replica reads, log capture and condition waits (never sleeps).
 */
export { LogCapture } from './testing/log-capture.ts';
export { keysOnEveryReplica, onEveryReplica } from './testing/replica-reads.ts';
export { Requester } from './testing/requester.ts';
export type { RequesterTarget } from './testing/requester.ts';
export { ServiceUnderTest } from './testing/service-under-test.ts';
export type { ServiceUnderTestOptions } from './testing/service-under-test.ts';
export { dropNamespace, privateNamespace, testConfig } from './testing/test-namespace.ts';
export type { StackEndpoints, TestNamespace } from './testing/test-namespace.ts';
export { waitFor } from './testing/wait-for.ts';
