import { runCli } from './program';

/** The `brickyard` command (bin/brickyard). */
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`Error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 255;
  },
);
