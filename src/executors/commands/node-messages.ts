/**
 * Recognisers of what storage nodes say when something is already done or already gone, so that the
 * executor can treat those answers as success. Matched on the tools' own words (LVM 2.03, gluster 10,
 * util-linux), as captured in test/fixtures/node-output.
 */

/** lvremove / lvs of an LV or pool that is not there, or whose VG is not there. */
export function saysLvMissing(stderr: string): boolean {
  return /Failed to find logical volume|Volume group "[^"]*" not found/.test(stderr);
}

/** vgremove / vgdisplay of a VG that is not there. */
export function saysVgMissing(stderr: string): boolean {
  return /Volume group "[^"]*" not found/.test(stderr);
}

/** pvremove / pvs of a disk that is not (or no longer) a PV, or that is gone. */
export function saysNotAPv(stderr: string): boolean {
  return /No PV found on device|Failed to find physical volume|Cannot use \S+: device not found|No device found for/.test(stderr);
}

export function saysVolumeMissing(text: string): boolean {
  return /Volume (\S+ )?does not exist/.test(text);
}

export function saysVolumeExists(text: string): boolean {
  return /Volume \S+ already exists/.test(text);
}

export function saysAlreadyStarted(text: string): boolean {
  return /already started/.test(text);
}

export function saysNotAPeer(text: string): boolean {
  return /is not part of cluster/.test(text);
}
