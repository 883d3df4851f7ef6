/**
 * Shared use of the default stack by concurrent test runs. A test run "holds" the stack: it
 * starts it if nothing was running (marking it auto-started) and registers itself as a holder.
 * On release the last holder takes an auto-started stack down again; a stack someone started
 * by hand (`npm run stack -- up`) is never taken down by a test run. Holders that died without
 * releasing are recognised by pid + start time and ignored.
 */
import { randomUUID } from 'node:crypto';
import type { StackOptions } from './options.ts';
import { isAlive, readStat } from './process-table.ts';
import type { Session } from './session.ts';
import { withSession } from './session.ts';
import type { Holder } from './status-file.ts';
import { anyInfraAlive, downInSession, upInSession } from './stack-lifecycle.ts';
import type { UpReport } from './stack-lifecycle.ts';

export interface StackHold {
  /** This hold brought the stack up (nothing of it was running before). */
  started: boolean;
  report: UpReport;
  /** Leaves; takes the stack down when it was auto-started and no other holder remains. */
  release(): Promise<{ down: boolean }>;
}

/** A holder that died without releasing (killed test run) no longer counts. */
export function holderAlive(holder: Holder): boolean {
  return isAlive(holder.pid) && readStat(holder.pid)?.startTicks === holder.startTicks;
}

function pruneHolders(session: Session): void {
  session.status.holders = session.status.holders.filter(holderAlive);
}

/** Ensures the stack is up and registers the caller as a user of it. */
export function holdStack(options: StackOptions & { purpose: string }): Promise<StackHold> {
  return withSession(options, async (session) => {
    pruneHolders(session);
    const started = !anyInfraAlive(session);
    let report: UpReport;
    try {
      report = await upInSession(session);
    } catch (error) {
      // Half a stack nobody holds would outlive the test run; take back what we started.
      if (started) await downInSession(session);
      throw error;
    }
    if (started) session.status.autoStarted = true;
    const id = randomUUID();
    session.status.holders.push({
      id,
      pid: process.pid,
      startTicks: readStat(process.pid)?.startTicks ?? 0,
      purpose: options.purpose,
      since: new Date().toISOString(),
    });
    session.save();
    let released = false;
    return {
      started,
      report,
      release: () => {
        if (released) return Promise.resolve({ down: false });
        released = true;
        return withSession(options, async (later) => {
          later.status.holders = later.status.holders.filter((holder) => holder.id !== id);
          pruneHolders(later);
          const down = later.status.autoStarted && later.status.holders.length === 0;
          if (down) await downInSession(later);
          else later.save();
          return { down };
        });
      },
    };
  });
}
