import type { CommandResult, RunOptions, Transport } from '../../../src/executors/transport';

/**
 * A stand-in for a storage node, for the flows that need LVM thin pools (which this machine's kernel
 * cannot run outside the UML lab): a fake Transport that answers each expected command line with a
 * real output captured on the lab's nodes, and records what was run. The last answer for a command
 * repeats; a command nobody scripted fails the test.
 */
export class ScriptedNode implements Transport {
  readonly ran: Array<{ host: string; command: string } & RunOptions> = [];
  private readonly answers = new Map<string, CommandResult[]>();

  answer(command: string, ...results: CommandResult[]): this {
    this.answers.set(command, [...(this.answers.get(command) ?? []), ...results]);
    return this;
  }

  async run(host: string, command: string, options: RunOptions): Promise<CommandResult> {
    this.ran.push({ host, command, ...options });
    const queue = this.answers.get(command);
    if (!queue || queue.length === 0) throw new Error(`unscripted command on ${host}: ${command}`);
    return queue.length > 1 ? queue.shift()! : queue[0]!;
  }

  commands(): string[] {
    return this.ran.map((r) => r.command);
  }

  async close(): Promise<void> {}
}

export const ok = (stdout = ''): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
export const failed = (stderr: string, exitCode = 1): CommandResult => ({ stdout: '', stderr, exitCode });
