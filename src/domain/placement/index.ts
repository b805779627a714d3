/**
 * Zone-aware brick placement over a topology snapshot. Pure: no database, no I/O, no randomness.
 */
export * from './types';
export { placeVolume, placeInView, type SizingRequest } from './place-volume';
export { placeReplacement } from './replacement';
export { clusterCapacity, largestVolumeGib } from './capacity';
export { placementOptionsFrom, parseTagRule, ZONE_CHECKING_OPTION, TAG_MATCH_OPTION, ARBITER_OPTION, type PlacementOptions } from './options';
export { formatPlacementFailure } from './explain';
export { applyPlacement } from './apply';
export { sizingSteps, arbiterBrickKib, MIN_ARBITER_BRICK_KIB } from './sizing';
export { strictZoneCap, zonesNeeded, describeZoneRule } from './rules';
export { mergedTagValue, tagRuleMatches, describeTagRule, arbiterTagOf, buildClusterView } from './eligibility';
