/**
 * Hunts term-start bugs: a writer accepting effects before its token is installed, a term
 * activated after it was superseded, and a fenced term retried forever.
 */
import { FencedError, QuorumUnavailableError } from '@seamline/quorum-store';
import { describe, expect, it } from 'vitest';
import { FencedEffectWriter, WriterTerms } from '../index.ts';
import type { TermStore } from '../index.ts';
import { MemoryStore } from '../test/memory-store.ts';

function termStore(script: (('ok' | Error) | undefined)[]): TermStore & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    installFence: async (_domain, token) => {
      calls.push(`fence:${token}`);
      const step = script.shift();
      if (step instanceof Error) throw step;
      return { acks: 2 };
    },
    antiEntropy: async () => {
      calls.push('repair');
      return [];
    },
  };
}

describe('WriterTerms', () => {
  it('activates the writer only after fencing and repair, retrying while replicas are down', async () => {
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
    expect(store.calls).toEqual(['fence:5', 'fence:5', 'repair']);
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
