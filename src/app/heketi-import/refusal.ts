import { DomainError } from '../../domain/errors';

/** Problems listed in a refusal; a file broken everywhere is named by its first ones. */
const MAX_LISTED = 50;

/** The file is refused: every problem found, each naming the entry and the field. */
export class ImportRefused extends DomainError {
  constructor(
    readonly problems: string[],
    kind: 'validation' | 'conflict' = 'validation',
    headline = 'Heketi import refused',
  ) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => `  ${p}`);
    if (problems.length > MAX_LISTED) listed.push(`  ... and ${problems.length - MAX_LISTED} more`);
    super(kind, `${headline} (${problems.length} problem${problems.length === 1 ? '' : 's'}), nothing was written:\n${listed.join('\n')}`);
  }
}

