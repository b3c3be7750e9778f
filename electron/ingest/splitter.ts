// Streaming splitter: finds the byte span of every record in a decoded
// CloudTrail source without building the whole document in memory, so that
// each event can point back into the preserved evidence (offset + length) and
// its hash can be recomputed byte-exact. It knows JSON structure, not formats:
// records sit in one of three places,
//   {"<key>":[...]}              the elements under a wrapper key it is given
//                                (the formats declare them: ./formats/)
//   [ {...}, {...} ]             the elements of a top-level array
//   {...}\n{...}\n               top-level objects (JSON lines, or concatenated)
// and each record is reported with its place. Adding a format never edits this
// file. Problems (a bad line, a huge record, trailing garbage) are reported
// with the decoded offset and the record index, and splitting goes on.

/** Where a record sat: a wrapper key, 'array' or 'object' (a top-level object). */
export type Container = string;

export interface SplitRecord {
  bytes: Buffer;
  /** Offset of the first byte in the decoded stream. */
  offset: number;
  container: Container;
  /** 0-based index of the record within the source. */
  index: number;
}

export interface SplitProblem {
  offset: number;
  index: number | null;
  code: string;
  message: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NL = 0x0a;
const BOM = [0xef, 0xbb, 0xbf];

export class RecordSplitter {
  private pos = 0; // decoded offset of the current chunk's first byte
  private started = false;
  private mode: 'array' | 'objects' | 'invalid' = 'objects';
  private depth = 0;
  private stack: number[] = []; // 0x7b '{' or 0x5b '['
  private inStr = false;
  private keyBuf: number[] | null = null;
  private lastString = '';
  private lastKey = '';
  private recordDepth = -1; // depth at which the current wrapper's elements live
  private wrapperName: Container = 'array';
  private topIsWrapper = false;
  private jsonl: boolean | null = null; // decided after the first top-level object
  private sawNewlineInTop = false;
  // capture
  private capturing = false;
  private capStart = 0;
  private capParts: Buffer[] = [];
  private capLen = 0;
  private capOversize = false;
  private capContainer: Container = 'object';
  private index = 0;
  private invalidReported = false;
  private afterTopGarbage = false;

  private readonly wrapperKeys: ReadonlySet<string>;
  private readonly maxRecordBytes: number;

  constructor(
    private readonly onRecord: (r: SplitRecord) => void,
    private readonly onProblem: (p: SplitProblem) => void,
    opts: { wrapperKeys: ReadonlySet<string>; maxRecordBytes?: number },
  ) {
    this.wrapperKeys = opts.wrapperKeys;
    this.maxRecordBytes = opts.maxRecordBytes ?? 16 * 1024 * 1024;
  }

