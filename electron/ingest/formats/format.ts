// What an import format is (plaso's parser plug-ins are the model: a name, a
// data format, a cheap sniff, one line to register). The byte-level splitter
// (../splitter.ts) knows JSON structure only: it finds records in the three
// places a format may put them and is never edited to add a format. Which
// wrapper keys it looks for, which format a place belongs to, and how a record
// follows from its slice are declared here, by the units listed in ./index.ts.
import type { NormalizedEvent, NormalizeIssue } from '../../../shared/record.ts';
import { ENCODINGS } from '../../case/encodings.ts';

/** Where a format's records sit in the decoded object: the only shapes the splitter knows. */
export type RecordsAt =
  /** The elements of the array under a top-level key: {"Records": [ … ]}. */
  | { wrapper: string }
  /** The elements of a top-level array: [ {…}, {…} ]. */
  | { elements: 'array' }
  /** Top-level objects: JSON lines, or objects one after another. */
  | { elements: 'lines' };

/** The splitter's name for a place: the wrapper key, 'array' or 'object' (lines). */
export function placeOf(at: RecordsAt): string {
  return 'wrapper' in at ? at.wrapper : at.elements === 'array' ? 'array' : 'object';
}

/** A source format: owns one place where records sit. Its name is stored as `evidence.format`. */
export interface SourceFormat {
  readonly kind: 'source';
  /** Stored in cases as `evidence.format`: never renamed. */
  readonly name: string;
  readonly version: string;
  /** What the examiner would call it (plaso's DATA_FORMAT). */
  readonly dataFormat: string;
  readonly recordsAt: RecordsAt;
  /** The record encoding of one slice (a number from electron/case/encodings.ts, documented in docs/case-format.md). */
  encodingOf(slice: Buffer): number;
  /** A check beyond normalisation on one of its records (the slice as found). */
  check?(slice: Buffer, n: NormalizedEvent): NormalizeIssue | null;
}

interface ElementBase {
  readonly name: string;
  readonly version: string;
  readonly dataFormat: string;
  /** Cheap sniff of a parsed element that is not itself a CloudTrail record. */
  sniff(element: Record<string, unknown>): boolean;
}

/**
 * An element that carries a CloudTrail record inside it (a LookupEvents
 * `Events[]` element written on its own). Asked only for raw slots: encodings
 * do not compose, so an element already decoded by its source format is not
 * unwrapped again.
 */
export interface CarrierFormat extends ElementBase {
  readonly kind: 'carrier';
  /** The encoding of a slot holding such an element. */
  readonly encoding: number;
  /** The record text inside the element. */
  recordText(element: Record<string, unknown>): string;
  /** The name the source is stored under once such an element is met in a plain array or lines (by source format name). */
  readonly sourceNames: Readonly<Record<string, string>>;
  check?(element: Record<string, unknown>, n: NormalizedEvent): NormalizeIssue | null;
}

/**
 * An element recognised and named but not an event (a CloudTrail digest):
 * kept in the evidence, reported with its own code and message, never
 * silently dropped. A source whose first 4 KiB the head sniff claims and which
 * holds nothing but one such element is that file itself (its name is stored).
 */
export interface NotEventFormat extends ElementBase {
  readonly kind: 'not-event';
  sniffHead?(head: string): boolean;
  problem(where: string): { code: string; message: string };
}

export type ElementFormat = CarrierFormat | NotEventFormat;
export type ImportFormat = SourceFormat | ElementFormat;

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** The composed formats, checked once when the list is built. */
export class FormatRegistry {
  readonly all: readonly ImportFormat[];
  /** The wrapper keys the splitter looks for at the top of an object. */
  readonly wrapperKeys: ReadonlySet<string>;
  private readonly byPlace = new Map<string, SourceFormat>();
  private readonly elements: readonly ElementFormat[];

  constructor(units: readonly ImportFormat[]) {
    const names = new Set<string>();
    const name = (n: string, unit: string) => {
      if (names.has(n)) throw new Error(`import format ${unit}: the name ${n} is registered twice`);
      names.add(n);
    };
    const encoding = (id: number, unit: string) => {
      if (!ENCODINGS[id] || ENCODINGS[id].id !== id) throw new Error(`import format ${unit}: record encoding ${id} is not in electron/case/encodings.ts`);
    };
    const keys = new Set<string>();
    for (const u of units) {
      name(u.name, u.name);
      if (u.kind === 'source') {
        const place = placeOf(u.recordsAt);
        if (this.byPlace.has(place)) throw new Error(`import formats ${this.byPlace.get(place)!.name} and ${u.name} both claim records at ${place}`);
        this.byPlace.set(place, u);
        if ('wrapper' in u.recordsAt) {
          // The splitter keeps at most 64 bytes of a top-level key.
          if (Buffer.byteLength(u.recordsAt.wrapper) > 64) throw new Error(`import format ${u.name}: wrapper key longer than 64 bytes`);
          keys.add(u.recordsAt.wrapper);
        }
      } else if (u.kind === 'carrier') {
        encoding(u.encoding, u.name);
        for (const n of Object.values(u.sourceNames)) name(n, u.name);
      }
    }
    for (const place of ['array', 'object']) if (!this.byPlace.has(place)) throw new Error(`no import format for records at ${place}`);
    this.all = [...units];
    this.wrapperKeys = keys;
    this.elements = units.filter((u): u is ElementFormat => u.kind !== 'source');
  }

  /** The source format owning a place the splitter reported. */
  at(place: string): SourceFormat {
    const f = this.byPlace.get(place);
    if (!f) throw new Error(`no import format for records at ${place}`);
    return f;
  }

  /** The first element format (in registration order) that claims a parsed element; carriers only for raw slots. */
  claim(element: unknown, rawSlot: boolean): ElementFormat | null {
    if (!isObject(element)) return null;
    for (const f of this.elements) {
      if (f.kind === 'carrier' && !rawSlot) continue;
      if (f.sniff(element)) return f;
    }
    return null;
  }

  /** The not-event format whose head sniff claims the start of a source, if any. */
  claimHead(head: string): NotEventFormat | null {
    for (const f of this.elements) if (f.kind === 'not-event' && f.sniffHead?.(head)) return f;
    return null;
  }

  /** Does this not-event format claim a parsed value? */
  static claims(f: ElementFormat, v: unknown): boolean {
    return isObject(v) && f.sniff(v);
  }
}
