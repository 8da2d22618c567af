/**
 * Test-only crash points: with CLINIC_TERMINAL_CRASH_AT=<point> the process kills itself at that
 * exact step, so crash-recovery tests are deterministic. Never set in production.
 */
export type CrashPoint = 'after-outbox-commit' | 'before-push-answer';

export function testCrashPoint(point: CrashPoint): void {
  if (process.env.CLINIC_TERMINAL_CRASH_AT === point) {
    process.stderr.write(`test crash point reached: ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
