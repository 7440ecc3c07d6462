import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listProfileIds, loadProfile, parseOverrides, resolveProfile, resolveProfileByName } from '../../src/cost/profile.js';
import { PARAMS } from '../../src/cost/schema.js';

describe('cost profiles', () => {
  it('every bundled profile gives every parameter a value with a source or an assumption', () => {
    expect(listProfileIds()).toEqual(['modern-vtd', 'xen-2008']);
    for (const id of listProfileIds()) {
      const p = loadProfile(id);
      for (const spec of PARAMS) {
        const e = p.params[spec.key];
        expect(e, `${id} ${spec.key}`).toBeDefined();
        expect(Boolean(e.source || e.assumption), `${id} ${spec.key} has a basis`).toBe(true);
      }
    }
  });

  it('--set overrides, with errors that say what is wrong', () => {
    expect(resolveProfileByName('xen-2008', ['iotlb.entries=128']).params['iotlb.entries']).toBe(128);
    expect(() => parseOverrides(['iotlb.entrys=4'])).toThrow(/unknown key 'iotlb.entrys' \(did you mean 'iotlb.entries'\?\)/);
    expect(() => parseOverrides(['iotlb.entries=abc'])).toThrow(/'abc' is not a number/);
    expect(() => parseOverrides(['iotlb.entries=48'])).toThrow(/power of two/);
    expect(() => parseOverrides(['nic.rx_ring=2.5'])).toThrow(/whole number/);
    expect(() => parseOverrides(['hypercall.cycles'])).toThrow(/expected key=value/);
    expect(() => parseOverrides(['direct-map.page_kib=8'])).toThrow(/4, 2048 or 1048576/);
    expect(() => resolveProfile(loadProfile('xen-2008'), [['iotlb.ways', 128]])).toThrow(/must not exceed iotlb.entries/);
  });

  it('unknown ids list the valid ones; a user profile missing a key is rejected naming it', () => {
    expect(() => loadProfile('xen-2009')).toThrow(/unknown profile 'xen-2009' \(did you mean 'xen-2008'\?\); valid: modern-vtd, xen-2008/);
    const dir = mkdtempSync(join(tmpdir(), 'dmareplay-profile-'));
    const p = loadProfile('xen-2008');
    const { ['hypercall.cycles']: _dropped, ...rest } = p.params;
    const f = join(dir, 'mine.json');
    writeFileSync(f, JSON.stringify({ id: 'mine', params: rest }));
    expect(() => loadProfile(f)).toThrow(/parameter 'hypercall.cycles' is missing/);
    writeFileSync(f, JSON.stringify({ id: 'mine', params: { ...p.params, 'hypercall.cycles': { value: 1 } } }));
    expect(() => loadProfile(f)).toThrow(/neither "source" nor "assumption"/);
    writeFileSync(f, JSON.stringify({ id: 'mine', params: { ...p.params, 'hypercall.cycles': { value: 5, assumption: 'cheaper' } } }));
    expect(resolveProfileByName(f).params['hypercall.cycles']).toBe(5);
  });
});
