/** The import's answer on the wire (POST /db/import), as much of it as the report shows. */
export interface ImportReportView {
  changed: boolean;
  message: string;
  mode: 'empty' | 'merge';
  counts: { clusters: number; nodes: number; devices: number; volumes: number; bricks: number };
  drift: Array<{ device: string; node: string; name: string; file: { used: number }; bricks_kib: number; drift_kib: number }>;
  spare_allowance_kib: number;
  verify?: { nodes: number; bricks: number; differences: string[] };
  elapsed_ms: number;
}

const gib = (kib: number) => `${(kib / (1024 * 1024)).toFixed(2)} GiB`;

/** The import's report as an operator reads it: what was taken, the drift per device, the verify result. */
export function describeImport(r: ImportReportView): string {
  const c = r.counts;
  const lines = [
    r.changed ? `Imported (${r.mode === 'merge' ? 'merged' : 'into an empty database'}) in ${r.elapsed_ms} ms` : r.message,
    `  clusters: ${c.clusters}, nodes: ${c.nodes}, devices: ${c.devices}, volumes: ${c.volumes}, bricks: ${c.bricks}`,
  ];
  if (r.verify) {
    lines.push(
      r.verify.differences.length === 0
        ? `  verify: all ${r.verify.bricks} bricks found on ${r.verify.nodes} nodes (LV, thin pool, mount, fstab line)`
        : `  verify: ${r.verify.differences.length} differences:\n${r.verify.differences.map((d) => `    ${d}`).join('\n')}`,
    );
  }
  if (r.drift.length === 0) lines.push('  device space: every device matches its bricks (no drift)');
  else {
    lines.push(`  device space drifted on ${r.drift.length} devices (the recomputed figures are recorded):`);
    for (const d of r.drift) {
      lines.push(`    device ${d.device} (${d.name} on node ${d.node}): file used ${d.file.used} KiB, bricks hold ${d.bricks_kib} KiB, drift ${d.drift_kib} KiB`);
    }
  }
  lines.push(`  left out of device totals for LVM pool metadata spares: ${gib(r.spare_allowance_kib)} over all devices`);
  return lines.join('\n');
}
