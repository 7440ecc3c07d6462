import { Args } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { prose } from '../cli/prose.js';
import { listProfileIds, loadProfile, type CostProfile } from '../cost/profile.js';
import { PARAMS } from '../cost/schema.js';
import { textTable } from '../analysis/text-table.js';

export default class Profiles extends DmaCommand {
  static override summary = 'List cost profiles, or show one with every value and its source';
  static override description = prose`Each profile gives every parameter a value with its source (a paper, manual or measurement) or
marks it as an assumption with its reasoning. Any parameter can be overridden for a run with
--set key=value; a profile file of your own can be passed with --profile FILE.json.`;
  static override examples = [
    { description: 'List the bundled profiles', command: '<%= config.bin %> profiles' },
    { description: 'Show every parameter of a profile with its source', command: '<%= config.bin %> profiles xen-2008' },
  ];
  static override args = { profile: Args.string({ description: 'a bundled profile id or a profile JSON file to show' }) };

  async run(): Promise<{ profiles: CostProfile[] }> {
    const { args } = await this.parse(Profiles);
    const ids = args.profile ? [args.profile] : listProfileIds();
    const profiles = ids.map((id) => loadProfile(id));
    if (!this.jsonEnabled()) {
      if (!args.profile) {
        this.log(textTable(profiles, [{ title: 'id', value: (p) => p.id }, { title: 'summary', value: (p) => p.summary }]));
        this.log('\nShow one with: dmareplay profiles <id>');
      } else {
        const p = profiles[0];
        this.log(`${p.id}: ${p.summary}\n`);
        const rows = PARAMS.map((s) => ({ spec: s, entry: p.params[s.key] }));
        this.log(
          textTable(rows, [
            { title: 'key', value: (r) => r.spec.key },
            // Fractional values (cycles per byte) as they are: a fixed 0 decimals would round them.
            { title: 'value', value: (r) => r.entry.value, exact: true },
            { title: 'unit', value: (r) => r.spec.unit },
            { title: 'basis', value: (r) => (r.entry.source ? 'source' : 'assumption') },
          ]),
        );
        this.log('');
        for (const r of rows) this.log(`${r.spec.key} (${r.spec.doc}):\n    ${r.entry.source ?? 'assumption: ' + r.entry.assumption}`);
      }
    }
    return { profiles };
  }
}
