/**
 * The misbehaving DMAs that `dmareplay attack` injects (see docs/threat-model.md): what each
 * targets, which attacker can cause it, and how many bytes one success reaches.
 */

export type Attacker = 'driver' | 'device';

export interface Scenario {
  id: string;
  title: string;
  attackers: readonly Attacker[];
  /** What the injected DMA tries to reach. */
  doc: string;
}

/** Delays after an unmap at which a stale address is used again (ns). */
export const USE_AFTER_UNMAP_DELAYS_NS = [0, 100_000, 2_000_000, 20_000_000] as const;

function delayLabel(ns: number): string {
  return ns === 0 ? '0' : ns < 1_000_000 ? `${ns / 1000}us` : `${ns / 1_000_000}ms`;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'other-guest', title: 'other guest', attackers: ['driver', 'device'], doc: 'a page of another guest' },
  { id: 'vmm', title: 'VMM memory', attackers: ['driver', 'device'], doc: 'a page of the VMM itself' },
  { id: 'never-used', title: 'own page, never I/O', attackers: ['driver', 'device'], doc: 'a page of the same guest never used for I/O' },
  ...USE_AFTER_UNMAP_DELAYS_NS.map((d) => ({
    id: `use-after-unmap-${delayLabel(d)}`,
    title: `after unmap +${delayLabel(d)}`,
    attackers: ['driver', 'device'] as const,
    doc: `a buffer's page ${delayLabel(d)} after the driver unmapped it, through the address the device was given`,
  })),
  { id: 'sub-page', title: 'same page, beside buffer', attackers: ['driver', 'device'], doc: 'bytes of an in-flight buffer\'s page outside the buffer' },
  { id: 'reassigned', title: 'reassigned in flight', attackers: ['device'], doc: 'an in-flight buffer\'s page after the VMM gave it to another guest' },
  { id: 'wrong-direction', title: 'write to a TX buffer', attackers: ['device'], doc: 'a device write into an in-flight to_device (read-only) buffer' },
];

export const SCENARIO_IDS: readonly string[] = SCENARIOS.map((s) => s.id);
