/** Exponential backoff with full jitter, so many terminals do not hammer a recovering server at once. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
