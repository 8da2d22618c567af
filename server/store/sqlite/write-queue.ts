/**
 * Runs async jobs one after another: SQLite has one writer, and a transaction stays open across
 * the awaits inside a job, so two jobs must never interleave.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    // The queue continues whether the job succeeded or failed.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
