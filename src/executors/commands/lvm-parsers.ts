/**
 * Parsers of LVM, udev and wipefs output. Pure: text in, values out; a shape they do not recognise
 * throws, so that a surprise on a node is reported instead of turned into wrong sizes.
 */

export interface VgSize {
  vgName: string;
  extentKib: number;
  totalKib: number;
  usedKib: number;
  freeKib: number;
  vgUuid: string;
}

function wholeNumber(field: string, text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new Error(`vgdisplay -c: ${field} is not a number: ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * `vgdisplay -c <vg>`: one line of 17 colon-separated fields; field 12 is the extent size in KiB, 13-15
 * the total, allocated and free extent counts (0-based field numbers).
 */
export function parseVgDisplay(output: string): VgSize {
  const line = output.split('\n').map((l) => l.trim()).find((l) => l !== '');
  const fields = line?.split(':') ?? [];
  if (fields.length < 17) throw new Error(`vgdisplay -c: expected 17 fields, got ${fields.length}: ${JSON.stringify(output.trim())}`);
  const extentKib = wholeNumber('extent size', fields[12]);
  return {
    vgName: fields[0]!,
    extentKib,
    totalKib: extentKib * wholeNumber('total extents', fields[13]),
    usedKib: extentKib * wholeNumber('allocated extents', fields[14]),
    freeKib: extentKib * wholeNumber('free extents', fields[15]),
    vgUuid: fields[16]!,
  };
}

/** Rows of an LVM `--reportformat json` report (pvs: "pv", vgs: "vg", lvs: "lv"); every value a string. */
export function parseLvmReport(output: string, kind: 'pv' | 'vg' | 'lv'): Array<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch (err) {
    throw new Error(`LVM ${kind} report is not JSON: ${(err as Error).message}`);
  }
  const reports = (parsed as { report?: unknown }).report;
  if (!Array.isArray(reports)) throw new Error(`LVM ${kind} report has no "report" list`);
  const rows: Array<Record<string, string>> = [];
  for (const report of reports) {
    const list = (report as Record<string, unknown>)[kind];
    if (!Array.isArray(list)) throw new Error(`LVM report has no "${kind}" list`);
    for (const row of list) rows.push(Object.fromEntries(Object.entries(row as object).map(([k, v]) => [k, String(v)])));
  }
  return rows;
}

export interface PhysicalVolume {
  pvName: string;
  pvUuid: string;
  /** Empty when the PV belongs to no VG. */
  vgName: string;
}

/** `pvs -o pv_name,pv_uuid,vg_name --reportformat=json`. */
export function parsePvReport(output: string): PhysicalVolume[] {
  return parseLvmReport(output, 'pv').map((row) => ({
    pvName: row['pv_name'] ?? '',
    pvUuid: row['pv_uuid'] ?? '',
    vgName: row['vg_name'] ?? '',
  }));
}

/** `lvs --noheadings -o thin_count <pool>`: one number, padded. */
export function parseThinCount(output: string): number {
  const text = output.trim();
  if (!/^\d+$/.test(text)) throw new Error(`thin_count is not a number: ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * The size of LVM's pool metadata spare (`[lvol0_pmspare]`) in `lvs -a -o lv_name,lv_size --units k
 * --nosuffix` output; 0 when the VG has none yet (no thin pool was ever made in it).
 */
export function parseMetadataSpareKib(output: string): number {
  for (const line of output.split('\n')) {
    const [name, size] = line.trim().split(/\s+/);
    if (name === '[lvol0_pmspare]' && size !== undefined) return Math.round(Number.parseFloat(size));
  }
  return 0;
}

/** `udevadm info --query=symlink`: space-separated paths relative to /dev. */
export function parseUdevSymlinks(output: string): string[] {
  return output
    .split(/\s+/)
    .filter((link) => link !== '')
    .map((link) => (link.startsWith('/') ? link : `/dev/${link}`));
}

export interface Signature {
  type: string;
  offset: string;
}

/** `wipefs --no-act --noheadings --output TYPE,OFFSET`: one signature per line; nothing for a blank disk. */
export function parseSignatures(output: string): Signature[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [type = '', offset = ''] = line.split(/\s+/);
      return { type, offset };
    });
}
