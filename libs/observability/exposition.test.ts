/**
 * Hunts: a label value with an escaped quote or comma splitting a sample, `+Inf` buckets read
 * as NaN, families without samples (a counter never incremented) missing from the declared
 * set, one odd line blanking the whole scrape, a quantile that disagrees with Prometheus'
 * interpolation.
 */
import { describe, expect, it } from 'vitest';
import { bucketQuantile, createMetrics, parseExposition, sumSamples } from './index.ts';

describe('parseExposition', () => {
  it('reads what createMetrics renders, families without samples included', async () => {
    const m = createMetrics(undefined, { collectDefaults: false });
    m.dedupHits.inc({ service: 'payment', operation: 'charge' }, 3);
    m.quorumOpDuration.observe({ op: 'write', mode: 'quorum' }, 0.004);
    const { samples, families } = parseExposition(await m.render());
    expect(families.get('seamline_duplicate_effects_total')).toBe('counter');
    expect(families.get('seamline_quorum_op_duration_seconds')).toBe('histogram');
    expect(sumSamples(samples, 'seamline_dedup_hits_total', { service: 'payment' })).toBe(3);
    const inf = samples.find(
      (s) => s.name === 'seamline_quorum_op_duration_seconds_bucket' && s.labels['le'] === '+Inf',
    );
    expect(inf?.value).toBe(1);
  });

  it('keeps escaped quotes, commas and braces inside label values', () => {
    const text = [
      '# TYPE x_total counter',
      'x_total{reason="a \\"quoted\\", {braced}",op="w"} 2',
      'this line is not a sample',
      'y 1.5e3 1700000000000',
      'z{le="+Inf"} +Inf',
    ].join('\n');
    const { samples } = parseExposition(text);
    expect(samples).toEqual([
      { name: 'x_total', labels: { reason: 'a "quoted", {braced}', op: 'w' }, value: 2 },
      { name: 'y', labels: {}, value: 1500 },
      { name: 'z', labels: { le: '+Inf' }, value: Number.POSITIVE_INFINITY },
    ]);
  });
});

describe('bucketQuantile', () => {
  const buckets = [
    { le: 0.01, count: 50 },
    { le: 0.05, count: 90 },
    { le: 0.1, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];

  it('interpolates inside the bucket like histogram_quantile', () => {
    expect(bucketQuantile(0.5, buckets)).toBeCloseTo(0.01);
    expect(bucketQuantile(0.7, buckets)).toBeCloseTo(0.03);
    expect(bucketQuantile(0.99, buckets)).toBeCloseTo(0.095);
  });

  it('answers the highest finite edge when the rank falls in +Inf, nothing without data', () => {
    expect(
      bucketQuantile(0.99, [
        { le: 0.1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(0.1);
    expect(bucketQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeUndefined();
  });
});
