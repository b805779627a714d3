/**
 * Slots for operations that talk to storage nodes. Callers beyond the limit wait in line (no 429 while
 * there is room to queue); the queue itself is bounded so a flood is refused instead of growing forever.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxQueued: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Whether one more caller would be accepted (possibly after waiting), `alsoComing` others aside. */
  hasRoom(alsoComing = 0): boolean {
    const free = Math.max(0, this.limit - this.active);
    return this.waiting.length + Math.max(0, alsoComing - free) < this.maxQueued;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active += 1;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    };
  }
}
