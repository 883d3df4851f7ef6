// Types `inject('stack')` in integration tests (provided by vitest-global-setup.ts).
import type { StackEndpoints } from './topology.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEndpoints;
  }
}
