import type { BusReplyMessage } from '@seamline/bus';
import { BusClient } from '@seamline/bus';
import type { StackEndpoints, TestNamespace } from './test-namespace.ts';
import { stackReplicas } from './test-namespace.ts';
import { waitFor } from './wait-for.ts';

/** Whom a requester sends to. */
export interface RequesterTarget {
  /** The service consuming the commands (`payment`). */
  readonly service: string;
  /** The saga step every command of this service belongs to (`charge` for charge and refund). */
  readonly step: string;
}

/** Plays the orchestrator: sends commands and collects every reply. */
export class Requester {
  readonly replies: BusReplyMessage[] = [];
  readonly #client: BusClient;
  readonly #target: RequesterTarget;

  private constructor(client: BusClient, target: RequesterTarget) {
    this.#client = client;
    this.#target = target;
  }

  static async start(
    stack: StackEndpoints,
    ns: TestNamespace,
    target: RequesterTarget,
  ): Promise<Requester> {
    const client = await BusClient.connect({
      servers: [...stack.nats],
      requester: 'ordertest',
      replicas: stackReplicas(stack),
      naming: {
        streamPrefix: ns.busPrefix.toUpperCase(),
        subjectPrefix: ns.busPrefix.toLowerCase(),
      },
    });
    const r = new Requester(client, target);
    await client.consumeReplies('ordertest', async (m) => {
      r.replies.push(m);
    });
    return r;
  }

  /**
   * Sends `action` of saga `sagaId`; returns its idempotency key (`<saga>:<step>:<action>`).
   * `deadline` (epoch ms) defaults to a minute from now; one in the past sends a late command.
   */
  async send(
    action: string,
    sagaId: string,
    payload: unknown,
    attempt = 1,
    deadline = Date.now() + 60_000,
  ): Promise<string> {
    const { service, step } = this.#target;
    await this.#client.send(service, action, payload, { sagaId, step, deadline, attempt });
    return `${sagaId}:${step}:${action}`;
  }

  repliesFor(key: string): BusReplyMessage[] {
    return this.replies.filter((r) => r.idempotencyKey === key);
  }

  /** Waits until `count` replies for `key` arrived; returns them. */
  async waitReplies(key: string, count = 1): Promise<BusReplyMessage[]> {
    return waitFor(`${count} replies for ${key}`, () => {
      const found = this.repliesFor(key);
      return found.length >= count ? found : undefined;
    });
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
