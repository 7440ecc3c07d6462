/**
 * The buffer tracker's checks on what a trace may hold, beyond single rows: here, a device that
 * maps buffers for two guests (a PCI function belongs to one; the strategies give a device one
 * IOMMU domain and one shadow pool).
 */
import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';

describe('buffer tracker', () => {
  it('given one device name mapping for guests 0 and 1, then one warning naming it, the guests and the first line, and the rows still replayed', async () => {
    const t = trace(
      '0,0,nic0,net,map,from_device,0x5000,64,1,',
      '10,1,nic0,net,map,from_device,0x5000,64,1,',
      '20,1,nic0,net,map,from_device,0x6000,64,2,',
      '30,0,nic0,net,unmap,,,,1,',
      '40,1,nic0,net,unmap,,,,1,',
      '50,1,nic0,net,unmap,,,,2,',
    );
    const r = await replayText(t, 'single-use');
    expect(r.diagnostics.warnings).toEqual([
      'inline.csv: device nic0 maps buffers for guests 0 and 1 (first at line 3); a device belongs to one guest, so the strategies give both one IOMMU domain (and shadow one pool): name each guest\'s device apart',
    ]);
    expect(r.by['single-use'].dmas).toBe(3);
  });

  it('given each guest its own device, then no warning', async () => {
    const t = trace('0,0,nic0,net,map,from_device,0x5000,64,1,', '10,1,nic1,net,map,from_device,0x5000,64,1,', '30,0,nic0,net,unmap,,,,1,', '40,1,nic1,net,unmap,,,,1,');
    expect((await replayText(t, 'single-use')).diagnostics.warnings).toEqual([]);
  });
});
