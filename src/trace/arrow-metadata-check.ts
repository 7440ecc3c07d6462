/**
 * A structural check of one Arrow IPC message's metadata (a flatbuffer `Message`) before the
 * reader decodes it (arrow-reader.ts; apache-arrow decoded for it until issue 17). A decoder
 * that trusts every length it reads loops for minutes on a vector length of 2^31 in a damaged
 * file (a corrupted schema hung `replay` for good), and recurses forever on a child field
 * pointing back at its parent. Here every table, vector and string the decoder will visit must
 * lie inside the metadata, fields nest at most MAX_DEPTH deep, and a record batch declares no
 * more rows than its body has bits: then every loop it runs is bounded by the bytes of the file.
 *
 * Layout (Arrow format/Message.fbs, Schema.fbs; field numbers as in those files):
 *   Message { version, header_type, header, bodyLength, custom_metadata: [KeyValue] }
 *   Schema { endianness, fields: [Field], custom_metadata, features: [long] }
 *   Field { name, nullable, type_type, type, dictionary: { id, indexType }, children: [Field], custom_metadata }
 *   RecordBatch { length, nodes: [16-byte], buffers: [16-byte], compression, variadicBufferCounts: [long] }
 *   DictionaryBatch { id, data: RecordBatch, isDelta }
 */

/** Deepest nesting of fields accepted (a trace's are flat). */
const MAX_DEPTH = 64;

const enum Header {
  Schema = 1,
  DictionaryBatch = 2,
  RecordBatch = 3,
}
/** Type union member with a vector of its own (Union.typeIds). */
const TYPE_UNION = 14;

class Damaged extends Error {}

/**
 * Why the metadata of a message cannot be decoded safely, or null when it can.
 * @param bodyLength the message's declared body length (bounds a record batch's rows)
 */
export function metadataProblem(meta: Buffer, bodyLength: number): string | null {
  try {
    new MessageCheck(meta, bodyLength).message();
    return null;
  } catch (e) {
    if (e instanceof Damaged) return e.message;
    throw e;
  }
}

/**
 * Why a whole Arrow IPC *file* (ARROW1 ... footer, int32 footer length, ARROW1) cannot be decoded
 * safely, or null: its footer (a schema and the blocks locating each message) and every message
 * a block points to, as the reader will decode them (arrow-file-messages.ts).
 */
export function fileProblem(file: Buffer): string | null {
  const end = file.length - 10;
  if (end < 8) return 'shorter than an Arrow file';
  const footerLength = file.readInt32LE(end);
  if (footerLength <= 0 || end - footerLength < 8) return 'its footer length points outside the file';
  try {
    const footer = file.subarray(end - footerLength, end);
    const check = new MessageCheck(footer, 0);
    for (const block of check.footer()) {
      let at = block.offset;
      if (at < 0 || at + 8 > file.length) throw new Damaged('a block outside the file');
      if (file.readInt32LE(at) === -1) at += 4;
      const length = file.readInt32LE(at);
      if (length <= 0 || at + 4 + length > file.length) throw new Damaged('a block whose metadata lies outside the file');
      new MessageCheck(file.subarray(at + 4, at + 4 + length), block.bodyLength).message();
    }
    return null;
  } catch (e) {
    if (e instanceof Damaged) return e.message;
    throw e;
  }
}

class MessageCheck {
  /** Fields visited: a shared child listed many times, at many levels, would be visited
   * exponentially often (by a decoder too), so no more than the metadata can hold distinct. */
  private fields = 0;

  constructor(
    private readonly b: Buffer,
    private readonly bodyLength: number,
  ) {}

  message(): void {
    const root = this.table(0);
    const type = this.u8Field(root, 1);
    const header = this.field(root, 2);
    this.keyValues(root, 4);
    if (header === 0) return;
    const h = this.table(header);
    if (type === Header.Schema) this.schema(h);
    else if (type === Header.RecordBatch) this.recordBatch(h);
    else if (type === Header.DictionaryBatch) {
      const data = this.field(h, 1);
      if (data !== 0) this.recordBatch(this.table(data));
    } else throw new Damaged(`message of type ${type}, not a schema or (dictionary) record batch`);
  }

