import { describe, expect, it } from 'vitest';
import { Vmm, VMM_BASE_PAGE, VMM_PAGES } from '../../../src/model/vmm/vmm.js';
import { C, newCounters } from '../../../src/metrics/counters.js';
import { resolveProfileByName } from '../../../src/cost/profile.js';
import { MAX_GUESTS } from '../../../src/types/event.js';

/** 1 MiB guests: 256 pages each. */
const P = resolveProfileByName('xen-2008', ['guest.memory_mib=1']).params;
const DEFAULT = resolveProfileByName('xen-2008').params;

describe('Vmm geometry', () => {
  it('guest.memory_mib is the RAM of a guest: 1 MiB = 256 pages; the default 1024 MiB = 262144 pages', () => {
    const v = new Vmm(newCounters(), P);
    expect([v.ramPages, v.ramBytes]).toEqual([256, 1024 * 1024]);
    const d = new Vmm(newCounters(), DEFAULT);
    expect([d.ramPages, d.ramBytes]).toEqual([262144, 2 ** 30]);
  });

  it('given a 1 MiB guest, then it owns every page of its 52-bit space (RAM at 64-128 GiB too), and nothing beyond it', () => {
    const v = new Vmm(newCounters(), P);
    const gib = 2 ** 18; // pages per GiB
    expect([v.owns(0, 0), v.owns(0, 255), v.owns(0, 256), v.owns(0, 64 * gib), v.owns(0, 128 * gib - 1), v.owns(0, 2 ** 40 - 1)]).toEqual([true, true, true, true, true, true]);
    expect([v.owns(0, 2 ** 40), v.owns(0, -1)]).toEqual([false, false]);
    expect([v.owns(7, 0), v.owns(MAX_GUESTS - 1, 2 ** 40 - 1), v.owns(-1, 0)]).toEqual([true, true, false]);
  });

  it('host page = guest * 2^40 + gpn: past a guest\'s 52-bit space lies the next guest\'s', () => {
    const v = new Vmm(newCounters(), P);
    expect(v.hostPage(0, 0)).toBe(0);
    expect(v.hostPage(3, 7)).toBe(3 * 2 ** 40 + 7);
    expect(v.hostPage(0, 2 ** 40)).toBe(v.hostPage(1, 0));
    expect([v.hostOwner(0), v.hostOwner(2 ** 40 - 1), v.hostOwner(2 ** 40), v.hostOwner(v.hostPage(3, 7))]).toEqual([0, 0, 1, 3]);
    // Exact in a double, with room for the page table's leaf encoding (host page * 4 + perms).
    expect(Number.isSafeInteger((VMM_BASE_PAGE + VMM_PAGES) * 4 + 3)).toBe(true);
  });

  it('the VMM\'s memory starts above every possible guest: host page MAX_GUESTS * 2^40, owner -1', () => {
    const v = new Vmm(newCounters(), P);
    expect(VMM_BASE_PAGE).toBe(MAX_GUESTS * 2 ** 40);
    expect(v.hostOwner(VMM_BASE_PAGE - 1)).toBe(MAX_GUESTS - 1);
    expect(v.hostOwner(VMM_BASE_PAGE)).toBe(-1);
    expect(v.hostOwner(VMM_BASE_PAGE + VMM_PAGES - 1)).toBe(-1);
    expect(VMM_PAGES).toBe(16384); // 64 MiB
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
    expect([v.validate(0, 0), v.validate(0, 2 ** 40), v.validate(1, -1)]).toEqual([true, false, false]);
    expect([c[C.validations], c[C.cycValidate]]).toEqual([3, 300]);
    expect(c[C.cycValidate]).toBe(3 * P['validate.page_cycles']);
  });

  it('pin / unpin keep a count per page and charge refcount.update_cycles (50) each', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    v.pin(0, 5);
    v.pin(0, 5);
    v.pin(0, 6);
    v.pin(1, 5);
    expect([v.pinCount(0, 5), v.pinCount(0, 6), v.pinCount(0, 7), v.pinCount(1, 5)]).toEqual([2, 1, 0, 1]);
    v.unpin(0, 5);
    expect(v.pinCount(0, 5)).toBe(1);
    v.unpin(0, 5);
    v.unpin(1, 5);
    expect([v.pinCount(0, 5), v.pinCount(0, 6), v.pinCount(1, 5)]).toEqual([0, 1, 0]);
    expect([c[C.refcountUpdates], c[C.cycRefcount]]).toEqual([7, 350]);
    expect(c[C.cycRefcount]).toBe(7 * P['refcount.update_cycles']);
    // nothing else is charged
    expect([c[C.hypercalls], c[C.validations]]).toEqual([0, 0]);
  });

  it('unpinning a page with no pins leaves its count at 0 (never negative) but is still charged', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    v.unpin(0, 9);
    expect(v.pinCount(0, 9)).toBe(0);
    v.pin(0, 9);
    expect(v.pinCount(0, 9)).toBe(1);
    expect(c[C.refcountUpdates]).toBe(2);
  });

  it('pages at and above 2^32 (and 2^36) are counted separately from their low 32 bits', () => {
    const v = new Vmm(newCounters(), P);
    v.pin(0, 2 ** 32 + 5);
    v.pin(0, 2 ** 32 + 5);
    v.pin(0, 5);
    v.pin(0, 2 ** 39 + 5);
    expect([v.pinCount(0, 2 ** 32 + 5), v.pinCount(0, 5), v.pinCount(0, 2 ** 33 + 5), v.pinCount(0, 2 ** 39 + 5)]).toEqual([2, 1, 0, 1]);
    v.unpin(0, 2 ** 32 + 5);
    v.unpin(0, 2 ** 32 + 5);
    expect([v.pinCount(0, 2 ** 32 + 5), v.pinCount(0, 5)]).toEqual([0, 1]);
  });

  it('many pins across many pages (past the pin table\'s initial capacity) are all exact', () => {
    const v = new Vmm(newCounters(), P);
    for (let p = 0; p < 3000; p++) for (let k = 0; k <= p % 3; k++) v.pin(0, p * 7);
    for (let p = 0; p < 3000; p += 2) v.unpin(0, p * 7);
    for (let p = 0; p < 3000; p++) expect(v.pinCount(0, p * 7)).toBe((p % 3) + 1 - (p % 2 === 0 ? 1 : 0));
  });

  it('chargeRefcount counts one guest-side update without touching pins', () => {
    const c = newCounters();
    const v = new Vmm(c, P);
    v.chargeRefcount();
    expect([c[C.refcountUpdates], c[C.cycRefcount], v.pinCount(0, 0)]).toEqual([1, 50, 0]);
  });
});
