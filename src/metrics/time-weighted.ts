/**
 * Time integrals of the gauges a strategy keeps (live mappings, bytes reachable beyond the
 * buffers in flight), advanced at every event with the trace's own clock. Averages are the
 * integrals divided by the trace's duration.
 */
import { C } from './counters.js';

export class TimeWeighted {
  private last = -1;

  /** Accounts for the time since the previous event at the levels that held during it. */
  advance(c: Float64Array, ts: number): void {
    // Reachable pages include those of unmapped ranges not yet invalidated (lazy mode keeps them
    // reachable through the IOTLB until the flush), each distinct page once.
    const exposure = Math.max(0, c[C.reachableBytes] - c[C.inFlightBytes]);
    // dt = 0 (events at one timestamp, common: DMAs posted together) adds exactly 0 to every
    // integral: skipped.
    if (this.last >= 0 && ts !== this.last) {
      const dt = ts - this.last;
      c[C.mappingArea] += c[C.liveMappings] * dt;
      c[C.exposureArea] += exposure * dt;
      c[C.staleArea] += c[C.staleBytes] * dt;
      c[C.staleRangeArea] += c[C.staleRanges] * dt;
      if (c[C.staleBytes] > 0) c[C.staleWindow] += dt;
    }
    if (exposure > c[C.exposureMax]) c[C.exposureMax] = exposure;
    this.last = ts;
  }

  /** Closes the integrals at the end of the trace. */
  finish(c: Float64Array, endTs: number): void {
    if (this.last >= 0) this.advance(c, Math.max(endTs, this.last));
  }
}