  /** A file footer: its schema, and the blocks (offset, body length) of its messages. */
  footer(): { offset: number; bodyLength: number }[] {
    const root = this.table(0);
    const schema = this.field(root, 1);
    if (schema !== 0) this.schema(this.table(schema));
    this.keyValues(root, 4);
    const blocks: { offset: number; bodyLength: number }[] = [];
    for (const index of [2, 3]) {
      const v = this.vector(root, index, 24);
      for (let k = 0; k < v.length; k++) {
        const at = v.start + 24 * k;
        blocks.push({ offset: Number(this.i64(at)), bodyLength: Number(this.i64(at + 16)) });
      }
    }
    return blocks;
  }

  private schema(t: number): void {
    for (const f of this.tables(t, 1)) this.fieldOf(f, 0);
    this.keyValues(t, 2);
    this.vector(t, 3, 8);
  }

  private fieldOf(t: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new Damaged(`fields nested more than ${MAX_DEPTH} deep`);
    if (++this.fields > this.b.length / 8) throw new Damaged('more fields than the metadata holds');
    this.vector(t, 0, 1); // name
    const typeType = this.u8Field(t, 2);
    const type = this.field(t, 3);
    if (type !== 0) {
      const tt = this.table(type);
      if (typeType === TYPE_UNION) this.vector(tt, 1, 4);
    }
    const dictionary = this.field(t, 4);
    if (dictionary !== 0) {
      const d = this.table(dictionary);
      const indexType = this.field(d, 1);
      if (indexType !== 0) this.table(indexType);
    }
    for (const child of this.tables(t, 5)) this.fieldOf(child, depth + 1);
    this.keyValues(t, 6);
  }

  private recordBatch(t: number): void {
    const lengthAt = this.field(t, 0);
    const rows = lengthAt === 0 ? 0 : Number(this.i64(lengthAt));
    // Every row takes at least one bit of the body (a validity or boolean bit, or more).
    if (rows < 0 || rows > this.bodyLength * 8 + 64) throw new Damaged(`a record batch of ${rows} rows in a body of ${this.bodyLength} bytes`);
    this.vector(t, 1, 16); // nodes
    this.vector(t, 2, 16); // buffers
    const compression = this.field(t, 3);
    if (compression !== 0) this.table(compression);
    this.vector(t, 4, 8);
  }

  private keyValues(t: number, index: number): void {
    for (const kv of this.tables(t, index)) {
      this.vector(kv, 0, 1);
      this.vector(kv, 1, 1);
    }
  }

  /** The tables of a vector-of-tables field (none when absent). */
  private tables(t: number, index: number): number[] {
    const v = this.vector(t, index, 4);
    const out: number[] = [];
    for (let k = 0; k < v.length; k++) out.push(this.table(v.start + 4 * k));
    return out;
  }

  /** A vector field: its first element and length, checked to lie inside the buffer. */
  private vector(t: number, index: number, elementSize: number): { start: number; length: number } {
    const at = this.field(t, index);
    if (at === 0) return { start: 0, length: 0 };
    const v = at + this.u32(at);
    const length = this.u32(v);
    if (v + 4 + length * elementSize > this.b.length) throw new Damaged(`a vector of ${length} elements past the end of the metadata`);
    return { start: v + 4, length };
  }

  /** The table an offset at `at` points to, with its vtable checked. */
  private table(at: number): number {
    const t = at + this.u32(at);
    const vtable = t - this.i32(t);
    const size = this.u16(vtable);
    if (size < 4 || vtable + size > this.b.length) throw new Damaged('a table whose vtable lies outside the metadata');
    return t;
  }

  /** Position of field `index` of table `t`, or 0 when absent. */
  private field(t: number, index: number): number {
    const vtable = t - this.i32(t);
    const slot = 4 + 2 * index;
    if (slot + 2 > this.u16(vtable)) return 0;
    const offset = this.u16(vtable + slot);
    if (offset === 0) return 0;
    if (t + offset >= this.b.length) throw new Damaged('a field outside the metadata');
    return t + offset;
  }

  private u8Field(t: number, index: number): number {
    const at = this.field(t, index);
    return at === 0 ? 0 : this.b[at];
  }

  private need(at: number, bytes: number): void {
    if (!(at >= 0 && at + bytes <= this.b.length)) throw new Damaged('an offset outside the metadata');
  }

  private u16(at: number): number {
    this.need(at, 2);
    return this.b.readUInt16LE(at);
  }

  private i32(at: number): number {
    this.need(at, 4);
    return this.b.readInt32LE(at);
  }

  private u32(at: number): number {
    this.need(at, 4);
    return this.b.readUInt32LE(at);
  }

  private i64(at: number): bigint {
    this.need(at, 8);
    return this.b.readBigInt64LE(at);
  }
}
