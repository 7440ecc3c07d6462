import { DmaCommand } from '../cli/base-command.js';
import { prose } from '../cli/prose.js';
import { STRATEGIES } from '../strategies/index.js';
import { textTable } from '../analysis/text-table.js';

export interface StrategyInfo {
  id: string;
  summary: string;
  from_paper: boolean;
  inter_guest: string;
  intra_guest: string;
  enforced_on_device: boolean;
  note: string;
}

export default class Strategies extends DmaCommand {
  static override summary = 'List the DMA protection strategies and what each protects';
  static override description = prose`inter-guest: can this guest's driver/device reach another guest's memory? (full = blocked for both,
driver-only = a misbehaving device is not stopped). intra-guest: what of the guest's own memory beyond
buffers in flight is protected (page = all but pages with a buffer in flight).`;
  static override examples = ['<%= config.bin %> strategies', '<%= config.bin %> strategies --json'];

  async run(): Promise<{ strategies: StrategyInfo[] }> {
    const strategies = STRATEGIES.map((s) => ({
      id: s.id,
      summary: s.summary,
      from_paper: s.fromPaper,
      inter_guest: s.protection.interGuest,
      intra_guest: s.protection.intraGuest,
      enforced_on_device: s.protection.enforcedOnDevice,
      note: s.protection.note,
    }));
    if (!this.jsonEnabled()) {
      this.log(
        textTable(strategies, [
          { title: 'id', value: (s) => s.id },
          { title: 'inter-guest', value: (s) => s.inter_guest },
          { title: 'intra-guest', value: (s) => s.intra_guest },
          { title: 'vs device', value: (s) => (s.enforced_on_device ? 'yes' : 'no') },
          { title: 'summary', value: (s) => s.summary },
        ]),
      );
      this.log('');
      for (const s of strategies) this.log(`${s.id}: ${s.note}`);
    }
    return { strategies };
  }
}
