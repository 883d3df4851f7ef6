/**
 * Sends one operation to many replicas and settles as soon as `decide` says the outcomes so far
 * are enough. Answers that arrive after the decision are still handed to `onLate` (for health
 * tracking), but never delay the caller.
 */
export function fanOut<O, D extends { kind: string }>(
  targets: readonly string[],
  send: (replica: string) => Promise<O>,
  decide: (outcomes: readonly O[], total: number) => D,
  onOutcome: (outcome: O) => void,
): Promise<{ decision: D; outcomes: readonly O[] }> {
  return new Promise((resolve) => {
    const outcomes: O[] = [];
    let settled = false;
    const check = (): void => {
      if (settled) return;
      const decision = decide(outcomes, targets.length);
      if (decision.kind === 'pending') return;
      settled = true;
      resolve({ decision, outcomes: [...outcomes] });
    };
    for (const replica of targets) {
      void send(replica).then((outcome) => {
        onOutcome(outcome);
        outcomes.push(outcome);
        check();
      });
    }
    check();
  });
}
