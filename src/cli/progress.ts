import type { Stream } from './context';

/**
 * A one-line progress bar for terminals: `[#########...........]  9/21  adding node3.example.com`.
 * Log lines printed through it appear above the bar, which is redrawn under them.
 */
export class ProgressBar {
  private done = 0;
  private label = '';
  private drawn = false;

  constructor(
    private readonly out: Stream,
    private readonly total: number,
    private readonly width = 24,
  ) {}

  private line(): string {
    const filled = this.total > 0 ? Math.round((this.done / this.total) * this.width) : this.width;
    const count = `${String(this.done).padStart(String(this.total).length)}/${this.total}`;
    const text = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${count}  ${this.label}`;
    const columns = this.out.columns && this.out.columns > 20 ? this.out.columns : 80;
    return text.length > columns - 1 ? text.slice(0, columns - 1) : text;
  }

  private clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(): void {
    this.out.write(`\r\x1b[2K${this.line()}`);
    this.drawn = true;
  }

  update(done: number, label: string): void {
    this.done = done;
    this.label = label;
    this.draw();
  }

  /** Prints a line above the bar, then redraws the bar (with a new count and label when given). */
  log(text: string, state?: { done: number; label: string }): void {
    if (state) {
      this.done = state.done;
      this.label = state.label;
    }
    this.clear();
    this.out.write(text.endsWith('\n') ? text : `${text}\n`);
    this.draw();
  }

  finish(): void {
    this.clear();
  }
}
