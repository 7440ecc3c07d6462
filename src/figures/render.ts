/**
 * Renders a Vega-Lite spec without a browser: vega-lite compile -> vega View with renderer
 * 'none' -> SVG text; resvg turns the SVG into PNG with the bundled DejaVu fonts only (no system
 * fonts), so the same spec gives the same bytes on every machine.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { makeDirs } from '../util/make-dirs.js';
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View, logger, Error as VegaErrorLevel } from 'vega';
import { Resvg } from '@resvg/resvg-js';
import { FONT } from './style.js';
import { svgToPdf } from './pdf.js';
import { DEFAULT_FORMATS, type FigureFormat } from './figure-list.js';

export { FIGURE_FORMATS, DEFAULT_FORMATS, parseFormats, type FigureFormat } from './figure-list.js';

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf'].map((f) => join(FONT_DIR, f));

export async function toSvg(spec: TopLevelSpec): Promise<string> {
  // Vega-Lite's layout warnings go to the console; only errors matter for a finished spec.
  const vg = compile(spec, { logger: logger(VegaErrorLevel) }).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG at `scale` x the SVG's own size (2 = crisp on high-DPI screens and in print). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: FONT, sansSerifFamily: FONT },
    background: 'white',
  });
  return Buffer.from(r.render().asPng());
}

export interface WrittenFigure {
  name: string;
  files: string[];
}

/** Writes `<dir>/<name>.vl.json` and one file per format (`.svg`, `.png`, `.pdf`), each replaced whole (util/atomic-file.ts). */
export async function writeFigure(dir: string, name: string, spec: TopLevelSpec, formats: readonly FigureFormat[] = DEFAULT_FORMATS): Promise<WrittenFigure> {
  await makeDirs(dir);
  const svg = await toSvg(spec);
  const spec_ = join(dir, `${name}.vl.json`);
  await writeFileAtomic(spec_, JSON.stringify(spec, null, 2) + '\n');
  const files = [spec_];
  for (const f of formats) {
    const file = join(dir, `${name}.${f}`);
    await writeFileAtomic(file, f === 'svg' ? svg : f === 'png' ? svgToPng(svg) : await svgToPdf(svg, { regular: FONT_FILES[0], bold: FONT_FILES[1] }));
    files.push(file);
  }
  return { name, files };
}