  get recordsSeen(): number {
    return this.index;
  }

  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    if (n === 0) return;
    const scalarGoesOn = this.scalarOpen;
    this.scalarOpen = false;
    let capFrom = this.capturing ? 0 : -1;
    if (!this.started) {
      // Skip leading white space and one UTF-8 byte-order mark to find the shape; the mark may straddle chunks.
      while (i < n) {
        const c = chunk[i];
        if (this.bomLen > 0 && this.bomLen < 3) {
          if (c === BOM[this.bomLen]) {
            this.bomLen++;
            i++;
            continue;
          }
          break; // not a mark after all: the content starts with 0xef
        }
        if (c === 0x20 || c === 0x09 || c === 0x0d || c === NL) i++;
        else if (c === 0xef && this.bomLen === 0) {
          this.bomAt = this.pos + i;
          this.bomLen = 1;
          i++;
        } else break;
      }
      if (i >= n) {
        this.pos += n;
        return;
      }
      this.started = true;
      const c = chunk[i];
      if (this.bomLen > 0 && this.bomLen < 3) this.notJson(this.bomAt, 0xef);
      else if (c === 0x5b) this.mode = 'array';
      else if (c === 0x7b) this.mode = 'objects';
      else this.notJson(this.pos + i, c);
    }
    if (this.mode === 'invalid') {
      this.pos += n;
      return;
    }
    while (i < n) {
      if (this.inStr) {
        // Jump to the next quote; most bytes of CloudTrail JSON are inside strings.
        const q = chunk.indexOf(QUOTE, i);
        if (this.jsonl && this.depth > 0) {
          const nl = chunk.indexOf(NL, i);
          if (nl !== -1 && (q === -1 || nl < q)) {
            // A raw newline cannot be inside a JSON string: this line is broken.
            if (capFrom >= 0) this.capAppend(chunk, capFrom, nl);
            this.abortTop(nl, 'unterminated string in JSON line');
            capFrom = -1;
            i = nl + 1;
            continue;
          }
        }
        if (q === -1) {
          if (this.keyBuf) this.appendKey(chunk, i, n);
          i = n;
          break;
        }
        // Count backslashes before the quote (they may straddle chunks: tracked by esc state).
        let bs = 0;
        let k = q - 1;
        while (k >= i && chunk[k] === BACKSLASH) {
          bs++;
          k--;
        }
        if (k < i && this.pendingBackslashes > 0) bs += this.pendingBackslashes;
        this.pendingBackslashes = 0;
        if (bs % 2 === 1) {
          if (this.keyBuf) this.appendKey(chunk, i, q + 1);
          i = q + 1;
          continue;
        }
        if (this.keyBuf) {
          this.appendKey(chunk, i, q);
          this.lastString = Buffer.from(this.keyBuf).toString('utf8');
          this.keyBuf = null;
        }
        this.inStr = false;
        i = q + 1;
        continue;
      }
      const c = chunk[i];
      switch (c) {
        case QUOTE:
          if (this.depth === 0) this.garbage(i);
          else if (this.depth === this.recordDepth && !this.capturing) {
            // A string where a record should be: named like any other scalar there, then skipped as a string.
            this.onProblem({ offset: this.pos + i, index: this.index, code: 'not-an-object', message: `element ${this.index} is not a JSON object` });
            this.index++;
          }
          this.inStr = true;
          this.pendingBackslashes = 0;
          this.keyBuf = this.depth === 1 && this.stack[0] === 0x7b ? [] : null;
          break;
        case 0x7b: // {
        case 0x5b: // [
          if (this.depth === 0) {
            if (this.afterTopGarbage) break;
            if (this.mode === 'array' && this.stack.length === 0 && this.index === 0 && c === 0x5b && !this.topOpened) {
              this.topOpened = true;
              this.recordDepth = 1;
              this.wrapperName = 'array';
            } else if (this.mode === 'array' && this.topOpened) {
              this.garbage(i);
              this.afterTopGarbage = true;
              break;
            } else if (c === 0x7b) {
              // A top-level object: a wrapper or, in JSON lines, a record itself.
              this.topIsWrapper = false;
              this.sawNewlineInTop = false;
              this.startCapture(i, 'object');
              capFrom = i;
              this.lastKey = '';
            } else {
              this.onProblem({ offset: this.pos + i, index: this.index, code: 'not-an-object', message: 'top-level array among JSON objects' });
            }
          } else if (this.depth === this.recordDepth && !this.capturing) {
            this.startCapture(i, this.wrapperName);
            capFrom = i;
          } else if (this.depth === 1 && this.stack[0] === 0x7b && c === 0x5b && this.wrapperKeys.has(this.lastKey) && !this.topIsWrapper) {
            // {"Records": [ ... ]} - stop capturing the wrapper, capture its elements.
            this.topIsWrapper = true;
            this.recordDepth = 2;
            this.wrapperName = this.lastKey;
            this.capturing = false;
            this.capParts = [];
            capFrom = -1;
          }
          this.stack.push(c);
          this.depth++;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (this.depth === 0) {
            this.garbage(i);
            break;
          }
          this.stack.pop();
          this.depth--;
          if (this.capturing && this.depth === this.capDepth) {
            this.capAppend(chunk, capFrom, i + 1);
            capFrom = -1;
            this.finishCapture();
          }
          if (this.depth === 0) {
            if (this.jsonl === null && this.mode === 'objects') this.jsonl = !this.sawNewlineInTop;
            if (this.mode === 'array') this.afterTopGarbage = true;
            if (this.topIsWrapper) {
              this.recordDepth = -1;
            }
          }
          break;
        case 0x3a: // :
          if (this.depth === 1 && this.stack[0] === 0x7b) this.lastKey = this.lastString;
          break;
        case NL:
          if (this.depth > 0 && this.mode === 'objects' && !this.topIsWrapper) {
            if (this.jsonl) {
              if (capFrom >= 0) this.capAppend(chunk, capFrom, i);
              capFrom = -1;
              this.abortTop(i, 'JSON line ends before its object is complete');
            } else this.sawNewlineInTop = true;
          }
          break;
        case 0x20:
        case 0x09:
        case 0x0d:
        case 0x2c: // ,
          break;
        default:
          // Scalars: inside a record they are part of it; at a record position they are not records.
          if (this.depth === 0) {
            this.garbage(i);
          } else if (this.depth === this.recordDepth && !this.capturing) {
            // Skip the scalar; report once per element (a scalar the last chunk ended inside goes on here).
            let j = i;
            while (j < n && chunk[j] !== 0x2c && chunk[j] !== 0x5d && chunk[j] !== 0x7d && chunk[j] !== NL) j++;
            if (!(i === 0 && scalarGoesOn)) {
              this.onProblem({ offset: this.pos + i, index: this.index, code: 'not-an-object', message: `element ${this.index} is not a JSON object` });
              this.index++;
            }
            this.scalarOpen = j === n;
            i = j;
            continue;
          }
      }
      i++;
    }
    if (this.inStr && n > 0) {
      let bs = 0;
      let k = n - 1;
      while (k >= 0 && chunk[k] === BACKSLASH) {
        bs++;
        k--;
      }
      this.pendingBackslashes = k < 0 ? this.pendingBackslashes + bs : bs;
    }
    if (this.capturing && capFrom >= 0) this.capAppend(chunk, capFrom, n);
    this.pos += n;
  }

