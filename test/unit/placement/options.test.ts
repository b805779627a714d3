import { DomainError } from '../../../src/domain/errors';
import { placementOptionsFrom } from '../../../src/domain/placement';

function errorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('placementOptionsFrom', () => {
  it('reads zone checking, tag rules and arbiter among other gluster options', () => {
    expect(
      placementOptionsFrom([
        'performance.cache-size 64MB',
        'user.heketi.zone-checking best-effort',
        'user.heketi.device-tag-match disk=ssd',
        'user.heketi.device-tag-match  rack!=r7 ',
        'user.heketi.arbiter true',
      ]),
    ).toEqual({
      zoneChecking: 'best-effort',
      tagRules: [
        { key: 'disk', value: 'ssd', negate: false },
        { key: 'rack', value: 'r7', negate: true },
      ],
      arbiter: true,
    });
  });

  it('leaves zone checking unset and arbiter off when the options say nothing', () => {
    expect(placementOptionsFrom(['features.shard on'])).toEqual({ tagRules: [], arbiter: false });
    expect(placementOptionsFrom([])).toEqual({ tagRules: [], arbiter: false });
  });

  it.each(['strict', 'best-effort', 'none'] as const)('accepts zone checking %s', (mode) => {
    expect(placementOptionsFrom([`user.heketi.zone-checking ${mode}`]).zoneChecking).toBe(mode);
  });

  it('accepts arbiter false in any case', () => {
    expect(placementOptionsFrom(['user.heketi.arbiter FALSE']).arbiter).toBe(false);
    expect(placementOptionsFrom(['user.heketi.arbiter True']).arbiter).toBe(true);
  });

  it.each([
    ['user.heketi.zone-checking sometimes', 'validation failed: glustervolumeoptions: user.heketi.zone-checking must be one of strict, best-effort, none, not "sometimes"'],
    ['user.heketi.zone-checking', 'validation failed: glustervolumeoptions: user.heketi.zone-checking must be one of strict, best-effort, none, not ""'],
    ['user.heketi.arbiter yes', 'validation failed: glustervolumeoptions: user.heketi.arbiter must be true or false, not "yes"'],
    ['user.heketi.device-tag-match ssd', 'validation failed: glustervolumeoptions: user.heketi.device-tag-match "ssd" must be key=value or key!=value'],
    ['user.heketi.device-tag-match disk=', 'validation failed: glustervolumeoptions: user.heketi.device-tag-match "disk=" needs a value after ='],
    ['user.heketi.device-tag-match -x=1', 'validation failed: glustervolumeoptions: user.heketi.device-tag-match key "-x" is not a valid tag key'],
    ['user.heketi.device-tag-match disk=a b', 'validation failed: glustervolumeoptions: user.heketi.device-tag-match value for "disk" is not a valid tag value'],
  ])('refuses %j', (option, message) => {
    const error = errorOf(() => placementOptionsFrom([option]));
    expect(error.kind).toBe('validation');
    expect(error.message).toBe(message);
  });
});
