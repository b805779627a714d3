/** A failure the CLI reports as `Error: <message>` on stderr, exiting 255 like heketi-cli. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export const ERROR_EXIT_CODE = 255;
