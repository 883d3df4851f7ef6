import type { EffectService } from '../effect-service-spec.ts';
import type { EffectServiceConfig } from '../service-config.ts';
import { keysOnEveryReplica, onEveryReplica } from './replica-reads.ts';
import { Requester } from './requester.ts';
import type { StackEndpoints, TestNamespace } from './test-namespace.ts';
import { dropNamespace, privateNamespace, testConfig } from './test-namespace.ts';

export interface ServiceUnderTestOptions<A extends EffectService> {
  /** The service (`payment`): its bus name, its domain and its dedup metric label. */
  readonly service: string;
  /** The saga step of every command this service takes (`charge`). */
  readonly step: string;
  /** Prefix of the private namespace (`pay`, `paydup`). */
  readonly namespace: string;
  /** Starts the app on the test configuration. */
  readonly start: (config: EffectServiceConfig) => Promise<A>;
  /** Changes to the test configuration. @default {} */
  readonly config?: Partial<EffectServiceConfig>;
}

/**
 * One effect service started in a private namespace of the shared stack, ready (it is the
 * writer and consumes commands), with a requester playing the orchestrator. `close` stops
 * both and drops the namespace.
 */
export class ServiceUnderTest<A extends EffectService> {
  private constructor(
    readonly stack: StackEndpoints,
    readonly ns: TestNamespace,
    readonly svc: A,
    readonly orders: Requester,
    private readonly service: string,
  ) {}

  static async start<A extends EffectService>(
    stack: StackEndpoints,
    options: ServiceUnderTestOptions<A>,
  ): Promise<ServiceUnderTest<A>> {
    const ns = privateNamespace(options.namespace);
    const svc = await options.start(testConfig(options.service, stack, ns, options.config));
    try {
      await svc.ready;
      const orders = await Requester.start(stack, ns, options);
      return new ServiceUnderTest(stack, ns, svc, orders, options.service);
    } catch (err) {
      await svc.close();
      await dropNamespace(stack, ns);
      throw err;
    }
  }

  /** `POST /admin/seed`; returns the answer's JSON. */
  async seed(body: unknown): Promise<unknown> {
    const res = await fetch(`${this.svc.url}/admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.json();
  }

  /** Current value of one series of `/metrics` (0 when absent). */
  async metric(series: string): Promise<number> {
    const text = await (await fetch(`${this.svc.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }

  /** Duplicates of `operation` answered from the stored result so far. */
  dedupHits(operation: string): Promise<number> {
    return this.metric(
      `seamline_dedup_hits_total{service="${this.service}",operation="${operation}"}`,
    );
  }

  /** Arrivals of `operation` at the handler for `cause` (first, resend, redelivery) so far. */
  arrivals(operation: string, cause: string): Promise<number> {
    return this.metric(
      `seamline_effect_arrivals_total{service="${this.service}",operation="${operation}",cause="${cause}"}`,
    );
  }

  /** `GET /ops/attempts/:key`: the status and JSON body (a view, or a problem). */
  async attemptsOf(key: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.svc.url}/ops/attempts/${encodeURIComponent(key)}`);
    return { status: res.status, body: await res.json() };
  }

  /** The value of `key` on each replica of the service's domain (undefined where absent). */
  onEveryReplica(key: string): Promise<unknown[]> {
    return onEveryReplica(this.stack, this.ns.database, this.service, key);
  }

  /** Keys under `prefix` on each replica of the service's domain. */
  keysOnEveryReplica(prefix: string): Promise<string[][]> {
    return keysOnEveryReplica(this.stack, this.ns.database, this.service, prefix);
  }

  /** One `value` per replica, e.g. `everywhere(10)` for "10 on every replica". */
  everywhere<T>(value: T): T[] {
    return this.stack.postgres.map(() => value);
  }

  async close(): Promise<void> {
    await this.orders.close();
    await this.svc.close();
    await dropNamespace(this.stack, this.ns);
  }
}
