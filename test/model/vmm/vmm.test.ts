import { describe, expect, it } from 'vitest';
import { Vmm } from '../../../src/model/vmm/vmm.js';
import { C, newCounters } from '../../../src/metrics/counters.js';
import { resolveProfileByName } from '../../../src/cost/profile.js';

const P = resolveProfileByName('xen-2008', ['guest.memory_mib=1']).params;

describe('Vmm', () => {
  it('owns guest pages [0, 256) of a 1 MiB guest; host pages are guest * 256 + gpn; the VMM sits above every guest', () => {
    const v = new Vmm(newCounters(), P);
    expect([v.owns(0, 0), v.owns(0, 255), v.owns(0, 256)]).toEqual([true, true, false]);
    expect(v.hostPage(3, 7)).toBe(3 * 256 + 7);
    expect(v.hostOwner(3 * 256 + 7)).toBe(3);
    expect(v.hostOwner(v.vmmBasePage)).toBe(-1);
    expect(v.guestBytes).toBe(1024 * 1024);
  });

  it('charges hypercalls, validations and pins', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    v.hypercall();
    expect(v.validate(0, 300)).toBe(false);
    v.pin(5);
    v.pin(5);
    expect(v.pinCount(5)).toBe(2);
    v.unpin(5);
    v.unpin(5);
    expect(v.pinCount(5)).toBe(0);
    expect([c[C.hypercalls], c[C.validations], c[C.refcountUpdates]]).toEqual([1, 1, 4]);
    expect([c[C.cycHypercall], c[C.cycValidate], c[C.cycRefcount]]).toEqual([1100, 100, 200]);
  });
});
