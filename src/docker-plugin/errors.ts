/**
 * An error the plugin answers Docker with. Docker prints the `Err` string at the prompt as it is
 * ("Error response from daemon: create shared: VolumeDriver.Create: <message>"), so the message is written
 * for the person typing the command: what went wrong and what to do about it.
 */
export class PluginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginError';
  }
}

/** A bad `-o key=value` or a name Brickyard cannot take. */
export class OptionError extends PluginError {
  constructor(message: string) {
    super(message);
    this.name = 'OptionError';
  }
}
