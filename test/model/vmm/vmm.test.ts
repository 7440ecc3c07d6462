import { describe, expect, it } from 'vitest';
import { Vmm, VMM_PAGES } from '../../../src/model/vmm/vmm.js';
import { C, newCounters } from '../../../src/metrics/counters.js';
import { resolveProfileByName } from '../../../src/cost/profile.js';
import { MAX_GUESTS } from '../../../src/types/event.js';

/** 1 MiB guests: 256 pages each. */
const P = resolveProfileByName('xen-2008', ['guest.memory_mib=1']).params;
const DEFAULT = resolveProfileByName('xen-2008').params;

describe('Vmm geometry', () => {
  it('a 1 MiB guest has 256 pages (1 MiB); the default 1024 MiB guest has 262144 pages (1 GiB)', () => {
    const v = new Vmm(newCounters(), P);
    expect([v.guestPages, v.guestBytes]).toEqual([256, 1024 * 1024]);
    const d = new Vmm(newCounters(), DEFAULT);
    expect([d.guestPages, d.guestBytes]).toEqual([262144, 2 ** 30]);
  });

  it('a guest owns exactly gpn 0 .. guestPages - 1', () => {
    const v = new Vmm(newCounters(), P);
    expect([v.owns(0, 0), v.owns(0, 255), v.owns(0, 256), v.owns(0, -1), v.owns(0, 1e9)]).toEqual([true, true, false, false, false]);
    expect([v.owns(7, 0), v.owns(MAX_GUESTS - 1, 255), v.owns(-1, 0)]).toEqual([true, true, false]);
  });

  it('host page = guest * guestPages + gpn; beyond a guest\'s memory it is the next guest\'s page', () => {
    const v = new Vmm(newCounters(), P);
    expect(v.hostPage(0, 0)).toBe(0);
    expect(v.hostPage(3, 7)).toBe(775);
    expect(v.hostPage(0, 256)).toBe(v.hostPage(1, 0));
    expect(v.hostOwner(v.hostPage(0, 256))).toBe(1);
    expect([v.hostOwner(0), v.hostOwner(255), v.hostOwner(256), v.hostOwner(775)]).toEqual([0, 0, 1, 3]);
    const d = new Vmm(newCounters(), DEFAULT);
    expect(d.hostPage(2, 5)).toBe(2 * 262144 + 5); // 1 GiB guests start 1 GiB-aligned
    expect(d.hostPage(2, 0) % 262144).toBe(0);
  });

  it('the VMM\'s memory starts above every possible guest: host page MAX_GUESTS * guestPages, owner -1', () => {
    const v = new Vmm(newCounters(), P);
    expect(v.vmmBasePage).toBe(4096 * 256);
    expect(v.hostOwner(v.vmmBasePage - 1)).toBe(MAX_GUESTS - 1);
    expect(v.hostOwner(v.vmmBasePage)).toBe(-1);
    expect(v.hostOwner(v.vmmBasePage + VMM_PAGES - 1)).toBe(-1);
    expect(VMM_PAGES).toBe(16384); // 64 MiB
    expect(new Vmm(newCounters(), DEFAULT).vmmBasePage).toBe(2 ** 30);
  });
});

describe('Vmm costs', () => {
  it('each hypercall counts 1 call and hypercall.cycles (1100)', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    v.hypercall();
    v.hypercall();
    v.hypercall();
    expect([c[C.hypercalls], c[C.cycHypercall]]).toEqual([3, 3 * P['hypercall.cycles']]);
    expect(c[C.cycHypercall]).toBe(3300);
  });

  it('validate answers ownership and charges validate.page_cycles (100) whatever the answer', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    expect([v.validate(0, 0), v.validate(0, 256), v.validate(1, -1)]).toEqual([true, false, false]);
    expect([c[C.validations], c[C.cycValidate]]).toEqual([3, 300]);
    expect(c[C.cycValidate]).toBe(3 * P['validate.page_cycles']);
  });

  it('pin / unpin keep a count per host page and charge refcount.update_cycles (50) each', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    v.pin(5);
    v.pin(5);
    v.pin(6);
    expect([v.pinCount(5), v.pinCount(6), v.pinCount(7)]).toEqual([2, 1, 0]);
    v.unpin(5);
    expect(v.pinCount(5)).toBe(1);
    v.unpin(5);
    expect([v.pinCount(5), v.pinCount(6)]).toEqual([0, 1]);
    expect([c[C.refcountUpdates], c[C.cycRefcount]]).toEqual([5, 250]);
    expect(c[C.cycRefcount]).toBe(5 * P['refcount.update_cycles']);
    // nothing else is charged
    expect([c[C.hypercalls], c[C.validations]]).toEqual([0, 0]);
  });

  it('unpinning a page with no pins leaves its count at 0 (never negative) but is still charged', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    v.unpin(9);
    expect(v.pinCount(9)).toBe(0);
    v.pin(9);
    expect(v.pinCount(9)).toBe(1);
    expect(c[C.refcountUpdates]).toBe(2);
  });

  it('host pages at and above 2^32 are counted separately from their low 32 bits', () => {
    const v = new Vmm(newCounters(), P);
    v.pin(2 ** 32 + 5);
    v.pin(2 ** 32 + 5);
    v.pin(5);
    expect([v.pinCount(2 ** 32 + 5), v.pinCount(5), v.pinCount(2 ** 33 + 5)]).toEqual([2, 1, 0]);
    v.unpin(2 ** 32 + 5);
    v.unpin(2 ** 32 + 5);
    expect([v.pinCount(2 ** 32 + 5), v.pinCount(5)]).toEqual([0, 1]);
  });

  it('many pins across many pages (past the pin table\'s initial capacity) are all exact', () => {
    const v = new Vmm(newCounters(), P);
    for (let p = 0; p < 3000; p++) for (let k = 0; k <= p % 3; k++) v.pin(p * 7);
    for (let p = 0; p < 3000; p += 2) v.unpin(p * 7);
    for (let p = 0; p < 3000; p++) expect(v.pinCount(p * 7)).toBe((p % 3) + 1 - (p % 2 === 0 ? 1 : 0));
  });

  it('chargeRefcount counts one guest-side update without touching pins', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    v.chargeRefcount();
    expect([c[C.refcountUpdates], c[C.cycRefcount], v.pinCount(0)]).toEqual([1, 50, 0]);
  });
});