  /** Call once after the last chunk; reports a structure left open (a truncated source). */
  end(): void {
    if (!this.started && this.bomLen > 0 && this.bomLen < 3) {
      this.notJson(this.bomAt, 0xef);
      return;
    }
    if (!this.started || this.mode === 'invalid') {
      if (!this.started) this.onProblem({ offset: this.pos, index: null, code: 'empty', message: 'no JSON content' });
      return;
    }
    if (this.depth > 0 || this.inStr) {
      this.onProblem({
        offset: this.pos,
        index: this.capturing ? this.index : null,
        code: 'truncated',
        message: `content ends inside ${this.capturing ? `record ${this.index}` : 'the JSON structure'} (truncated or malformed)`,
      });
    }
  }

  private pendingBackslashes = 0;
  private topOpened = false;
  private scalarOpen = false; // the last chunk ended inside a scalar at a record position
  private bomLen = 0; // bytes of a leading byte-order mark seen so far (3: skipped)
  private bomAt = 0;
  private capDepth = 0;

  private startCapture(i: number, container: Container): void {
    this.capturing = true;
    this.capStart = this.pos + i;
    this.capParts = [];
    this.capLen = 0;
    this.capOversize = false;
    this.capContainer = container;
    this.capDepth = this.depth;
  }

  private capAppend(chunk: Buffer, from: number, to: number): void {
    if (!this.capturing || to <= from) return;
    this.capLen += to - from;
    if (this.capOversize) return;
    if (this.capLen > this.maxRecordBytes) {
      this.capOversize = true;
      this.capParts = [];
      return;
    }
    // Copy: the chunk buffer is reused by the caller's stream.
    this.capParts.push(Buffer.from(chunk.subarray(from, to)));
  }

  private finishCapture(): void {
    this.capturing = false;
    const index = this.index++;
    if (this.capOversize) {
      this.onProblem({
        offset: this.capStart,
        index,
        code: 'record-too-large',
        message: `record ${index} is ${this.capLen} bytes, over the ${this.maxRecordBytes}-byte limit; kept in the evidence, not imported as an event`,
      });
    } else {
      const bytes = this.capParts.length === 1 ? this.capParts[0] : Buffer.concat(this.capParts, this.capLen);
      this.onRecord({ bytes, offset: this.capStart, container: this.capContainer, index });
    }
    this.capParts = [];
  }

  private abortTop(i: number, why: string): void {
    const index = this.capturing ? this.index++ : this.index;
    this.onProblem({ offset: this.capturing ? this.capStart : this.pos + i, index, code: 'malformed-json', message: `record ${index}: ${why}` });
    this.capturing = false;
    this.capParts = [];
    this.depth = 0;
    this.stack = [];
    this.inStr = false;
    this.keyBuf = null;
  }

  private notJson(offset: number, c: number): void {
    this.mode = 'invalid';
    this.onProblem({ offset, index: null, code: 'not-json', message: `content does not start with a JSON object or array (byte 0x${c.toString(16)})` });
  }

  private garbage(i: number): void {
    if (this.invalidReported) return;
    this.invalidReported = true;
    this.onProblem({ offset: this.pos + i, index: null, code: 'trailing-data', message: 'unexpected data after the end of the JSON document' });
  }

  private appendKey(chunk: Buffer, from: number, to: number): void {
    const kb = this.keyBuf!;
    for (let j = from; j < to && kb.length < 64; j++) kb.push(chunk[j]);
  }
}
