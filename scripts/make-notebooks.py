#!/usr/bin/env python3
"""Writes notebooks/*.ipynb (unexecuted) from the cell sources below: notebooks are code, kept
reviewable here; `npm run notebooks` executes them headless into out/notebooks/."""
import json, os

KERNEL = {"kernelspec": {"display_name": "Deno", "language": "typescript", "name": "deno"},
          "language_info": {"name": "typescript", "file_extension": ".ts", "mimetype": "text/x.typescript"}}

def nb(cells):
    out = []
    for i, (kind, src) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"cell-{i + 1}", "metadata": {}, "source": src.strip("\n").splitlines(keepends=True)}
        if kind == "code":
            cell.update({"execution_count": None, "outputs": []})
        out.append(cell)
    return {"cells": out, "metadata": KERNEL, "nbformat": 4, "nbformat_minor": 5}

SHOW = '''
// Small display helpers: a Markdown table and an SVG figure in the notebook's output.
const md = (text: string) => Deno.jupyter.display({ "text/markdown": text }, { raw: true });
const svg = async (spec: unknown) => Deno.jupyter.display({ "image/svg+xml": await toSvg(spec as never) }, { raw: true });
'''

replay_nb = nb([
    ("markdown", """
# Replaying traces and exploring strategy costs

This notebook uses dmareplay's public API (`dist/index.js`, built by `npm run build`): it replays
the bundled synthetic traces through every protection strategy, tabulates the costs with arquero
tables, draws the paper-style figures, and sweeps the IOTLB size.
"""),
    ("code", """
import { replay, costPivot, categoryTable, formatTable, figureSpecs, toSvg, sweep } from "../dist/index.js";
""" + SHOW),
    ("markdown", "## Cycles per DMA, per strategy and workload"),
    ("code", """
const traces = ["../traces/netperf-rx.csv", "../traces/netperf-tx.csv", "../traces/disk-seq-read.csv"];
const run = await replay(traces, { strategies: "all", profile: "xen-2008" });
await md(formatTable(costPivot(run.results), "markdown", 0));
"""),
    ("markdown", "## Where the cycles go\n\nCycles per DMA by category; `iotlb-walk` is IOMMU time, not CPU time."),
    ("code", """
await svg(figureSpecs.costByCategorySpec(run.results));
"""),
    ("markdown", "## The categories behind one strategy, as a table"),
    ("code", """
const cats = categoryTable(run.results).filter((d: any) => d.strategy === "single-use" && d.cycles > 0);
await md(formatTable(cats, "markdown", 1));
"""),
    ("markdown", "## Reuse, and what a bigger IOTLB buys\n\nRecycled RX buffers make persistent mappings pay off; the sweep varies the IOTLB size at 4 ways."),
    ("code", """
await svg(figureSpecs.reuseSpec(run.results));
const swept = await sweep(["../traces/netperf-rx.csv"], { grid: ["iotlb.entries=16,64,256"], set: ["iotlb.ways=4"], strategies: "direct-map,persistent,single-use" });
await svg(figureSpecs.iotlbMissVsSizeSpec(swept.rows));
"""),
])

ingest_nb = nb([
    ("markdown", """
# Ingesting a kernel trace and comparing strategies on it

A Linux trace of `iommu:` / `dma:` events (as printed by `trace-cmd report`) is turned into
canonical rows with dmareplay's ingest, then replayed through every strategy. The trace used here
is the bundled excerpt `test/fixtures/kernel/trace-cmd-dma.txt`; point `raw` at your own
`trace-cmd report` output to do the same with a capture of your machine
(`trace-cmd record -e iommu -e dma -- <workload>`).
"""),
    ("code", """
import { ingestToCsv, replay, formatTable, resultsTable, figureSpecs, toSvg } from "../dist/index.js";
""" + SHOW),
    ("code", """
const raw = "../test/fixtures/kernel/trace-cmd-dma.txt";
const summary: any = {};
let csv = "";
for await (const chunk of ingestToCsv(raw, {}, summary)) csv += chunk;
console.log(csv);
console.log(`events ${summary.events}, rows ${summary.rows}, devices ${summary.devices.join(", ")}, skipped ${JSON.stringify(summary.skipped)}, unmatched unmaps ${summary.unmatched_unmaps}`);
"""),
    ("markdown", "## Every strategy on the ingested trace\n\n`replay` ingests raw kernel traces on the fly."),
    ("code", """
const run = await replay([raw], { strategies: "all" });
const t = resultsTable(run.results).select("strategy", "dmas", "cycles_per_dma", "hypercalls", "pt_updates", "iotlb_invalidations", "live_at_end");
await md(formatTable(t, "markdown", 1));
await svg(figureSpecs.overheadSpec(run.results));
"""),
])

here = os.path.join(os.path.dirname(__file__), "..", "notebooks")
for name, book in (("replay-and-explore.ipynb", replay_nb), ("ingest-kernel-trace.ipynb", ingest_nb)):
    with open(os.path.join(here, name), "w") as f:
        json.dump(book, f, indent=1)
        f.write("\n")
    print("wrote", os.path.join("notebooks", name))
