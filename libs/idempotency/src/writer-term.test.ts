/**
 * Hunts term-start bugs: a writer accepting effects before its token is installed, a term
 * activated after it was superseded, a fenced term retried forever, and a term that writes with
 * the election's token instead of the one it claimed or reads around its fence (holes 2, 5).
 */
import { FencedError, QuorumUnavailableError } from '@seamline/quorum-store';
import { describe, expect, it } from 'vitest';
import { FencedEffectWriter, WriterTerms } from '../index.ts';
import type { TermStore } from '../index.ts';
import { MemoryStore } from '../test/memory-store.ts';

function termStore(
  script: (('ok' | Error) | undefined)[],
  claim: (proposed: number) => number = (proposed) => proposed,
): TermStore & { calls: string[]; antiEntropy(): Promise<unknown[]> } {
  const calls: string[] = [];
  return {
    calls,
    claimFence: async (_domain, proposed) => {
      calls.push(`fence:${proposed}`);
      const step = script.shift();
      if (step instanceof Error) throw step;
      return { token: claim(proposed), acks: 2 };
    },
    // A term start that still scanned would need this; a TermStore no longer offers it.
    antiEntropy: async () => {
      calls.push('repair');
      return [];
    },
  };
}

describe('WriterTerms', () => {
  it('activates the writer right after fencing, without an anti-entropy pass (hole 7), retrying while replicas are down', async () => {
    const writer = new FencedEffectWriter({ store: new MemoryStore(), domain: 'payment' });
    const store = termStore([new QuorumUnavailableError('install_fence', 1, 2, []), 'ok']);
    const seen: string[] = [];
    const terms = new WriterTerms({
      writer,
      store,
      sleep: async () => {
        seen.push(`token while retrying: ${writer.token}`);
      },
      onActive: (t) => seen.push(`active ${t}`),
    });
    await terms.begin(5);
    expect(store.calls).toEqual(['fence:5', 'fence:5']);
    expect(seen).toEqual(['token while retrying: undefined', 'active 5']);
    expect(writer.token).toBe(5);
    terms.end();
    expect(writer.token).toBeUndefined();
  });

  it('drops a term superseded while it was starting', async () => {
    const writer = new FencedEffectWriter({ store: new MemoryStore(), domain: 'payment' });
    const store = termStore([new QuorumUnavailableError('install_fence', 0, 2, []), 'ok']);
    const terms: WriterTerms = new WriterTerms({ writer, store, sleep: async () => terms.end() });
    await terms.begin(5);
    expect(writer.token).toBeUndefined();
    expect(store.calls).toEqual(['fence:5']);
  });

  it('hole 5 and 2: writes and reads with the token it claimed, not the one the election repeated', async () => {
    const reads: ({ fence?: number } | undefined)[] = [];
    const writes: number[] = [];
    const writer = new FencedEffectWriter({
      store: {
        readMany: async (_domain, _keys, options) => {
          reads.push(options);
          return new Map();
        },
        write: async (_domain, _rows, { token }) => {
          writes.push(token);
          return { acks: 2 };
        },
      },
      domain: 'payment',
    });
    const store = termStore(['ok'], () => 31);
    await new WriterTerms({ writer, store }).begin(5);
    expect(writer.token).toBe(31);
    await writer.apply(['k'], () => ({ writes: [{ key: 'k', value: 1 }], result: 'done' }));
    expect(reads).toEqual([{ fence: 31 }]);
    expect(writes).toEqual([31]);
  });

  it('gives up a fenced term at once and reports it', async () => {
    const writer = new FencedEffectWriter({ store: new MemoryStore(), domain: 'payment' });
    const errors: unknown[] = [];
    const store = termStore([new FencedError('payment', 5, 9, 'pg-1', false)]);
    await new WriterTerms({ writer, store, onError: (e) => errors.push(e) }).begin(5);
    expect(writer.token).toBeUndefined();
    expect(errors[0]).toBeInstanceOf(FencedError);
    expect(store.calls).toEqual(['fence:5']);
  });
});
