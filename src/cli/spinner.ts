import type { Stream } from './context';

const FRAMES = ['|', '/', '-', '\\'];

/**
 * One line redrawn in place while the CLI waits on a terminal: `/ creating volume: exec (operation 1a2b..., 4 s)`.
 * Cleared before anything else is printed; never used when the output is not a terminal.
 */
export class Spinner {
  private frame = 0;
  private phase: string | undefined;
  private operationId: string | undefined;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly out: Stream,
    private readonly label: string,
  ) {}

  start(): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), 120);
    this.timer.unref();
  }

  update(state: { operationId?: string; phase?: string }): void {
    if (state.operationId !== undefined) this.operationId = state.operationId;
    if (state.phase !== undefined) this.phase = state.phase;
    this.draw();
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    const seconds = Math.floor((Date.now() - this.started) / 1000);
    const op = this.operationId ? `operation ${this.operationId}, ` : '';
    let text = `${FRAMES[this.frame]} ${this.label}${this.phase ? `: ${this.phase}` : ''} (${op}${seconds} s)`;
    const columns = this.out.columns && this.out.columns > 20 ? this.out.columns : 80;
    if (text.length > columns - 1) text = text.slice(0, columns - 1);
    this.out.write(`\r\x1b[2K${text}`);
    this.drawn = true;
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
