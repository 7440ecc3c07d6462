/**
 * SVG to PDF, for papers: the figure's own SVG drawn as vectors by svg-to-pdfkit into a pdfkit
 * page of the SVG's size, with the bundled DejaVu fonts embedded (no system fonts). pdfkit
 * stamps the current time into the file and derives the file ID from it; both are pinned here,
 * so the same figure gives the same bytes on every run.
 */
import { createRequire } from 'node:module';
import { FONT } from './style.js';

const require = createRequire(import.meta.url);
// Neither package ships types; they are used through this file only.
const PDFDocument = require('pdfkit') as new (options: Record<string, unknown>) => PdfDoc;
const SVGtoPDF = require('svg-to-pdfkit') as (doc: PdfDoc, svg: string, x: number, y: number, options: Record<string, unknown>) => void;

interface PdfDoc {
  registerFont(name: string, file: string): void;
  on(event: 'data', fn: (chunk: Buffer) => void): void;
  on(event: 'end', fn: () => void): void;
  end(): void;
}

/** A fixed date for the PDF's CreationDate (and so its ID): 2000-01-01, UTC. */
const PINNED_DATE = new Date(Date.UTC(2000, 0, 1));

/** The SVG's width and height in px, from its root element. */
function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0)) throw new Error('SVG without a width and height');
  return { width, height };
}

/**
 * @param fonts the regular and bold DejaVu Sans files (the ones the PNG is rendered with)
 * @returns the PDF's bytes; one page, 1 px of the SVG = 1 pt
 */
export function svgToPdf(svg: string, fonts: { regular: string; bold: string }): Promise<Buffer> {
  const { width, height } = svgSize(svg);
  const doc = new PDFDocument({ size: [width, height], margin: 0, autoFirstPage: true, info: { CreationDate: PINNED_DATE, Producer: 'dmareplay', Creator: 'dmareplay' } });
  doc.registerFont(FONT, fonts.regular);
  doc.registerFont(`${FONT}-Bold`, fonts.bold);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve) => {
    doc.on('data', (c) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
  });
  // assumePt: the SVG's px become pt, so the page is exactly the figure.
  SVGtoPDF(doc, svg, 0, 0, { width, height, assumePt: true });
  doc.end();
  return done;
}
