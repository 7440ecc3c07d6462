/**
 * The palette as a colour-blind reader sees it. The old cost figure drew hypercall, validate and
 * refcount in three warm hues (#e45756, #f58518, #eeca3b) that deuteranopia and tritanopia bring
 * to within 13 to 18 CIELAB units of each other.
 */
import { describe, expect, it } from 'vitest';
import { CATEGORY_COLORS, STRATEGY_COLORS, STRATEGY_SHAPES, STRATEGY_DASHES } from '../../src/figures/style.js';
import { STRATEGY_IDS } from '../../src/strategies/index.js';
import { VISION, colourDistance } from './cvd.js';

describe('palette', () => {
  it('given hypercall, validate and refcount (adjacent in every cost bar), then each pair stays at least 25 CIELAB units apart in normal vision and all three dichromacies', () => {
    const three = ['hypercall', 'validate', 'refcount'].map((c) => CATEGORY_COLORS[c]);
    for (const vision of VISION)
      for (const [i, j] of [[0, 1], [0, 2], [1, 2]]) expect(colourDistance(three[i], three[j], vision), `${vision}: ${three[i]} vs ${three[j]}`).toBeGreaterThanOrEqual(25);
  });

  it('given the IOMMU walk, then its colour stands apart from every CPU category (it is drawn as a bar of its own)', () => {
    for (const [name, colour] of Object.entries(CATEGORY_COLORS)) {
      if (name === 'iotlb-walk') continue;
      for (const vision of VISION) expect(colourDistance(colour, CATEGORY_COLORS['iotlb-walk'], vision), `${name}, ${vision}`).toBeGreaterThanOrEqual(15);
    }
  });

  it('given every strategy, then each has a colour, and a marker and dash pattern no other has (lines that coincide or look alike still differ)', () => {
    for (const id of STRATEGY_IDS) expect(STRATEGY_COLORS[id], id).toMatch(/^#[0-9a-f]{6}$/);
    expect(new Set(STRATEGY_IDS.map((id) => STRATEGY_SHAPES[id])).size).toBe(STRATEGY_IDS.length);
    expect(new Set(STRATEGY_IDS.map((id) => JSON.stringify(STRATEGY_DASHES[id]))).size).toBe(STRATEGY_IDS.length);
  });
});
