/**
 * The messages of an Arrow IPC *file* (ARROW1, padding, messages, a footer, its int32 length,
 * ARROW1), in the order its footer lists them: the footer's schema, then its dictionary blocks,
 * then its record batch blocks (File.fbs: `Footer { version, schema, dictionaries: [Block],
 * recordBatches: [Block] }`, `Block { offset: long, metaDataLength: int, bodyLength: long }`, 24
 * bytes). A file's schema may be in its footer only (apache-arrow writes it there), so a file is
 * read whole, as apache-arrow's file reader read it; arrow-framing.ts has checked the footer and
 * every block before this runs. Traces are streams; files are read for other tools' sake.
 */
import { Flat } from './arrow-flat.js';
import { ArrowMessages, MessageType, type ArrowMessage, type MessageSource } from './arrow-messages.js';

export class ArrowFileMessages implements MessageSource {
  private readonly footer: Flat;
  private readonly blocks: number[] = [];
  private schemaGiven = false;
  private current: ArrowMessages | null = null;

  /** @param file the whole file, magic included (block offsets count from its first byte) */
  constructor(private readonly file: Buffer) {
    const end = file.length - 10;
    const length = file.readInt32LE(end);
    this.footer = new Flat(Buffer.from(file.subarray(end - length, end)));
    const root = this.footer.root();
    for (const index of [2, 3]) {
      const v = this.footer.vector(root, index, 24);
      for (let k = 0; k < v.length; k++) this.blocks.push(Number(this.footer.i64(v.start + 24 * k)));
    }
  }

  async next(): Promise<ArrowMessage | null> {
    if (!this.schemaGiven) {
      this.schemaGiven = true;
      const root = this.footer.root();
      return { type: MessageType.Schema, flat: this.footer, header: this.footer.child(root, 1), bodyLength: 0, version: this.footer.i16Field(root, 0) };
    }
    const offset = this.blocks.shift();
    if (offset === undefined) return null;
    this.current = new ArrowMessages(once(this.file.subarray(offset)));
    return this.current.next();
  }

  body(length: number): Promise<Uint8Array> {
    return this.current!.body(length);
  }
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}
